"""A store's standards score and its history: the score of its latest submitted audit,
and every submitted audit's score by date.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, case, func, select

from storenet.store.schema import standards_actions, standards_audits, stores


def store_history(conn: Connection, store_id: str, limit: int = 50) -> list[dict]:
    """The store's submitted audits, newest first (at most `limit`): id, submitted_at,
    score_bp, auditor."""
    a = standards_audits
    q = (
        select(a.c.id, a.c.submitted_at, a.c.score_bp, a.c.auditor)
        .where(a.c.store_id == store_id, a.c.status == "submitted")
        .order_by(a.c.submitted_at.desc(), a.c.id)
        .limit(limit)
    )
    return [r._asdict() for r in conn.execute(q)]


def store_standing(conn: Connection, store_id: str, today: date, limit: int = 50) -> dict:
    """What the store page shows: {"score_bp" (latest, None when never audited),
    "audited_at", "history" (newest first), "open_actions", "overdue_actions"}
    (overdue: open and due before `today`)."""
    history = store_history(conn, store_id, limit)
    x = standards_actions
    open_count, overdue = conn.execute(
        select(
            func.count(x.c.id),
            func.coalesce(func.sum(case((x.c.due_on < today, 1), else_=0)), 0),
        ).where(x.c.store_id == store_id, x.c.status == "open")
    ).one()
    return {
        "score_bp": history[0]["score_bp"] if history else None,
        "audited_at": history[0]["submitted_at"] if history else None,
        "history": history,
        "open_actions": int(open_count),
        "overdue_actions": int(overdue),
    }


def _latest(stores_seen: set[str] | None):  # type: ignore[no-untyped-def]
    """Each store's latest submitted audit (store_id, score_bp, submitted_at), as a
    subquery."""
    a = standards_audits
    ranked = select(
        a.c.store_id,
        a.c.score_bp,
        a.c.submitted_at,
        func.row_number()
        .over(partition_by=a.c.store_id, order_by=(a.c.submitted_at.desc(), a.c.id.desc()))
        .label("n"),
    ).where(a.c.status == "submitted")
    if stores_seen is not None:
        ranked = ranked.where(a.c.store_id.in_(sorted(stores_seen)))
    ranked = ranked.subquery()
    return (
        select(ranked.c.store_id, ranked.c.score_bp, ranked.c.submitted_at)
        .where(ranked.c.n == 1)
        .subquery()
    )


def latest_scores(
    conn: Connection, stores_seen: set[str] | None, limit: int | None = None
) -> list[dict]:
    """Each store's latest submitted audit score, for the stores in `stores_seen`
    (None: every store), lowest score first (at most `limit`): store_id, store_name,
    region_id, score_bp, submitted_at."""
    latest = _latest(stores_seen)
    q = (
        select(
            latest.c.store_id,
            stores.c.name.label("store_name"),
            stores.c.region_id,
            latest.c.score_bp,
            latest.c.submitted_at,
        )
        .join(stores, stores.c.id == latest.c.store_id)
        .order_by(latest.c.score_bp, latest.c.store_id)
    )
    if limit is not None:
        q = q.limit(limit)
    return [r._asdict() for r in conn.execute(q)]


def summary(conn: Connection, stores_seen: set[str] | None, today: date, lowest: int = 10) -> dict:
    """The overview's standards figures for the stores in `stores_seen` (None: every
    store), counted by the database: {"audited" (stores with a submitted audit),
    "mean_bp" (mean of their latest scores, floored; None when none), "lowest" (the
    `lowest` lowest latest scores, as `latest_scores` rows), "overdue" (open corrective
    actions due before `today`)}."""
    latest = _latest(stores_seen)
    audited, total = conn.execute(
        select(func.count(), func.coalesce(func.sum(latest.c.score_bp), 0))
    ).one()
    x = standards_actions
    q = select(func.count(x.c.id)).where(x.c.status == "open", x.c.due_on < today)
    if stores_seen is not None:
        q = q.where(x.c.store_id.in_(sorted(stores_seen)))
    return {
        "audited": int(audited),
        "mean_bp": int(total) // int(audited) if audited else None,
        "lowest": latest_scores(conn, stores_seen, lowest) if audited else [],
        "overdue": int(conn.execute(q).scalar() or 0),
    }
