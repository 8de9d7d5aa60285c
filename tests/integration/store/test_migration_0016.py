"""Migration 0016 (store standards) goes down and up again on SQLite: the role
standards_auditor is allowed after it and refused before it, and a standards auditor
left at the downgrade is disabled (never left able to sign in with another role)."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from storenet.store.engine import open_engine
from storenet.store.migrate import alembic_config, migrate

USER = (
    "INSERT INTO users (username, role, created_at, disabled, failed_logins) "
    "VALUES (:name, :role, '2026-12-01 00:00:00', false, 0)"
)


def test_0016_downgrades_and_upgrades_again(tmp_path):
    engine = open_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(text(USER), {"name": "aud", "role": "standards_auditor"})
    config = alembic_config(engine)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0014")
    assert "standards_audits" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        row = conn.execute(text("SELECT role, disabled FROM users WHERE username = 'aud'")).one()
    assert (row.role, bool(row.disabled)) == ("auditor", True)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(USER), {"name": "aud2", "role": "standards_auditor"})
    migrate(engine)
    assert "standards_audits" in inspect(engine).get_table_names()
    with engine.begin() as conn:
        conn.execute(text(USER), {"name": "aud3", "role": "standards_auditor"})
    engine.dispose()
