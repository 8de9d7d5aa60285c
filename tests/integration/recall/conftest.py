"""Fixtures for the recall tests: the small network with the stock of recall_support."""

from __future__ import annotations

import pytest

from tests.integration.recall.recall_support import seed_recall_stock


@pytest.fixture
def stocked(network):
    """`network` (SQLite, then PostgreSQL) with the recall stock and users."""
    seed_recall_stock(network)
    return network


@pytest.fixture
def pg_stocked(pg_network):
    """The same, on PostgreSQL only (races)."""
    seed_recall_stock(pg_network)
    return pg_network
