"""Net sales kept per day by the night's close: attainment reads them while they still
cover every POS line of their day, and gives the same figures as summing the lines
(the oracle, `net_sales(recompute=True)`), with late lines, returns, categories, a
store changing hands during a day and store filters."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update

from storenet.franchise.attainment import net_sales
from storenet.sales.net_days import fresh_days, keep_net_sales
from storenet.store.engine import unit_of_work
from storenet.store.schema import net_sales_closes, net_sales_days, sale_lines, store_owners
from tests.integration.franchise.conftest import TZ, local, sell
from tests.support import seed_small_network

NOV = [date(2026, 11, d) for d in range(1, 6)]


@pytest.fixture
def shop(engine):
    """`engine` (SQLite, then PostgreSQL) with the small network."""
    seed_small_network(engine)
    return engine


def _random_lines(engine, seed: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    rows = []
    for n in range(400):
        day = rng.choice(NOV + [date(2026, 10, 31), date(2026, 11, 6)])
        at = local(day.year, day.month, day.day, 0) + timedelta(seconds=rng.randrange(86_400))
        rows.append(
            {
                "batch_key": f"r{seed}",
                "store_id": rng.choice(["S1", "S2", "S3", "S4"]),
                "device_id": "till",
                "receipt_no": f"X{seed}-{n}",
                "line_no": 1,
                "kind": "return" if rng.random() < 0.15 else "sale",
                "sku_id": rng.choice(["K1", "K2", "PH1", "NOT-IN-CATALOG"]),
                "qty": rng.randint(1, 4),
                "unit_price_cents": rng.choice([1999, 2000, 299_900]),
                "sold_at": at,
            }
        )
    unit_of_work(engine, lambda c: c.execute(insert(sale_lines), rows))


def _hand_over_s2_on_nov_3(conn) -> None:  # type: ignore[no-untyped-def]
    at = local(2026, 11, 3, 15)
    conn.execute(
        update(store_owners)
        .where(store_owners.c.store_id == "S2", store_owners.c.valid_to.is_(None))
        .values(valid_to=at)
    )
    conn.execute(insert(store_owners).values(store_id="S2", franchisee_id="F2", valid_from=at))


def _keep(engine, days=NOV, tz=TZ) -> None:  # type: ignore[no-untyped-def]
    for day in days:
        unit_of_work(engine, lambda c, d=day: keep_net_sales(c, d, tz))


def _rows(conn, **kw):  # type: ignore[no-untyped-def]
    return sorted(net_sales(conn, NOV[0], NOV[-1], TZ, **kw), key=repr)


@pytest.mark.parametrize("by_category", [False, True])
@pytest.mark.parametrize("stores_only", [None, {"S2", "S3"}])
def test_kept_days_give_the_same_net_sales_as_the_lines(shop, by_category, stores_only):
    _random_lines(shop, seed=3)
    unit_of_work(shop, _hand_over_s2_on_nov_3)
    _keep(shop)
    with shop.connect() as conn:
        assert fresh_days(conn, NOV[0], NOV[-1], TZ) == set(NOV)
        kept = _rows(conn, by_category=by_category, stores_only=stores_only)
        summed = _rows(conn, by_category=by_category, stores_only=stores_only, recompute=True)
    assert kept == summed
    assert {r.franchisee_id for r in kept if r.store_id == "S2" and r.day == NOV[2]} == {
        "F1",
        "F2",
    }
    assert sum(r.sold_cents for r in kept) > 0


def test_a_fresh_day_is_read_from_its_kept_sums_not_from_the_lines(shop):
    sell(shop, "S2", "K1", 2, 2000, local(2026, 11, 2, 10))
    _keep(shop, [NOV[1]])

    def tamper(conn):  # type: ignore[no-untyped-def]
        conn.execute(update(net_sales_days).values(sold_cents=net_sales_days.c.sold_cents + 1))

    unit_of_work(shop, tamper)
    with shop.connect() as conn:
        (kept,) = net_sales(conn, NOV[1], NOV[1], TZ)
        (summed,) = net_sales(conn, NOV[1], NOV[1], TZ, recompute=True)
    assert (kept.sold_cents, summed.sold_cents) == (4001, 4000)


def test_a_late_line_makes_its_day_stale_and_counts_until_the_day_is_kept_again(shop):
    sell(shop, "S2", "K1", 2, 2000, local(2026, 11, 2, 10))
    sell(shop, "S3", "K1", 1, 2000, local(2026, 11, 3, 10))
    _keep(shop, NOV[1:3])
    sell(shop, "S2", "K1", 1, 2000, local(2026, 11, 2, 23, 59), kind="return")  # a till offline
    with shop.connect() as conn:
        assert fresh_days(conn, NOV[0], NOV[-1], TZ) == {NOV[2]}
        got = {(r.day, r.store_id): r for r in net_sales(conn, NOV[0], NOV[-1], TZ)}
    s2 = got[(NOV[1], "S2")]
    assert (s2.sold_cents, s2.returned_cents, s2.value("revenue")) == (4000, 2000, 2000)
    _keep(shop, [NOV[1]])
    with shop.connect() as conn:
        assert fresh_days(conn, NOV[0], NOV[-1], TZ) == {NOV[1], NOV[2]}
        assert net_sales(conn, NOV[0], NOV[-1], TZ) == net_sales(
            conn, NOV[0], NOV[-1], TZ, recompute=True
        )


def test_days_kept_in_another_time_zone_are_not_used(shop):
    # 23:30 in Shanghai on 1 November is 15:30 UTC: the UTC day and the market day agree
    # on the date but not on the window, so the UTC-kept day must not stand in.
    sell(shop, "S2", "K1", 1, 2000, local(2026, 11, 1, 23, 30))
    sell(shop, "S2", "K1", 1, 2000, datetime(2026, 11, 1, 20, 0))  # 2 Nov 04:00 local
    _keep(shop, NOV[:2], tz="UTC")
    with shop.connect() as conn:
        assert fresh_days(conn, NOV[0], NOV[1], TZ) == set()
        days = {r.day: r.sold_cents for r in net_sales(conn, NOV[0], NOV[1], TZ)}
    assert days == {NOV[0]: 2000, NOV[1]: 2000}


def test_keeping_a_day_again_replaces_its_sums(shop):
    sell(shop, "S2", "K1", 2, 2000, local(2026, 11, 2, 10))
    _keep(shop, [NOV[1]])
    sell(shop, "S2", "K2", 1, 2000, local(2026, 11, 2, 11))
    _keep(shop, [NOV[1]])
    with shop.connect() as conn:
        closes = conn.execute(select(net_sales_closes.c.day, net_sales_closes.c.lines)).all()
        cents = conn.execute(select(func.sum(net_sales_days.c.sold_cents))).scalar_one()
    assert [(d, n) for d, n in closes] == [(NOV[1], 2)]
    assert cents == 6000


def test_a_day_without_sales_is_kept_as_fresh_and_empty(shop):
    _keep(shop, [NOV[0]])
    with shop.connect() as conn:
        assert fresh_days(conn, NOV[0], NOV[0], TZ) == {NOV[0]}
        assert net_sales(conn, NOV[0], NOV[0], TZ) == []
