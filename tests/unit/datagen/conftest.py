"""A small generated network shared by the datagen tests (built once per session).

150 stores, 80 SKUs, 400 days ending 2026-11-22: the history covers two Double 11s,
618, the 2026 Spring Festival and National Day, and stores open all along it. (With
fewer stores the slow first phase leaves too few open in early 2026 for the Spring
Festival to be measured reliably.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

from storenet.datagen import GeneratedNetwork, NetworkSpec, generate

SMALL = NetworkSpec(stores=150, skus=80, days=400, seed=7)


@dataclass(frozen=True)
class Built:
    """The generated network and its files read back."""

    net: GeneratedNetwork
    history: pl.DataFrame
    master: dict[str, pl.DataFrame]

    def listed_pair_days(self) -> pl.DataFrame:
        """One row per (store, SKU, day) the pair is listed, within the history."""
        days = pl.date_range(self.net.first_day, self.net.last_day, eager=True).alias("day")
        a = self.master["assortment"].with_columns(pl.col("listed_to").fill_null(self.net.last_day))
        return (
            a.join(pl.DataFrame(days), how="cross")
            .filter(pl.col("day").is_between(pl.col("listed_from"), pl.col("listed_to")))
            .select("store_id", "sku_id", "day")
        )


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out: Path = tmp_path_factory.mktemp("datagen")
    net = generate(SMALL, out)
    history = pl.read_parquet(out / "history" / "*" / "*.parquet")
    master = {name: pl.read_parquet(path) for name, path in net.master_files.items()}
    return Built(net, history, master)
