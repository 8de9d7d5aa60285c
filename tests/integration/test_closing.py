"""The night's close of a day: its daily figures per store and region, checked against
a hand count on the small network, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from storenet.closing import close_day
from storenet.errors import Refused
from storenet.ledger.stock import receive_from_supplier
from storenet.sales.ingest import ingest_pos_batch
from storenet.sales.net_days import fresh_days
from storenet.store.engine import unit_of_work
from storenet.store.schema import net_sales_days, region_days, store_days
from tests.integration.statistics import analyzed_tables

DAY = date(2026, 11, 10)
TZ = "Asia/Shanghai"


def _sale(n: int, sku: str, qty: int, at: str) -> dict:
    return {
        "store": "S1",
        "device": "T1",
        "receipt": f"R{n}",
        "line": 1,
        "sku": sku,
        "qty": qty,
        "unit_price": "19.90",
        "at": at,
    }


@pytest.fixture
def closed(network, tmp_path):
    """S1 receives 20 K1, 20 K2 and 7 K3 on the day, sells 5 K1 and all 20 K2; a sale
    the next morning must not count. Then the day is closed."""
    receive_from_supplier_at = datetime(2026, 11, 10, 1, 0, tzinfo=UTC)  # 09:00 local
    unit_of_work(
        network,
        lambda c: receive_from_supplier(
            c,
            key="r1",
            location="S1",
            lines=[{"sku": "K1", "qty": 20}, {"sku": "K2", "qty": 20}, {"sku": "K3", "qty": 7}],
            at=receive_from_supplier_at,
        ),
    )
    lines = [
        _sale(1, "K1", 5, "2026-11-10T10:00:00+08:00"),
        _sale(2, "K2", 20, "2026-11-10T11:00:00+08:00"),
        _sale(3, "K1", 3, "2026-11-11T10:00:00+08:00"),
    ]
    unit_of_work(network, lambda c: ingest_pos_batch(c, key="b1", lines=lines))
    result = unit_of_work(network, lambda c: close_day(c, tmp_path / "history", DAY, TZ))
    return network, tmp_path, result


def _row(engine, table, key_column, key):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(
            select(table).where(table.c[key_column] == key, table.c.day == DAY)
        ).one()


def test_a_stores_figures_are_what_a_hand_count_gives(closed):
    engine, _, result = closed
    s1 = _row(engine, store_days, "store_id", "S1")
    assert s1.units_sold == 25  # 5 K1 + 20 K2; the next morning's 3 are tomorrow's
    assert s1.revenue_cents == 25 * 1990
    assert s1.on_hand_units == 15 + 0 + 7  # K1 at the day's end, not after tomorrow
    assert s1.received_units == 47
    assert s1.listed_pairs == 6
    assert s1.stockout_pairs == 4  # K2 sold out; K4, PH1, PH2 never stocked
    # lost demand: each empty pair's mean daily sales over 28 days (only K2 sold)
    assert s1.lost_units_est == pytest.approx(20 / 28)
    assert s1.aged_units == 7  # K3: on hand, no sale in 60 days
    assert result["stores"] == 4


def test_an_idle_store_is_all_stock_outs_and_nothing_else(closed):
    engine, _, _ = closed
    s2 = _row(engine, store_days, "store_id", "S2")
    assert (s2.units_sold, s2.on_hand_units, s2.listed_pairs, s2.stockout_pairs) == (0, 0, 6, 6)
    assert s2.lost_units_est == 0


def test_a_regions_figures_are_the_sums_of_its_stores(closed):
    engine, _, _ = closed
    east = _row(engine, region_days, "region_id", "EAST")
    s1 = _row(engine, store_days, "store_id", "S1")
    s2 = _row(engine, store_days, "store_id", "S2")
    assert east.stores == 2
    for figure in ("units_sold", "on_hand_units", "listed_pairs", "stockout_pairs", "aged_units"):
        assert east._mapping[figure] == s1._mapping[figure] + s2._mapping[figure], figure


def test_the_close_keeps_the_days_net_sales_for_attainment(closed):
    engine, _, _ = closed
    with engine.connect() as conn:
        assert fresh_days(conn, DAY, DAY, TZ) == {DAY}
        kept = conn.execute(
            select(net_sales_days.c.store_id, net_sales_days.c.lines, net_sales_days.c.sold_units)
        ).all()
    assert sorted(kept) == [("S1", 2, 25)]  # the next morning's line is tomorrow's


def test_closing_the_day_again_replaces_its_figures(closed):
    engine, home, _ = closed
    unit_of_work(engine, lambda c: close_day(c, home / "history", DAY, TZ))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(store_days)).scalar() == 4
        assert conn.execute(select(func.count()).select_from(region_days)).scalar() == 2
    assert _row(engine, store_days, "store_id", "S1").units_sold == 25


def test_closing_a_day_after_today_in_the_market_is_refused_and_writes_nothing(network, tmp_path):
    # given the day after today in the market's time zone
    tomorrow = datetime.now(ZoneInfo(TZ)).date() + timedelta(days=1)
    # when it is closed
    with pytest.raises(Refused) as refused:
        unit_of_work(network, lambda c: close_day(c, tmp_path / "history", tomorrow, TZ))
    # then the refusal names the day, and no history or figures were written
    assert [p.field for p in refused.value.problems] == ["day"]
    assert "is after today" in refused.value.problems[0].reason
    assert not (tmp_path / "history").exists() or not any((tmp_path / "history").rglob("*"))
    with network.connect() as conn:
        assert conn.execute(select(func.count()).select_from(store_days)).scalar() == 0


def test_the_close_leaves_statistics_on_the_tables_it_wrote(closed):
    engine, _, _ = closed
    with engine.connect() as conn:
        assert {"day_closes", "store_days", "region_days"} <= analyzed_tables(conn)
