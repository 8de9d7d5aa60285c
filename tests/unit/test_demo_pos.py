"""The demo's tills: POS lines drawn at the generator's rates, capped by the shelf."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import polars as pl

from storenet.demo_pos import Shelves, pos_lines

DAY = date(2026, 10, 26)
ZONE = ZoneInfo("Asia/Shanghai")


def rates_of(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["store_id", "sku_id", "rate"], orient="row")


def shelves_of(rates: pl.DataFrame, units: int, tracked: set[str] | None = None) -> Shelves:
    return Shelves(
        units={(s, k): units for s, k in rates.select("store_id", "sku_id").iter_rows()},
        serials={},
        price_cents={k: 19_900 for k in rates["sku_id"].unique()},
        tracked=tracked or set(),
    )


def sold(lines: list[dict]) -> dict[tuple[str, str], int]:
    return {(line["store"], line["sku"]): line["qty"] for line in lines}


def test_a_pair_the_generator_gives_no_rate_sells_nothing():
    # given 2,000 pairs with a rate of 2 a day and 2,000 with a rate of 0, all stocked
    rows = [(f"S{n:05d}", "SKU00001", 2.0) for n in range(2000)]
    rows += [(f"S{n:05d}", "SKU00002", 0.0) for n in range(2000)]
    rates = rates_of(rows)
    # when a day is drawn
    lines = pos_lines(rates, shelves_of(rates, 50), DAY, seed=1, zone=ZONE)
    # then the pairs at zero sell nothing, and a pair not in the rates neither
    assert lines and all(line["sku"] == "SKU00001" for line in lines)
    assert all(line["store"] != "S99999" for line in lines)


def test_units_sold_average_the_rates_when_shelves_are_full():
    # given 20,000 pairs at 0.3 a day and 10,000 at 1.5 a day, with ample stock
    rows = [(f"S{n:05d}", "SKU00001", 0.3) for n in range(20_000)]
    rows += [(f"S{n:05d}", "SKU00002", 1.5) for n in range(10_000)]
    rates = rates_of(rows)
    # when a day is drawn
    units = sold(pos_lines(rates, shelves_of(rates, 100), DAY, seed=7, zone=ZONE))
    # then each group sells its expectation (6,000 and 15,000 units) within 4% (Poisson
    # sd 77 and 122 units: more than 3 sd)
    slow = sum(q for (_, k), q in units.items() if k == "SKU00001")
    fast = sum(q for (_, k), q in units.items() if k == "SKU00002")
    assert abs(slow - 6_000) < 0.04 * 6_000
    assert abs(fast - 15_000) < 0.04 * 15_000


def test_the_shelf_caps_a_sale_except_on_the_few_lines_whose_ledger_is_wrong():
    # given 20,000 pairs at 5 a day with one unit on each shelf
    rates = rates_of([(f"S{n:05d}", "SKU00001", 5.0) for n in range(20_000)])
    # when a day is drawn
    lines = pos_lines(rates, shelves_of(rates, 1), DAY, seed=3, zone=ZONE)
    # then almost every line sells the one unit, and about 1% sell what they drew
    over = [line for line in lines if line["qty"] > 1]
    assert len(lines) > 19_000
    assert 0.005 * 20_000 < len(over) < 0.015 * 20_000


def test_the_same_seed_gives_the_same_lines_whatever_the_row_order():
    # given rates in two row orders
    rates = rates_of([(f"S{n:05d}", f"SKU{k:05d}", 0.5) for n in range(300) for k in range(5)])
    shuffled = rates.sample(fraction=1.0, shuffle=True, seed=11)
    # when drawn with the same seed, and with another
    first = pos_lines(rates, shelves_of(rates, 9), DAY, seed=5, zone=ZONE)
    again = pos_lines(shuffled, shelves_of(rates, 9), DAY, seed=5, zone=ZONE)
    other = pos_lines(rates, shelves_of(rates, 9), DAY, seed=6, zone=ZONE)
    # then
    assert first == again
    assert first != other


def test_serial_tracked_units_are_sold_by_the_serials_on_that_shelf():
    # given a tracked SKU with three serials on one store's shelf and a high rate
    rates = rates_of([("S00001", "SKU00009", 30.0)])
    shelves = shelves_of(rates, 3, tracked={"SKU00009"})
    shelves.serials[("S00001", "SKU00009")] = ["SN1", "SN2", "SN3"]
    # when a day is drawn (seed 1: not one of the wrong-ledger lines)
    (line,) = pos_lines(rates, shelves, DAY, seed=1, zone=ZONE)
    # then the shelf's three units are sold by their serials, and the shelf is empty
    assert line["qty"] == 3
    assert sorted(line["serials"]) == ["SN1", "SN2", "SN3"]
    assert shelves.serials[("S00001", "SKU00009")] == []
