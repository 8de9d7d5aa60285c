"""Fixtures for the recall tests: the small network with the stock of recall_support."""

from __future__ import annotations

import pytest

from tests.integration.recall.recall_support import assert_kept_figures_match, seed_recall_stock


@pytest.fixture
def stocked(network):
    """`network` (SQLite, then PostgreSQL) with the recall stock and users; after the
    test, every campaign's kept figures must equal the recomputed ones."""
    seed_recall_stock(network)
    yield network
    assert_kept_figures_match(network)


@pytest.fixture
def pg_stocked(pg_network):
    """The same, on PostgreSQL only (races)."""
    seed_recall_stock(pg_network)
    yield pg_network
    assert_kept_figures_match(pg_network)
