"""Snapshots of the database, to prove a refused request wrote nothing."""

from __future__ import annotations

from sqlalchemy import Engine, select

from storenet.store.schema import metadata

# Tables a refused request may touch: the audit trail records the refusal itself.
AUDIT_TABLES = {"audit_log", "audit_head"}


def snapshot(engine: Engine, skip: set[str] = AUDIT_TABLES) -> dict[str, list]:
    """Every row of every table (but `skip`), sorted, for before/after comparisons."""
    out = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name in skip:
                continue
            out[table.name] = sorted(
                (tuple(map(str, r)) for r in conn.execute(select(table))), key=str
            )
    return out


def audit_actions(engine: Engine) -> list[tuple[str, str, str]]:
    """(actor, action, target) of every audit entry, in order."""
    from storenet.store.schema import audit_log

    with engine.connect() as conn:
        q = select(audit_log.c.actor, audit_log.c.action, audit_log.c.target)
        return [tuple(r) for r in conn.execute(q.order_by(audit_log.c.seq))]
