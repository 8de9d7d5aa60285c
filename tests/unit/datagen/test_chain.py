"""The chain the generator builds: suppliers and their items, lanes, warehouse parents,
and a purchase-order history consistent with the flows the history simulates."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from storenet.datagen.catalog import CATEGORIES, make_catalog
from storenet.datagen.history import cover_days
from storenet.datagen.lanes import review_days
from storenet.datagen.suppliers import (
    WEEKDAYS,
    lead_days,
    make_sourcing,
    supplier_count,
)
from storenet.datagen.warehouse_flows import SUPPLIER_REVIEW, WarehouseFlows
from tests.unit.datagen.conftest import Built

FIRST, LAST = date(2024, 11, 23), date(2026, 11, 22)


@pytest.fixture(scope="module")
def reference_sourcing():
    # The reference catalog alone: 2,000 SKUs, no stores or history needed.
    catalog = make_catalog(2_000, FIRST, LAST, np.random.default_rng(5))
    weekly = 500.0 * catalog.popularity
    return catalog, weekly, make_sourcing(catalog, weekly, np.random.default_rng(6))


def test_about_fifty_suppliers_at_the_reference_two_thousand_skus_and_two_at_least():
    # when
    counts = {n: supplier_count(n) for n in (1, 12, 80, 2_000, 12_000)}
    # then
    assert counts == {1: 2, 12: 2, 80: 2, 2_000: 50, 12_000: 300}


def test_every_reference_sku_has_one_primary_and_every_supplier_makes_something(
    reference_sourcing,
):
    # given
    catalog, _, s = reference_sourcing
    # when
    primaries = np.bincount(s.item_sku[s.item_primary], minlength=len(catalog))
    items_per_sku = np.bincount(s.item_sku, minlength=len(catalog))
    second = ~s.item_primary
    primary_supplier = s.item_supplier[s.primary[s.item_sku[second]]]
    # then
    assert len(s.supplier_ids) == 50
    assert (primaries == 1).all()
    assert np.all(s.item_sku[s.primary] == np.arange(len(catalog)))
    assert 0.08 < (items_per_sku == 2).mean() < 0.25 and items_per_sku.max() == 2
    assert np.all(primary_supplier != s.item_supplier[second])
    assert set(np.unique(s.item_supplier[s.item_primary])) == set(range(50))


def test_reference_terms_are_realistic_and_consistent_with_the_skus(reference_sourcing):
    # given
    catalog, weekly, s = reference_sourcing
    pack = catalog.pack_size[s.item_sku]
    cap = s.item_capacity
    # then
    assert np.all(s.item_case_pack % pack == 0)
    assert np.all((s.item_moq >= s.item_case_pack) & (s.item_moq % s.item_case_pack == 0))
    assert np.all((cap == -1) | (cap >= s.item_moq))
    tight = (cap > 0) & (cap < 1.7 * weekly[s.item_sku])
    assert 0.05 < tight.mean() < 0.3 and (cap == -1).mean() > 0.1
    assert s.item_lead_mean.min() >= 7 and s.item_lead_mean.max() <= 45
    assert np.all(s.item_lead_sd > 0)
    overseas = s.supplier_overseas[s.item_supplier]
    assert s.item_lead_mean[overseas].min() >= 25 > s.item_lead_mean[~overseas].max() - 5
    assert {s.supplier_currency[k] for k in np.flatnonzero(s.supplier_overseas)} == {"USD"}
    local = s.item_primary & ~overseas
    assert np.all(s.item_cost_cents[local] == catalog.cost_cents[s.item_sku[local]])
    for k in range(len(s.supplier_ids)):
        days = s.order_days(k).split(",")
        assert days and set(days) <= set(WEEKDAYS)


def test_tvs_and_large_appliances_ship_directly_to_the_regional_warehouses(reference_sourcing):
    # given
    catalog, _, s = reference_sourcing
    # when
    direct = s.item_delivers_to[s.primary] == -1
    category = np.array([CATEGORIES[c] for c in catalog.category])
    # then
    assert set(category[direct]) == {"tv", "appliance"}
    assert direct[category == "tv"].all()
    assert not direct[np.isin(category, ["phone", "accessory", "wearable"])].any()
    assert 0.05 < direct.mean() < 0.2
    assert set(s.item_delivers_to[~direct[s.item_sku]]) == {0}


def test_one_delivery_lead_time_varies_around_the_mean_with_the_spread():
    # given
    rng = np.random.default_rng(1)
    mean, sd = np.full(200_000, 30.0), np.full(200_000, 6.0)
    # when
    lead = lead_days(mean, sd, rng)
    # then
    assert lead.mean() == pytest.approx(30.0, abs=0.1)
    assert lead.std() == pytest.approx(6.0, rel=0.05)
    assert (lead.max() - 30) > (30 - lead.min())  # late runs further than early
    assert lead.min() >= 1


def test_review_days_are_the_longest_gap_between_delivery_weekdays():
    # given: Mon; Tue+Fri; Mon+Wed+Fri; none
    masks = np.array([0b1, 0b10010, 0b10101, 0], dtype=np.uint8)
    # when
    days = review_days(masks)
    # then
    assert days.tolist() == [7, 4, 3, 7]


def test_the_generated_files_give_every_sku_one_primary_supplier(small: Built):
    # given
    items, skus = small.master["supplier_items"], small.master["skus"]
    # when
    primaries = items.filter(pl.col("is_primary")).group_by("sku_id").len()
    # then
    assert primaries.height == skus.height and (primaries["len"] == 1).all()
    assert set(items["supplier_id"]) <= set(small.master["suppliers"]["id"])
    assert small.master["suppliers"].height == small.net.suppliers == 2


def test_every_store_has_a_lane_from_its_warehouse_and_every_regional_one_from_central(
    small: Built,
):
    # given
    lanes, stores = small.master["lanes"], small.master["stores"]
    wh = small.master["warehouses"]
    # when
    to_stores = lanes.join(stores, left_on="to_id", right_on="id")
    to_regionals = lanes.filter(pl.col("to_id").is_in(wh["id"].implode()))
    # then
    assert to_stores.height == stores.height == lanes.height - 8
    assert (to_stores["from_id"] == to_stores["warehouse_id"]).all()
    assert to_stores["lead_days_mean"].is_between(1, 5).all()
    assert to_stores["lead_days_mean"].n_unique() > 1
    assert set(to_stores["review_days"]) <= {3, 4, 7} and 7 in set(to_stores["review_days"])
    assert set(to_regionals["from_id"]) == {"WH-C01"} and to_regionals.height == 8
    assert to_regionals["lead_days_mean"].is_between(1, 3).all()
    parents = dict(zip(wh["id"], wh["parent_id"]))
    assert parents.pop("WH-C01") is None and set(parents.values()) == {"WH-C01"}


def test_receipts_lead_times_vary_around_each_suppliers_stated_mean(small: Built):
    # given
    m = small.master
    orders = m["purchase_orders"]
    receipts = m["purchase_order_receipts"].join(orders, left_on="po_id", right_on="id")
    stated = (
        m["supplier_items"]
        .group_by("supplier_id")
        .agg(pl.col("lead_days_mean").first(), pl.col("lead_days_sd").first())
    )
    # when: one lead time per order (its lines arrive together)
    leads = (
        receipts.select(
            "po_id",
            "supplier_id",
            lead=(pl.col("received_on") - pl.col("ordered_on")).dt.total_days(),
        )
        .unique()
        .group_by("supplier_id")
        .agg(mean=pl.col("lead").mean(), sd=pl.col("lead").std(), n=pl.len())
        .join(stated, on="supplier_id")
    )
    # then
    assert leads.height == 2 and (leads["n"] >= 20).all()
    for row in leads.iter_rows(named=True):
        assert row["mean"] == pytest.approx(
            row["lead_days_mean"], abs=3 * row["lead_days_sd"] / row["n"] ** 0.5 + 0.5
        )
        assert 0.5 * row["lead_days_sd"] < row["sd"] < 1.6 * row["lead_days_sd"] + 0.5


def test_order_lines_follow_the_supplier_terms_and_receipts_never_exceed_them(small: Built):
    # given
    m = small.master
    lines = m["purchase_order_lines"].join(m["purchase_orders"], left_on="po_id", right_on="id")
    terms = lines.join(m["supplier_items"], on=["supplier_id", "sku_id"])
    received = m["purchase_order_receipts"].join(lines, on=["po_id", "line_no"])
    # when
    weekly = terms.group_by("supplier_id", "sku_id", "ordered_on").agg(
        pl.col("qty_ordered").sum(), pl.col("weekly_capacity").first()
    )
    # then
    assert terms.height == lines.height  # every line is of a known supplier item
    assert (terms["qty_ordered"] % terms["case_pack"] == 0).all()
    assert (
        terms.filter(pl.col("delivers_to").is_not_null())["warehouse_id"]
        .eq(terms.filter(pl.col("delivers_to").is_not_null())["delivers_to"])
        .all()
    )
    assert (
        terms.filter(pl.col("delivers_to").is_null())["warehouse_id"].str.starts_with("WH-R").all()
    )
    assert (
        weekly["weekly_capacity"].is_null() | (weekly["qty_ordered"] <= weekly["weekly_capacity"])
    ).all()
    assert ((received["qty_good"] + received["qty_damaged"]) <= received["qty_ordered"]).all()
    assert (received["received_on"] <= small.net.last_day).all()
    assert (received["received_on"] > received["ordered_on"]).all()


class _Flows(WarehouseFlows):
    """Just what `_first_fills_between` reads."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.n_wh, self.n_skus, self.n_days = 3, 7, 60
        self.lead_mean = rng.uniform(7, 45, self.n_skus)
        self.first_fill_units = {}
        for day in rng.choice(self.n_days, 25, replace=False):
            keys = np.unique(rng.integers(0, self.n_wh * self.n_skus, 6))
            self.first_fill_units[int(day)] = (keys, rng.integers(1, 50, len(keys)))


