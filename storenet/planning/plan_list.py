"""Plans as listed: their headers a page at a time, the plan job still running, and
what releasing a plan would ship."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, func, select

from storenet.store.schema import plan_jobs, plan_lines, plans


@dataclass(frozen=True)
class PlanHeader:
    """A plan as listed: id, delivery day, status, times and its headline figures
    (`summary`, network-wide, as the planner wrote them)."""

    id: str
    for_day: date
    status: str
    created_at: datetime
    approved_at: datetime | None
    approved_by: str | None
    released_at: datetime | None
    summary: dict


@dataclass(frozen=True)
class PlanList:
    """One page of plans, latest delivery day first; `next_offset` None on the last."""

    plans: list[PlanHeader]
    offset: int
    limit: int
    next_offset: int | None


def list_plans(conn: Connection, *, limit: int = 20, offset: int = 0) -> PlanList:
    """A page of plans, latest delivery day first (reads `limit + 1` headers)."""
    rows = conn.execute(
        select(plans).order_by(plans.c.for_day.desc(), plans.c.id).limit(limit + 1).offset(offset)
    ).all()
    headers = [
        PlanHeader(**{**r._asdict(), "summary": json.loads(r.summary or "{}")})
        for r in rows[:limit]
    ]
    return PlanList(headers, offset, limit, offset + limit if len(rows) > limit else None)


def running_plan_job(conn: Connection) -> str | None:
    """The id of the latest plan job still running, if any (so a page opened while a
    plan computes shows its progress)."""
    return conn.execute(
        select(plan_jobs.c.id)
        .where(plan_jobs.c.status == "running")
        .order_by(plan_jobs.c.started_at.desc())
        .limit(1)
    ).scalar()


@dataclass(frozen=True)
class ReleasePreview:
    """What releasing a plan would ship: transfers (one per transfer number with units
    to move), their lines and units."""

    transfers: int
    lines: int
    units: int


def release_preview(conn: Connection, plan_id: str) -> ReleasePreview:
    """What `documents.release_plan` would create for plan `plan_id` now (lines of
    zero units are left out, as the release does). One aggregate over the plan."""
    c = plan_lines.c
    row = conn.execute(
        select(
            func.count(func.distinct(c.transfer_no)),
            func.count(),
            func.coalesce(func.sum(c.qty), 0),
        ).where(c.plan_id == plan_id, c.qty > 0)
    ).one()
    return ReleasePreview(int(row[0]), int(row[1]), int(row[2]))
