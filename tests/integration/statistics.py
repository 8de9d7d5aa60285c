"""Which tables have planner statistics: the check that bulk writes analyze what they
wrote."""

from __future__ import annotations

from sqlalchemy import Connection, text


def analyzed_tables(conn: Connection) -> set[str]:
    """Tables with planner statistics from an ANALYZE: PostgreSQL's last manual
    analyze of the current schema, SQLite's sqlite_stat1 rows."""
    if conn.dialect.name == "postgresql":
        sql = (
            "SELECT relname FROM pg_stat_user_tables "
            "WHERE schemaname = current_schema() AND last_analyze IS NOT NULL"
        )
        return set(conn.execute(text(sql)).scalars())
    has_stats = conn.execute(
        text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
    ).first()
    if has_stats is None:
        return set()
    return set(conn.execute(text("SELECT DISTINCT tbl FROM sqlite_stat1")).scalars())
