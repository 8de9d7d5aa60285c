"""The one job runner of the service: progress, cancellation, one job of a kind at a
time (Conflict), and what a failed or orphaned job says."""

from __future__ import annotations

import threading
import time

import pytest

from storenet.errors import NotFound, Problem, Refused
from storenet.http.jobs import JobRunner
from storenet.http.problems import Conflict


class MemoryJobs:
    """A JobStore in a dict."""

    def __init__(self) -> None:
        self.jobs: dict[str, dict] = {}

    def create(self, job: dict) -> None:
        self.jobs[job["id"]] = dict(job)

    def update(self, job_id: str, values: dict) -> None:
        self.jobs[job_id].update(values)

    def get(self, job_id: str) -> dict:
        if job_id not in self.jobs:
            raise NotFound("job", job_id)
        return dict(self.jobs[job_id])


def _finished(runner: JobRunner, job_id: str) -> dict:
    deadline = time.monotonic() + 10
    while (job := runner.get(job_id))["status"] == "running":
        assert time.monotonic() < deadline, job
        time.sleep(0.01)
    return job


def _start_when_free(runner: JobRunner, job: dict, work) -> dict:  # type: ignore[no-untyped-def]
    # A finished job's state is written before its lock is let go: wait for the lock.
    deadline = time.monotonic() + 10
    while True:
        try:
            return runner.start(job, work)
        except Conflict:
            assert time.monotonic() < deadline
            time.sleep(0.01)


def test_one_job_of_a_kind_at_a_time_with_progress_and_a_result(tmp_path):
    runner = JobRunner("plan", tmp_path / "plan.lock", MemoryJobs())
    go = threading.Event()

    def work(progress):  # type: ignore[no-untyped-def]
        progress("reading", 1, 2)
        go.wait(10)
        return {"plan_id": "plan-1"}

    first = runner.start({"id": "job-1", "started_by": "ann"}, work)
    assert first["status"] == "running" and first["started_by"] == "ann"
    with pytest.raises(Conflict) as busy:
        runner.start({"id": "job-2", "started_by": "bob"}, work)
    assert busy.value.problem.field == "plan"
    # Another worker sharing the home (another runner on the same lock file) waits too.
    with pytest.raises(Conflict):
        JobRunner("plan", tmp_path / "plan.lock", MemoryJobs()).start({"id": "x"}, work)
    go.set()
    done = _finished(runner, "job-1")
    assert done["status"] == "done" and done["plan_id"] == "plan-1"
    assert (done["stage"], done["done"], done["total"]) == ("done", 1, 2)
    # Then the next one may start.
    assert _start_when_free(runner, {"id": "job-3"}, lambda p: {})["id"] == "job-3"
    assert _finished(runner, "job-3")["status"] == "done"


def test_a_cancelled_job_stops_at_its_next_progress_report(tmp_path):
    runner = JobRunner("simulation", tmp_path / "sim.lock", MemoryJobs())
    steps = []

    def work(progress):  # type: ignore[no-untyped-def]
        for step in range(1000):
            progress("replay", step, 1000)
            steps.append(step)
            time.sleep(0.005)
        return {}

    runner.start({"id": "sim-1", "started_by": "ann"}, work)
    time.sleep(0.05)
    assert runner.cancel("sim-1")["cancel_requested"] is True
    job = _finished(runner, "sim-1")
    assert (job["status"], job["error"]) == ("cancelled", "cancelled")
    assert len(steps) < 1000
    with pytest.raises(Conflict):  # nothing left to cancel
        runner.cancel("sim-1")
    with pytest.raises(NotFound):
        runner.cancel("sim-404")


def test_a_cancel_sent_to_another_worker_stops_the_job_where_it_runs(tmp_path):
    # Two runners over one store and one lock file: two workers sharing the home.
    jobs = MemoryJobs()
    running_here = JobRunner("plan", tmp_path / "plan.lock", jobs)
    other_worker = JobRunner("plan", tmp_path / "plan.lock", jobs)
    steps = []

    def work(progress):  # type: ignore[no-untyped-def]
        for step in range(2000):
            progress("forecast", step, 2000)
            steps.append(step)
            time.sleep(0.002)
        return {}

    running_here.start({"id": "job-1", "started_by": "ann"}, work)
    time.sleep(0.05)
    other_worker.cancel("job-1")
    job = _finished(running_here, "job-1")
    assert job["status"] == "cancelled"
    assert len(steps) < 2000


def test_a_refusal_is_stored_as_said_and_a_crash_as_an_internal_error(tmp_path):
    runner = JobRunner("plan", tmp_path / "plan.lock", MemoryJobs())

    def refused(progress):  # type: ignore[no-untyped-def]
        raise Refused([Problem("history", "holds no sales")])

    def crashed(progress):  # type: ignore[no-untyped-def]
        raise KeyError("oops")

    runner.start({"id": "job-1", "started_by": "ann"}, refused)
    assert "history: holds no sales" in _finished(runner, "job-1")["error"]
    _start_when_free(runner, {"id": "job-2", "started_by": "ann"}, crashed)
    assert _finished(runner, "job-2")["error"] == "internal error: KeyError"


def test_a_job_whose_worker_stopped_is_answered_as_failed(tmp_path):
    store = MemoryJobs()
    store.create({"id": "job-1", "status": "running", "started_by": "ann"})
    job = JobRunner("plan", tmp_path / "plan.lock", store).get("job-1")
    assert (job["status"], job["error"]) == ("failed", "the worker running it stopped")
