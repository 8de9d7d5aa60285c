"""Background jobs of the service (nightly plans, simulations): one runner for every
kind, with progress, cancellation and one job of a kind at a time.

A job runs in a thread of the worker that accepted it. Its state (status "running",
"done", "failed" or "cancelled", stage, done, total, then its result or error) lives in
its kind's `JobStore`, which every worker can read and write: plan jobs in the
`plan_jobs` table, simulation runs as JSON files under the home. One job of a kind at
a time: the runner holds an exclusive lock on the kind's lock file under the home
(flock, where the OS has it; a thread lock otherwise) for the whole job, so a second
start on any worker sharing the home is a Conflict (409). If the worker running a job
dies, its lock goes with it: a job still "running" whose lock is free is answered as
failed.

Cancelling marks the stored job (`cancel_requested`), so a cancel sent to any worker
reaches the one running it: the job stops at its next progress report (the runner
reads the mark at most every PROGRESS_EVERY_S) and ends as "cancelled".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from storenet.errors import Problem, StorenetError
from storenet.http.problems import Conflict
from storenet.store.clock import utc_now

try:  # one job of a kind per home across worker processes, where the OS offers flock
    import fcntl
except ImportError:  # pragma: no cover - not on Linux
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("storenet.http.jobs")
PROGRESS_EVERY_S = 0.5
Progress = Callable[[str, int, int], None]


class JobStore(Protocol):
    """Where a kind's jobs live. `create` writes a new job (a dict with at least id,
    status, stage, started_by, started_at); `update` changes some of its values (a
    store keeps those it has room for); `get` reads one (NotFound if unknown)."""

    def create(self, job: dict) -> None: ...

    def update(self, job_id: str, values: dict) -> None: ...

    def get(self, job_id: str) -> dict: ...


class JobCancelled(Exception):
    """Raised inside a job, at its next progress report, once it was cancelled."""


_THREAD_LOCKS: dict[Path, threading.Lock] = {}
_THREAD_LOCKS_LOCK = threading.Lock()


class _KindLock:
    """One job of a kind at a time: a thread lock per lock file in this process and an
    flock on the file for the other processes sharing the home."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with _THREAD_LOCKS_LOCK:
            self._thread_lock = _THREAD_LOCKS.setdefault(path, threading.Lock())

    def take(self) -> Any:
        """Take the lock without waiting; a handle to `release`, or None if it is held."""
        if not self._thread_lock.acquire(blocking=False):
            return None
        if fcntl is None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+")  # noqa: SIM115 - held across threads
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            self._thread_lock.release()
            return None
        return handle

    def release(self, handle: Any) -> None:
        if fcntl is not None:
            handle.close()  # closing the file releases the flock
        self._thread_lock.release()


class JobRunner:
    """Runs the jobs of one kind (e.g. "plan", "simulation") kept in `store`, one at a
    time per `lock_path` (a file under the home). A job failing with one of
    `refusals` is stored with the error's message; any other error is logged and
    stored as an internal error."""

    def __init__(
        self,
        kind: str,
        lock_path: Path,
        store: JobStore,
        refusals: tuple[type[Exception], ...] = (StorenetError,),
    ) -> None:
        self.kind = kind
        self.store = store
        self.refusals = refusals
        self._lock = _KindLock(Path(lock_path))
        self._cancels: dict[str, threading.Event] = {}

    def start(self, job: dict, work: Callable[[Progress], dict]) -> dict:
        """Create `job` (id, started_by and the kind's own fields; status, stage,
        done, total and started_at are set here) and run `work(progress)` in a
        background thread; `work` returns the values to store with the finished job.
        Returns the job as stored. Conflict (409) while a job of this kind runs."""
        handle = self._lock.take()
        if handle is None:
            raise Conflict(Problem(self.kind, f"another {self.kind} job is running; try later"))
        try:
            job = {
                "status": "running",
                "stage": "queued",
                "done": 0,
                "total": 0,
                "started_at": utc_now(),
                **job,
            }
            self.store.create(job)
            self._cancels[job["id"]] = threading.Event()
            threading.Thread(
                target=self._run, args=(job["id"], work, handle), daemon=True, name=job["id"]
            ).start()
            return self.store.get(job["id"])
        except BaseException:
            self._lock.release(handle)
            raise

    def cancel(self, job_id: str) -> dict:
        """Ask job `job_id` to stop at its next progress report, wherever it runs; it
        then ends as "cancelled". Returns the job as stored (NotFound if unknown);
        Conflict (409) if it is not running any more."""
        job = self.get(job_id)
        if job["status"] != "running":
            raise Conflict(Problem(self.kind, f"the job is {job['status']}; nothing to cancel"))
        self.store.update(job_id, {"cancel_requested": True})
        event = self._cancels.get(job_id)
        if event is not None:
            event.set()
        return self.store.get(job_id)

    def get(self, job_id: str) -> dict:
        """A job by id (NotFound if none). A job still "running" whose worker has gone
        (the kind's lock is free) is answered as failed."""
        job = self.store.get(job_id)
        if job["status"] != "running":
            return job
        handle = self._lock.take()
        if handle is None:
            return job
        try:  # nobody runs it; re-read: it may have finished just now
            job = self.store.get(job_id)
        finally:
            self._lock.release(handle)
        if job["status"] == "running":
            job.update(status="failed", error="the worker running it stopped")
        return job

    def _run(self, job_id: str, work: Callable[[Progress], dict], handle: Any) -> None:
        started = time.monotonic()
        last = 0.0
        cancelled = self._cancels[job_id]

        def progress(stage: str, done: int, total: int) -> None:
            nonlocal last
            if cancelled.is_set():
                raise JobCancelled()
            now = time.monotonic()
            if now - last < PROGRESS_EVERY_S and done < total:
                return
            last = now
            if self.store.get(job_id).get("cancel_requested"):  # sent to another worker
                raise JobCancelled()
            self.store.update(
                job_id, {"stage": stage[:200], "done": int(done), "total": int(total)}
            )

        end: dict = {}
        try:
            end = {"status": "done", "stage": "done", **work(progress)}
        except JobCancelled:
            end = {"status": "cancelled", "error": "cancelled"}
        except self.refusals as error:
            end = {"status": "failed", "error": str(error)}
        except Exception as error:  # a crashed job must say so, not stay "running"
            log.exception("%s job %s failed", self.kind, job_id)
            end = {"status": "failed", "error": f"internal error: {type(error).__name__}"}
        finally:
            end.update(finished_at=utc_now(), seconds=round(time.monotonic() - started, 1))
            try:
                self.store.update(job_id, end)
            finally:
                del self._cancels[job_id]
                self._lock.release(handle)
