"""The migrations build exactly the schema the code declares (storenet.store.schema)."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storenet.store.engine import open_engine
from storenet.store.migrate import alembic_config, migrate
from storenet.store.schema import metadata


def test_migrated_database_matches_the_declared_schema(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_an_sqlite_database_with_plans_upgrades_through_a_copied_parent_table(tmp_path):
    # 0009 changes the CHECK on `plans`, which SQLite does by copying the table while
    # `plan_lines` point at it: existing lines must survive and foreign keys stay on.
    engine = open_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = alembic_config(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0008")
    line = (
        "INSERT INTO plan_lines (plan_id, line_no, kind, source_id, store_id, sku_id, qty, "
        "planned_qty, forecast_mean, forecast_quantile, service_level, position, target, "
        "requested, transfer_no) VALUES (:plan, 1, 'replenish', 'W', 'S', 'K', 1, 1, 1, 1, "
        "0.9, 0, 1, 1, 0)"
    )
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO plans (id, for_day, status, created_at) "
                "VALUES ('p', '2026-01-01', 'draft', '2026-01-01 00:00:00')"
            )
        )
        conn.execute(text(line), {"plan": "p"})
    migrate(engine)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM plan_lines")).scalar() == 1
        conn.execute(text("UPDATE plans SET status = 'cancelled'"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(line), {"plan": "no such plan"})
    engine.dispose()
