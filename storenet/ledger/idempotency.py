"""Exactly-once external writes.

Every external write carries a key. `run_once` claims the key at the start of the
caller's transaction (a row in `idempotency_keys`, unique in the database), does the
work, and stores the answer in the same transaction. A replay finds the row and gets
the first answer back, byte for byte; the same key with a different payload is refused
with the first differing field named. On PostgreSQL a concurrent duplicate blocks on
the uncommitted row and then sees the committed answer, so it never writes twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from storenet.errors import IdempotencyConflict, Problem, Refused
from storenet.store.engine import upsert_for
from storenet.store.schema import idempotency_keys

MAX_KEY_LENGTH = 200


def canonical(payload: Any) -> str:
    """A stable text form of a JSON-able payload (sorted keys, no spaces)."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)


def first_difference(first: Any, now: Any, path: str = "") -> tuple[str, Any, Any] | None:
    """The first place two JSON-like values differ, as (path, first, now), or None.

    Paths read like ``lines[3].qty``; dict keys are walked in sorted order.
    """
    if isinstance(first, dict) and isinstance(now, dict):
        for k in sorted(set(first) | set(now)):
            sub = f"{path}.{k}" if path else str(k)
            if k not in first or k not in now:
                return sub, first.get(k), now.get(k)
            found = first_difference(first[k], now[k], sub)
            if found:
                return found
        return None
    if isinstance(first, list) and isinstance(now, list):
        for i, (a, b) in enumerate(zip(first, now)):
            found = first_difference(a, b, f"{path}[{i}]")
            if found:
                return found
        if len(first) != len(now):
            return f"{path or 'payload'} length", len(first), len(now)
        return None
    return None if first == now else (path or "payload", first, now)


def check_key(key: str | None) -> str:
    """Refuse a missing, empty or over-long key; return it unchanged otherwise."""
    if not key or not key.strip():
        raise Refused([Problem("idempotency_key", "is required for every external write")])
    if len(key) > MAX_KEY_LENGTH:
        raise Refused([Problem("idempotency_key", f"is longer than {MAX_KEY_LENGTH} characters")])
    return key


def run_once(
    conn: Connection,
    scope: str,
    key: str,
    payload: Any,
    work: Callable[[], dict],
) -> dict:
    """Do `work()` once per (scope, key) and return its JSON-able answer.

    Must run inside the caller's transaction, before anything else it writes. A replay
    with the same payload returns the stored answer and writes nothing; a different
    payload raises IdempotencyConflict naming the first differing field.
    """
    check_key(key)
    text = canonical(payload)
    digest = hashlib.sha256(text.encode()).hexdigest()
    claim = (
        upsert_for(conn)(idempotency_keys)
        .values(
            scope=scope,
            key=key,
            payload_hash=digest,
            payload=text,
            response="",
            created_at=datetime.now(UTC).replace(tzinfo=None),
        )
        .on_conflict_do_nothing()
        .returning(idempotency_keys.c.key)
    )
    if conn.execute(claim).first() is None:
        row = conn.execute(
            select(
                idempotency_keys.c.payload_hash,
                idempotency_keys.c.payload,
                idempotency_keys.c.response,
            ).where(idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)
        ).one()
        if row.payload_hash != digest:
            where = first_difference(json.loads(row.payload), json.loads(text))
            field, was, now = where or ("payload", None, None)
            raise IdempotencyConflict(key=key, field=field, first=was, now=now)
        return json.loads(row.response)
    # Round-trip through JSON so the first answer and every replay are the same value.
    answer = json.loads(canonical(work()))
    conn.execute(
        update(idempotency_keys)
        .where(idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)
        .values(response=canonical(answer))
    )
    return answer
