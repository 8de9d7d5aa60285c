"""Attainment (net sales / target) against a hand count with returns, per store,
franchisee and region, cumulative per market day; a sale counts for the franchisee
that owned the store when it was sold."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import insert, update

from storenet.franchise.attainment import attainments
from storenet.franchise.targets import TargetInput, set_targets
from storenet.store.engine import unit_of_work
from storenet.store.schema import store_owners
from tests.integration.franchise.conftest import TZ, local, sell


def _hand_counted_month(engine):  # type: ignore[no-untyped-def]
    # S2 (F1, EAST): day 1: 2 x K1 at 20.00 and a phone at 2999.00; day 2: one K1
    # returned (20.00); the last evening of the month 3 x K2 at 20.00 (23:30 local,
    # 15:30 UTC: November in Shanghai); 00:30 local on 1 December does not count, nor
    # does 31 October 23:59 local.
    sell(engine, "S2", "K1", 2, 2000, local(2026, 11, 1, 10))
    sell(engine, "S2", "PH1", 1, 299900, local(2026, 11, 1, 11))
    sell(engine, "S2", "K1", 1, 2000, local(2026, 11, 2, 9), kind="return")
    sell(engine, "S2", "K2", 3, 2000, local(2026, 11, 30, 23, 30))
    sell(engine, "S2", "K2", 7, 2000, local(2026, 12, 1, 0, 30))
    sell(engine, "S2", "K2", 5, 2000, local(2026, 10, 31, 23, 59))
    # S1 (HQ, EAST): 10 x K1 at 20.00 with 4 returned.
    sell(engine, "S1", "K1", 10, 2000, local(2026, 11, 5))
    sell(engine, "S1", "K1", 4, 2000, local(2026, 11, 6), kind="return")
    unit_of_work(
        engine,
        lambda c: set_targets(
            c,
            [
                TargetInput("store", "S2", "2026-11", "revenue", "4000.00"),
                TargetInput("store", "S2", "2026-11", "units", "8"),
                TargetInput(
                    "store", "S2", "2026-11", "category_revenue", "100.00", category="accessory"
                ),
                TargetInput("store", "S1", "2026-11", "revenue", "240.00"),
                TargetInput("franchisee", "F1", "2026-11", "revenue", "3000.00"),
            ],
            "planner",
        ),
    )


def test_store_attainment_matches_a_hand_count_with_returns(shop):
    _hand_counted_month(shop)
    with shop.connect() as conn:
        got = {(a.subject, a.metric): a for a in attainments(conn, "2026-11", TZ, "store")}
    s2 = got[("S2", "revenue")]
    # sold 40.00 + 2999.00 + 60.00 = 3099.00, returned 20.00, net 3079.00 of 4000.00
    assert (s2.sold, s2.returned, s2.actual, s2.target) == (309_900, 2_000, 307_900, 400_000)
    assert s2.share == Decimal("0.7698")
    units = got[("S2", "units")]
    assert (units.sold, units.returned, units.actual, units.share) == (6, 1, 5, Decimal("0.6250"))
    cat = got[("S2", "category_revenue")]
    assert (cat.actual, cat.share) == (8_000, Decimal("0.8000"))  # 100.00 - 20.00 of 100.00
    assert got[("S1", "revenue")].share == Decimal("0.5000")  # 120.00 of 240.00


def test_attainment_is_cumulative_per_market_day(shop):
    _hand_counted_month(shop)
    with shop.connect() as conn:
        (s2,) = [
            a
            for a in attainments(conn, "2026-11", TZ, "store", through=date(2026, 11, 3))
            if a.subject == "S2" and a.metric == "revenue"
        ]
    assert s2.daily == [
        (date(2026, 11, 1), 303_900, Decimal("0.7598")),
        (date(2026, 11, 2), 301_900, Decimal("0.7548")),
        (date(2026, 11, 3), 301_900, Decimal("0.7548")),
    ]


def test_franchisee_and_region_attainment_use_the_same_definition(shop):
    _hand_counted_month(shop)
    with shop.connect() as conn:
        (f1,) = attainments(conn, "2026-11", TZ, "franchisee")
        regions = {(a.subject, a.metric): a for a in attainments(conn, "2026-11", TZ, "region")}
    assert (f1.subject, f1.actual, f1.share) == ("F1", 307_900, Decimal("1.0263"))
    east = regions[("EAST", "revenue")]
    assert (east.actual, east.target) == (307_900 + 12_000, 400_000 + 24_000)
    assert east.share == Decimal("0.7545")


def test_a_store_changing_hands_mid_month_splits_its_sales_between_the_owners(shop):
    sell(shop, "S2", "K1", 1, 10_000, local(2026, 11, 10))
    sell(shop, "S2", "K1", 1, 30_000, local(2026, 11, 20))

    def hand_over(conn):  # type: ignore[no-untyped-def]
        at = datetime(2026, 11, 15)
        conn.execute(
            update(store_owners)
            .where(store_owners.c.store_id == "S2", store_owners.c.valid_to.is_(None))
            .values(valid_to=at)
        )
        conn.execute(insert(store_owners).values(store_id="S2", franchisee_id="F2", valid_from=at))
        set_targets(
            conn,
            [TargetInput("franchisee", f, "2026-11", "revenue", "1000.00") for f in ("F1", "F2")],
            "planner",
        )

    unit_of_work(shop, hand_over)
    with shop.connect() as conn:
        got = {a.subject: a.actual for a in attainments(conn, "2026-11", TZ, "franchisee")}
        (f2,) = attainments(conn, "2026-11", TZ, "franchisee", subjects={"F2"})
    assert got == {"F1": 10_000, "F2": 30_000}
    assert (f2.subject, f2.actual) == ("F2", 30_000)
