"""Checking the audit chain: every hash, every link, no gap, nothing cut off the end."""

from __future__ import annotations

from sqlalchemy import Connection, select

from storenet.audit.chain import GENESIS, entry_hash
from storenet.store.schema import audit_head, audit_log

BATCH = 5000


def verify_chain(conn: Connection) -> list[str]:
    """Every problem found in the audit trail, as sentences; empty means intact.

    Finds: an entry whose content no longer matches its hash (an edit), a link to a
    previous hash that is not the previous entry's (an edit or insertion), a missing
    sequence number (a deleted entry), and a head that does not match the last entry
    (entries cut off the end).
    """
    problems: list[str] = []
    expected_seq, prev = 1, GENESIS
    last_seq = 0
    while True:
        rows = conn.execute(
            select(audit_log)
            .where(audit_log.c.seq >= expected_seq)
            .order_by(audit_log.c.seq)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for row in rows:
            entry = row._asdict()
            if entry["seq"] != expected_seq:
                problems.append(
                    f"entries {expected_seq}..{entry['seq'] - 1} are missing (gap before "
                    f"entry {entry['seq']})"
                )
            if entry["prev_hash"] != prev:
                problems.append(f"entry {entry['seq']}: does not link to the entry before it")
            if entry_hash(entry) != entry["hash"]:
                problems.append(f"entry {entry['seq']}: content does not match its hash (edited)")
            prev = entry["hash"]
            expected_seq = entry["seq"] + 1
            last_seq = entry["seq"]
    head = conn.execute(select(audit_head.c.seq, audit_head.c.hash)).first()
    if head is not None and (head.seq != last_seq or (last_seq and head.hash != prev)):
        problems.append(
            f"the chain ends at entry {last_seq} but its head says {head.seq}: "
            "entries were cut off the end"
        )
    if head is None and last_seq:
        problems.append("entries exist but the chain has no head")
    return problems
