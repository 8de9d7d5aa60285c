"""Migration 0015 keeps the store targets that existed before it: each becomes
version 1 of the versioned target (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from storenet.store.engine import open_engine
from storenet.store.migrate import alembic_config, migrate
from tests.support import seed_small_network

PG_URL = os.environ.get("STORENET_TEST_PG_URL", "")


def _upgrade_with_an_old_target(engine) -> list[tuple]:  # type: ignore[no-untyped-def]
    config = alembic_config(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0014")
    seed_small_network(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO store_targets (store_id, month, revenue_cents) "
                "VALUES ('S2', '2026-02-01', 123456)"
            )
        )
    migrate(engine)
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT scope, subject, period, first_day, last_day, metric, amount, version, "
                    "set_by, superseded_at FROM franchise_targets"
                )
            )
        ]


def _expected(rows):  # type: ignore[no-untyped-def]
    (row,) = rows
    assert row[:3] == ("store", "S2", "2026-02")
    assert str(row[3]) == "2026-02-01" and str(row[4]) == "2026-02-28"
    assert row[5:] == ("revenue", 123456, 1, "migration 0015", None)


def test_old_store_targets_become_version_1_on_sqlite(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'old.db'}")
    _expected(_upgrade_with_an_old_target(engine))
    engine.dispose()


def test_old_store_targets_become_version_1_on_postgresql():
    if not PG_URL:
        pytest.skip("needs STORENET_TEST_PG_URL")
    schema = f"mig15_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = open_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        _expected(_upgrade_with_an_old_target(engine))
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
