"""A bulk write leaves the database able to plan its queries: the tables it wrote have
fresh statistics, as part of the write (autovacuum may be off or not have run)."""

from __future__ import annotations

from sqlalchemy import insert

from storenet.store.bulk import analyze
from storenet.store.schema import regions
from tests.integration.statistics import analyzed_tables


def test_analyze_gives_the_named_tables_statistics_and_no_others(engine):
    with engine.begin() as conn:
        conn.execute(insert(regions), [{"id": f"R{i}", "name": f"Region {i}"} for i in range(50)])
        analyze(conn, ["regions"])
    with engine.connect() as conn:
        found = analyzed_tables(conn)
    assert "regions" in found
    assert "movements" not in found
