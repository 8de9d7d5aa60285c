"""The generator's demand after its history (`datagen.forward`, forward/demand.parquet)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from storenet.datagen import NetworkSpec, generate
from storenet.datagen.demand import level_table
from storenet.datagen.forward import forward_path, forward_rates
from storenet.datagen.history import LEVEL_REFRESH, Simulation


def stub_simulation(n_pairs: int, n_days: int, forward: int, seed: int) -> SimpleNamespace:
    """A finished simulation's state, enough for `forward_rates`: 3 stores (the last
    closed, traffic 0), 4 SKUs (the last not launched, appeal 0), drivers that vary by
    day, and pair levels."""
    rng = np.random.default_rng(seed)
    grid = n_days + 1 + forward
    traffic = rng.uniform(0.5, 1.5, (grid, 3)).astype(np.float32)
    traffic[:, 2] = 0.0
    appeal = rng.uniform(0.5, 2.0, (grid, 4)).astype(np.float32)
    appeal[:, 3] = 0.0
    base = rng.uniform(0.05, 0.2, n_pairs).astype(np.float32)
    levels = level_table(rng)
    sim = SimpleNamespace(
        n_days=n_days,
        first_day=np.datetime64("2026-01-01"),
        d=SimpleNamespace(traffic=traffic, appeal=appeal),
        pair_store=rng.integers(0, 3, n_pairs),
        pair_sku=rng.integers(0, 4, n_pairs),
        base=base,
        levels=levels,
        base_level=base * levels[rng.integers(0, len(levels), n_pairs)],
    )
    sim.refresh_levels = lambda t, r: Simulation.refresh_levels(sim, t, r)
    return sim


def test_each_days_rate_is_the_models_product_and_levels_move_on_as_in_the_history():
    # given a finished simulation's state
    sim = stub_simulation(n_pairs=40_000, n_days=10, forward=2 * LEVEL_REFRESH, seed=1)
    start = sim.base_level.copy()
    # when its forward rates are drawn
    day, pair, rate = forward_rates(sim, 2 * LEVEL_REFRESH, np.random.default_rng(2))
    # then the first day is base x level x traffic x appeal with the levels at the end of
    # the history, on the drivers' first grid row after it
    drivers = sim.d.traffic[11][sim.pair_store] * sim.d.appeal[11][sim.pair_sku]
    expected = drivers * start
    first = day == 0
    assert np.array_equal(pair[first], np.flatnonzero(expected > 0))
    assert np.allclose(rate[first], expected[expected > 0], rtol=1e-6)
    # and pairs of a closed store or an unlaunched SKU never appear
    dead = (sim.pair_store == 2) | (sim.pair_sku == 3)
    assert not np.isin(pair, np.flatnonzero(dead)).any()
    # and after LEVEL_REFRESH days every pair's level has been redrawn, mean 1
    later = day == LEVEL_REFRESH
    g = sim.n_days + 1 + LEVEL_REFRESH
    base_rate = (sim.d.traffic[g][sim.pair_store] * sim.d.appeal[g][sim.pair_sku] * sim.base)[
        pair[later]
    ]
    level = rate[later] / base_rate
    assert not np.isclose(level, (start / sim.base)[pair[later]]).any()
    assert abs(level.mean() - 1.0) < 0.02


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.parquet"))
    }


def test_the_forward_file_continues_the_history_and_leaves_it_unchanged(tmp_path: Path):
    # given a small network generated without and with 14 forward days, ending in a
    # quiet stretch of the calendar (from late October demand climbs towards Double 11)
    spec = NetworkSpec(stores=40, skus=40, days=90, seed=3, end=date(2026, 8, 23))
    plain = generate(spec, tmp_path / "plain")
    net = generate(replace(spec, forward_days=14), tmp_path / "fwd")
    # then the history and master files are byte-identical, and one file is added
    with_forward = digest(tmp_path / "fwd")
    assert with_forward.pop("forward/demand.parquet")
    assert with_forward == digest(tmp_path / "plain")
    assert plain.forward_file is None and net.forward_file == forward_path(tmp_path / "fwd")
    # and it has the documented columns, one row per pair with a rate, for the 14 days
    schema = {f.name: f.type for f in pq.read_schema(net.forward_file)}
    assert schema == {
        "store_id": pa.string(),
        "sku_id": pa.string(),
        "day": pa.date32(),
        "rate": pa.float32(),
    }
    rates = pl.read_parquet(net.forward_file)
    assert rates.height == net.forward_rows > 0
    assert rates["day"].min() == date(2026, 8, 24)
    assert rates["day"].max() == date(2026, 8, 23) + timedelta(days=14)
    assert (rates["rate"] > 0).all()
    assert rates.select("store_id", "sku_id", "day").is_duplicated().sum() == 0
    assortment = pl.read_parquet(net.master_files["assortment"]).select("store_id", "sku_id")
    assert rates.join(assortment, on=["store_id", "sku_id"], how="anti").is_empty()
    # and its first week's expected demand continues the history's last week of true
    # demand (the same drivers and levels; 20% allows the levels redrawn meanwhile and
    # Poisson noise on a few hundred units)
    history = pl.read_parquet(tmp_path / "fwd" / "history" / "*" / "*.parquet")
    last_week = history.filter(pl.col("day") > date(2026, 8, 16))["demand"].sum()
    next_week = rates.filter(pl.col("day") <= date(2026, 8, 30))["rate"].sum()
    assert 0.8 < next_week / last_week < 1.25


def test_a_demo_longer_than_the_drivers_grid_gets_its_forward_days(tmp_path: Path):
    # given more forward days than the grid's usual reach past the end
    spec = NetworkSpec(stores=10, skus=10, days=30, seed=2, end=date(2026, 10, 25), forward_days=60)
    # when generated
    net = generate(spec, tmp_path)
    # then every one of the 60 days has rates
    days = pl.read_parquet(net.forward_file)["day"].unique()
    assert len(days) == 60
