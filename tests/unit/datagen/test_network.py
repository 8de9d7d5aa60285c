"""Stores, formats, growth, franchisees and assortments."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from storenet.datagen.assortment import make_assortment
from storenet.datagen.catalog import CATEGORIES, make_catalog
from storenet.datagen.places import CITIES, make_places
from storenet.datagen.stores import (
    CLOSED,
    DIRECT,
    FLAGSHIP,
    FRANCHISE,
    PLANNED,
    make_stores,
)
from tests.unit.datagen.conftest import Built

FIRST, LAST = date(2024, 11, 23), date(2026, 11, 22)


@pytest.fixture(scope="module")
def reference_stores():
    rng = np.random.default_rng(11)
    places = make_places(12_000, rng)
    return places, make_stores(12_000, places, FIRST, LAST, rng)


def test_formats_are_one_nine_and_ninety_percent(reference_stores):
    # given
    _, stores = reference_stores
    # when
    shares = np.bincount(stores.format, minlength=3) / len(stores)
    # then
    assert shares[FLAGSHIP] == pytest.approx(0.01, abs=0.001)
    assert shares[DIRECT] == pytest.approx(0.09, abs=0.001)
    assert shares[FRANCHISE] == pytest.approx(0.90, abs=0.001)


def test_thirty_regions_over_real_cities_and_nine_warehouses(reference_stores):
    # given
    places, stores = reference_stores
    # when
    used_cities = np.unique(stores.city)
    # then
    assert len(places.region_ids) == 30
    assert len(places.city_ids) == len(CITIES) >= 100
    assert len(used_cities) > 100
    assert places.warehouse_kind.count("central") == 1
    assert places.warehouse_kind.count("regional") == 8
    assert set(np.unique(stores.warehouse)) <= set(range(1, 9))
    flagship_tiers = places.city_tier[stores.city[stores.format == FLAGSHIP]]
    franchise_tiers = places.city_tier[stores.city[stores.format == FRANCHISE]]
    assert flagship_tiers.mean() < franchise_tiers.mean()


def test_stores_open_slowly_then_about_a_thousand_a_month(reference_stores):
    # given
    _, stores = reference_stores
    opened = stores.opened[stores.status != PLANNED]
    # when
    months = np.arange(np.datetime64("2024-12"), np.datetime64("2026-11"))
    per_month = np.array([(opened.astype("datetime64[M]") == m).sum() for m in months])
    slow, growth = per_month[:14], per_month[-7:]
    # then
    assert 80 <= slow.mean() <= 250
    assert 850 <= growth.mean() <= 1150
    assert (opened < np.datetime64(FIRST)).mean() > 0.05
    assert np.all(np.diff(stores.opened.astype(np.int64)) >= 0)


def test_some_stores_are_planned_and_a_few_closed(reference_stores):
    # given
    _, stores = reference_stores
    # when
    planned = stores.status == PLANNED
    closed = stores.status == CLOSED
    # then
    assert planned.mean() == pytest.approx(0.03, abs=0.002)
    assert (stores.opened[planned] > np.datetime64(LAST)).all()
    assert closed.mean() == pytest.approx(0.015, abs=0.002)
    assert (stores.closed[closed] > stores.opened[closed] + 119).all()
    assert (stores.closed[closed] <= np.datetime64(LAST)).all()


def test_franchisees_own_one_to_twenty_stores(reference_stores):
    # given
    _, stores = reference_stores
    # when
    owned = np.bincount(stores.franchisee[stores.franchisee >= 0])
    # then
    assert owned.min() >= 1 and owned.max() <= 20
    assert np.median(owned) <= 3
    assert owned.max() >= 15
    assert len(owned) == len(stores.franchisee_ids)
    assert (stores.franchisee[stores.format != FRANCHISE] == -1).all()


def test_assortment_sizes_follow_the_format():
    # given
    rng = np.random.default_rng(5)
    places = make_places(400, rng)
    stores = make_stores(400, places, FIRST, LAST, rng)
    catalog = make_catalog(2000, FIRST, LAST, rng)
    # when
    assortment = make_assortment(stores, catalog, LAST, rng)
    sizes = np.diff(assortment.store_start)
    by_format = {f: sizes[stores.format == f] for f in (FLAGSHIP, DIRECT, FRANCHISE)}
    # then
    assert np.median(by_format[FLAGSHIP]) == pytest.approx(1500, rel=0.05)
    assert np.median(by_format[DIRECT]) == pytest.approx(800, rel=0.05)
    assert by_format[FRANCHISE].max() <= 600
    assert 450 <= np.median(by_format[FRANCHISE]) <= 600
    assert np.percentile(by_format[FRANCHISE], 5) >= 300
    franchise_pairs = stores.format[assortment.store] == FRANCHISE
    tv = catalog.category[assortment.sku] == CATEGORIES.index("tv")
    assert tv[franchise_pairs].mean() < tv[~franchise_pairs].mean()


def test_the_catalog_has_variants_launches_successors_and_end_of_life(small: Built):
    # given
    skus = small.master["skus"]
    # when
    phones = skus.filter(pl.col("category") == "phone")
    with_successor = skus.filter(pl.col("successor_id").is_not_null())
    successors = with_successor.join(
        skus.select(successor_id="id", successor_launch="launch_on"), on="successor_id"
    )
    # then
    assert skus.height == 80
    assert phones.group_by("model").len()["len"].max() >= 6
    assert phones["variant"].str.contains(r"^\d+(GB|TB) ").all()
    assert (successors["successor_launch"] > successors["launch_on"]).all()
    assert (with_successor["eol_on"] > successors["successor_launch"]).all()
    assert skus["launch_on"].min() < small.net.first_day < skus["launch_on"].max()
