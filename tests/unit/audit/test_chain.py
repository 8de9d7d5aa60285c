"""The audit chain on an in-memory database: appends link, verify finds edits, gaps and
a cut tail."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, delete, text, update

from storenet.audit.chain import record
from storenet.audit.verify import verify_chain
from storenet.store.schema import audit_head, audit_log, metadata


@pytest.fixture
def conn():
    engine = create_engine("sqlite://")
    metadata.create_all(engine, tables=[audit_log, audit_head])
    with engine.begin() as c:
        for i in range(5):
            record(c, "alice", "stock.adjust", f"S1/K{i}", {"on_hand": i}, {"on_hand": i + 1})
        yield c


def test_entries_are_numbered_from_one_and_the_chain_verifies(conn):
    seqs = list(conn.execute(text("SELECT seq FROM audit_log ORDER BY seq")).scalars())
    assert seqs == [1, 2, 3, 4, 5]
    assert verify_chain(conn) == []


def test_an_edited_entry_is_named(conn):
    conn.execute(update(audit_log).where(audit_log.c.seq == 3).values(after='{"on_hand": 99}'))
    assert verify_chain(conn) == ["entry 3: content does not match its hash (edited)"]


def test_a_deleted_entry_shows_as_a_gap(conn):
    conn.execute(delete(audit_log).where(audit_log.c.seq == 2))
    problems = verify_chain(conn)
    assert any("missing" in p and "entry 3" in p for p in problems)


def test_entries_cut_off_the_end_are_noticed(conn):
    conn.execute(delete(audit_log).where(audit_log.c.seq == 5))
    assert any("cut off the end" in p for p in verify_chain(conn))


def test_a_rewritten_chain_with_recomputed_hashes_still_breaks_at_the_head(conn):
    # Re-hashing an edited entry is not enough: the next entry links to the old hash.
    from storenet.audit.chain import entry_hash

    row = conn.execute(audit_log.select().where(audit_log.c.seq == 2)).one()._asdict()
    row["actor"] = "mallory"
    row["hash"] = entry_hash(row)
    conn.execute(
        update(audit_log).where(audit_log.c.seq == 2).values(actor="mallory", hash=row["hash"])
    )
    assert verify_chain(conn) == ["entry 3: does not link to the entry before it"]


def test_a_nul_in_a_denied_path_is_recorded_escaped(conn):
    seq = record(conn, "bob", "denied", "GET /stores/\x00x")
    target = conn.execute(text(f"SELECT target FROM audit_log WHERE seq = {seq}")).scalar()
    assert target == "GET /stores/\\0x"
    assert verify_chain(conn) == []
