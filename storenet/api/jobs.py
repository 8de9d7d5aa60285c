"""Nightly plans started over the API, run in a background thread of this worker.

The job's progress lives in `plan_jobs`, so any worker can answer for it. One plan job
runs at a time per process (the planner keeps its demand state in one file).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import date

from sqlalchemy import Connection, insert, select, update

from storenet.api.deps import Conflict, Service
from storenet.audit.chain import record
from storenet.errors import NotFound, Problem, StorenetError
from storenet.planning.service import run_plan
from storenet.store.clock import utc_now
from storenet.store.schema import plan_jobs

log = logging.getLogger("storenet.api.jobs")
_RUNNING = threading.Lock()
PROGRESS_EVERY_S = 0.5


def start_plan_job(svc: Service, actor: str, day: date | None) -> dict:
    """Start planning deliveries for `day` (default: after the last day of history) in
    the background; returns the job. Conflict (409) while another plan job runs here."""
    if not _RUNNING.acquire(blocking=False):
        raise Conflict(Problem("plan job", "another plan is being computed; try later"))
    try:
        job_id = f"job-{uuid.uuid4().hex[:16]}"

        def create(conn: Connection) -> dict:
            conn.execute(
                insert(plan_jobs).values(
                    id=job_id,
                    status="running",
                    stage="queued",
                    started_by=actor,
                    started_at=utc_now(),
                )
            )
            record(
                conn,
                actor,
                "plan.start",
                f"job:{job_id}",
                None,
                {"day": day.isoformat() if day else None},
            )
            return get_job(conn, job_id)

        job = svc.write(create)
        threading.Thread(target=_run, args=(svc, job_id, day), daemon=True).start()
        return job
    except BaseException:
        _RUNNING.release()
        raise


def get_job(conn: Connection, job_id: str) -> dict:
    """A plan job's status and progress; NotFound if there is none."""
    row = conn.execute(select(plan_jobs).where(plan_jobs.c.id == job_id)).first()
    if row is None:
        raise NotFound("plan job", job_id)
    return dict(row._mapping)


def _run(svc: Service, job_id: str, day: date | None) -> None:
    last = 0.0

    def progress(stage: str, done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last < PROGRESS_EVERY_S and done < total:
            return
        last = now
        _set(svc, job_id, stage=stage[:200], done=int(done), total=int(total))

    try:
        header, _ = run_plan(svc.settings.core(), svc.engine, day, progress=progress)
        _set(svc, job_id, status="done", stage="done", plan_id=header["id"], finished_at=utc_now())
    except StorenetError as error:
        _set(svc, job_id, status="failed", error=str(error), finished_at=utc_now())
    except Exception as error:  # a crashed job must say so, not stay "running"
        log.exception("plan job %s failed", job_id)
        _set(
            svc,
            job_id,
            status="failed",
            error=f"internal error: {type(error).__name__}",
            finished_at=utc_now(),
        )
    finally:
        _RUNNING.release()


def _set(svc: Service, job_id: str, **values: object) -> None:
    svc.write(
        lambda conn: conn.execute(
            update(plan_jobs).where(plan_jobs.c.id == job_id).values(**values)
        )
    )
