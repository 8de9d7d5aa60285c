"""Nightly plans started over the API or from the console, run as background jobs
(storenet.http.jobs) whose progress lives in `plan_jobs`, so any worker can answer for
one. One plan job at a time per home (the planner keeps its demand state in one file).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Connection, Engine, insert, select, update

from storenet.audit.chain import record
from storenet.errors import NotFound
from storenet.http.jobs import JobRunner, Progress
from storenet.http.service import Service
from storenet.planning.service import run_plan
from storenet.store.engine import reading, unit_of_work
from storenet.store.schema import plan_jobs

COLUMNS = frozenset(plan_jobs.c.keys())


def get_job(conn: Connection, job_id: str) -> dict:
    """A plan job's status and progress as stored; NotFound if there is none."""
    row = conn.execute(select(plan_jobs).where(plan_jobs.c.id == job_id)).first()
    if row is None:
        raise NotFound("plan job", job_id)
    return dict(row._mapping)


class PlanJobTable:
    """Plan jobs as rows of `plan_jobs`; a new one is audited ("plan.start") in the
    transaction that writes it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, job: dict) -> None:
        def work(conn: Connection) -> None:
            conn.execute(insert(plan_jobs).values(_columns(job)))
            record(
                conn, job["started_by"], "plan.start", f"job:{job['id']}", None, {"day": job["day"]}
            )

        unit_of_work(self.engine, work)

    def update(self, job_id: str, values: dict) -> None:
        unit_of_work(
            self.engine,
            lambda conn: conn.execute(
                update(plan_jobs).where(plan_jobs.c.id == job_id).values(_columns(values))
            ),
        )

    def get(self, job_id: str) -> dict:
        with reading(self.engine) as conn:
            return get_job(conn, job_id)


def _columns(values: dict) -> dict:
    """The values `plan_jobs` has columns for (a job may carry more, e.g. seconds)."""
    return {k: v for k, v in values.items() if k in COLUMNS}


def plan_runner(svc: Service) -> JobRunner:
    """The runner of this service's plan jobs (lock file `<home>/jobs/plan.lock`)."""
    lock = svc.settings.home / "jobs" / "plan.lock"
    return svc.runner("plan", lambda: JobRunner("plan", lock, PlanJobTable(svc.engine)))


def start_plan_job(svc: Service, actor: str, day: date | None) -> dict:
    """Start planning deliveries for `day` (default: after the last day of history) in
    the background as `actor` (audited); returns the job. Conflict (409) while another
    plan job runs. The caller checks plan.write first."""

    def work(progress: Progress) -> dict:
        header, _ = run_plan(svc.settings, svc.engine, day, progress=progress)
        return {"plan_id": header["id"]}

    job = {
        "id": f"job-{uuid.uuid4().hex[:16]}",
        "started_by": actor,
        "day": day.isoformat() if day else None,
    }
    return plan_runner(svc).start(job, work)


def plan_job(svc: Service, job_id: str) -> dict:
    """A plan job by id (NotFound); one whose worker stopped is answered as failed."""
    return plan_runner(svc).get(job_id)


def cancel_plan_job(svc: Service, actor: str, job_id: str) -> dict:
    """Ask plan job `job_id` to stop, as `actor` (audited "plan.job_cancel"); it ends as
    "cancelled" at its next progress report, having saved nothing. Returns the job.
    NotFound; Conflict (409) when it is not running. The caller checks plan.write."""
    job = plan_runner(svc).cancel(job_id)
    unit_of_work(
        svc.engine,
        lambda conn: record(
            conn, actor, "plan.job_cancel", f"job:{job_id}", {"status": "running"}, None
        ),
    )
    return job
