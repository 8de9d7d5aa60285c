"""Bring a database to the newest schema with Alembic, and seed the virtual locations."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config pointing at storenet's migrations; the connection is passed in
    `config.attributes["connection"]`, so no URL (or password) goes through it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Upgrade the schema at `engine` to the newest revision. Safe to call every start.

    On SQLite, foreign keys are off while the migrations run and checked whole before
    they commit: SQLite changes a table by copying it, and dropping the old copy of a
    table other tables point at would otherwise fail (the way SQLite's documentation
    prescribes for such changes).
    """
    config = alembic_config(engine)
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # Outside any transaction: inside one, SQLite ignores this pragma.
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
