"""Writing audit entries: one per sensitive action, in the action's own transaction.

Entry n's hash is SHA-256 over its content and entry n-1's hash, so changing any
entry breaks every hash after it. `audit_head` (one row) holds the newest sequence
number and hash: appending locks it, which numbers entries without gaps under
concurrency, and lets `verify_chain` notice entries cut from the end. Because the entry
is written in the caller's transaction, a rolled-back action leaves no entry.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from storenet.store.clock import utc_now
from storenet.store.engine import upsert_for
from storenet.store.schema import audit_head, audit_log

GENESIS = "0" * 64


def _text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


def _plain(value: str) -> str:
    # A denied request's path may carry a NUL, which PostgreSQL text cannot hold.
    return value.replace("\x00", "\\0")


def entry_hash(entry: dict) -> str:
    """The hash of an entry's content (seq, at, actor, action, target, before, after)
    chained to `prev_hash`."""
    content = [
        entry["seq"],
        entry["at"].isoformat(timespec="microseconds"),
        entry["actor"],
        entry["action"],
        entry["target"],
        entry["before"],
        entry["after"],
        entry["prev_hash"],
    ]
    return hashlib.sha256(json.dumps(content, separators=(",", ":")).encode()).hexdigest()


def record(
    conn: Connection,
    actor: str,
    action: str,
    target: str = "",
    before: Any = None,
    after: Any = None,
    at: datetime | None = None,
) -> int:
    """Append one audit entry in `conn`'s transaction; returns its sequence number.

    `actor` is who (a username, or "anonymous"), `action` what ("login.failed",
    "stock.adjust", ...), `target` on what, `before`/`after` JSON-able states. `at` is
    naive UTC (default now). Concurrent writers queue on the head row.
    """
    conn.execute(
        upsert_for(conn)(audit_head).values(id=1, seq=0, hash=GENESIS).on_conflict_do_nothing()
    )
    head = conn.execute(
        select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1).with_for_update()
    ).one()
    entry = {
        "seq": head.seq + 1,
        # Microseconds only: both databases keep exactly these.
        "at": (at or utc_now()).replace(tzinfo=None),
        "actor": _plain(actor)[:200],
        "action": _plain(action)[:64],
        "target": _plain(target)[:200],
        "before": _text(before),
        "after": _text(after),
        "prev_hash": head.hash,
    }
    entry["hash"] = entry_hash(entry)
    conn.execute(insert(audit_log).values(**entry))
    conn.execute(
        update(audit_head).where(audit_head.c.id == 1).values(seq=entry["seq"], hash=entry["hash"])
    )
    return entry["seq"]