def test_first_fills_awaited_by_an_order_match_the_day_by_day_sum():
    # given
    flows = _Flows(np.random.default_rng(3))
    due = np.array([0, 2, 3, 6])
    for t in (0, 5, 20):
        # when
        fast = flows._first_fills_between(t, due)
        # then: the obvious version, SKU by SKU and day by day, from the evening after
        # the order (earlier orders' units for the fills before its arrival are in the
        # position until the fill takes them) to a review past its arrival
        slow = np.zeros_like(fast)
        for j, k in enumerate(due):
            arrival = t + round(flows.lead_mean[k])
            for day in range(t + 1, min(arrival + SUPPLIER_REVIEW, flows.n_days)):
                keys, units = flows.first_fill_units.get(day, ([], []))
                for key, u in zip(keys, units):
                    if key % flows.n_skus == k:
                        slow[key // flows.n_skus, j] += u
        assert np.array_equal(fast, slow)


def test_a_store_order_must_last_its_review_gap_plus_its_lane_lead_time():
    # given: Tue+Fri delivered 1 day after ordering; once a week, 5 days away
    masks = np.array([0b10010, 0b1], dtype=np.uint8)
    # when
    cover = cover_days(masks, np.array([1, 5]))
    # then
    assert cover.tolist() == [4 + 1, 7 + 5]


def test_orders_on_their_way_at_the_end_are_open_and_received_ones_closed(small: Built):
    # given
    m = small.master
    orders, receipts = m["purchase_orders"], m["purchase_order_receipts"]
    # when
    received = orders.join(receipts, left_on="id", right_on="po_id", how="semi")
    open_ = orders.filter(pl.col("status") == "confirmed")
    longest = m["supplier_items"]["lead_days_mean"].max() * 2
    # then
    assert set(orders["status"]) == {"closed", "confirmed"}
    assert (received["status"] == "closed").all()
    assert open_.join(receipts, left_on="id", right_on="po_id", how="semi").height == 0
    assert (open_["ordered_on"] > small.net.last_day - timedelta(days=longest)).all()
    assert (orders["ordered_on"] <= small.net.last_day).all()
