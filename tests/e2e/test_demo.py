"""The demo end to end on the embedded default: build, ingest a POS day, close, report."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
from sqlalchemy import func, select

from storenet.datagen.forward import forward_path
from storenet.demo import history_end, run_demo
from storenet.ledger.verify import conservation_errors, verify_balances
from storenet.settings import Settings
from storenet.store.engine import open_engine, reading
from storenet.store.schema import movements, sale_lines


def test_the_demo_runs_through_the_real_paths_and_a_second_run_changes_nothing(tmp_path):
    # given an empty STORENET_HOME
    settings = Settings.from_env({"STORENET_HOME": str(tmp_path)})
    # when the demo runs on a tiny network
    first = run_demo(settings, stores=25, skus=40, days=60)
    engine = open_engine(settings.db_url)
    with reading(engine) as conn:
        moved = conn.execute(select(func.count()).select_from(movements)).scalar()
        lines = conn.execute(select(func.count()).select_from(sale_lines)).scalar()
        # then the POS day went through ingestion and the ledger is sound
        assert first.summary["accepted"] == lines > 0
        assert verify_balances(conn) == [] and conservation_errors(conn) == {}
    assert first.state.stock and sum(first.state.stores_by_region_format.values()) > 0
    first_day = history_end(28) + timedelta(days=1)
    assert (settings.history_dir / f"month={first_day:%Y-%m}" / f"day={first_day}.parquet").exists()
    # and every POS line sold a pair the generator gives a demand rate that day
    sold = pl.concat(
        [
            pl.read_ndjson(path).select(
                pl.col("store").alias("store_id"),
                pl.col("sku").alias("sku_id"),
                pl.lit(date.fromisoformat(path.stem)).alias("day"),
            )
            for path in sorted((tmp_path / "pos").glob("*.jsonl"))
        ]
    )
    rates = pl.read_parquet(forward_path(tmp_path))
    assert sold.height == first.summary["lines"] > 0
    assert sold.join(rates, on=["store_id", "sku_id", "day"], how="anti").is_empty()
    # when it runs again, then every batch is a replay and nothing new is written
    second = run_demo(settings, stores=25, skus=40, days=60)
    assert second.summary == first.summary
    with reading(engine) as conn:
        assert conn.execute(select(func.count()).select_from(movements)).scalar() == moved
    engine.dispose()
