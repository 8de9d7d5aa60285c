"""Fixtures for the standards tests: the small network with standards_support's
people and checklist."""

from __future__ import annotations

import pytest

from tests.integration.standards.standards_support import seed_standards


@pytest.fixture
def std(network, monkeypatch):
    """`network` (SQLite, then PostgreSQL) with the people and the checklist."""
    monkeypatch.setattr("storenet.accounts.users.hash_password", lambda p: "hash:" + p)
    seed_standards(network)
    return network


@pytest.fixture
def pg_std(pg_network, monkeypatch):
    """The same, on PostgreSQL only (races)."""
    monkeypatch.setattr("storenet.accounts.users.hash_password", lambda p: "hash:" + p)
    seed_standards(pg_network)
    return pg_network
