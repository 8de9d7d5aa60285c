"""The nightly plan over HTTP: a background job with progress, explained lines, edit,
approve, release once; each decision audited exactly once."""

from __future__ import annotations

import time

import pytest

from storenet.accounts.tokens import issue_token
from storenet.accounts.users import create_user
from storenet.datagen import NetworkSpec, generate
from storenet.imports import import_folder
from storenet.store.engine import unit_of_work
from tests.integration.api.helpers import audit_actions
from tests.integration.api.server import TEST_SECRET, ServerThread, test_settings


@pytest.fixture
def planner_api(engine, tmp_path, monkeypatch):
    from tests.integration.api.conftest import Api, _password_hash

    monkeypatch.setattr("storenet.accounts.users.hash_password", _password_hash)
    generate(NetworkSpec(stores=20, skus=30, days=90, seed=5), tmp_path)
    import_folder(engine, tmp_path / "master")

    def people(conn):  # type: ignore[no-untyped-def]
        tokens = {}
        for name, role in (("planner", "hq_planner"), ("auditor", "auditor")):
            user = create_user(
                conn, actor="test", username=name, role=role, password="long enough password"
            )
            tokens[name], _ = issue_token(conn, TEST_SECRET, user["id"], "session", None)
        return tokens

    tokens = unit_of_work(engine, people)
    server = ServerThread(test_settings(engine, tmp_path)).start()
    yield Api(url=server.url, engine=engine, tokens=tokens)
    server.stop()


@pytest.mark.slow
def test_a_plan_runs_in_the_background_then_is_read_edited_approved_and_released_once(
    planner_api,
):
    api = planner_api
    with api.client("planner") as c:
        # when: the job starts
        job = c.post("/plans/jobs", json={}).json()
        assert job["status"] == "running"
        deadline = time.monotonic() + 240
        while job["status"] == "running" and time.monotonic() < deadline:
            time.sleep(0.5)
            job = c.get(f"/plans/jobs/{job['id']}").json()
        # then: it finished with a plan, its progress counted up
        assert job["status"] == "done", job
        assert job["total"] >= 1 and job["plan_id"]
        plan_id = job["plan_id"]
        lines = c.get(f"/plans/{plan_id}/lines", params={"limit": 5}).json()
        first = lines["items"][0]
        assert {"forecast_mean", "forecast_quantile", "target", "position", "cut_reason"} <= set(
            first
        )
        # edit, approve, release, release again
        edited = c.put(f"/plans/{plan_id}/lines/{first['line_no']}", json={"qty": 0})
        assert edited.status_code == 200 and edited.json()["qty"] == 0
        assert c.post(f"/plans/{plan_id}/approve").json()["status"] == "approved"
        assert (
            c.put(f"/plans/{plan_id}/lines/{first['line_no']}", json={"qty": 1}).status_code == 422
        )
        released = c.post(f"/plans/{plan_id}/release")
        again = c.post(f"/plans/{plan_id}/release")
        assert released.status_code == again.status_code == 200
        assert released.json() == again.json()
        assert released.json()["status"] == "released"
    actions = [a[1] for a in audit_actions(api.engine) if a[1].startswith("plan.")]
    assert actions == ["plan.start", "plan.edit", "plan.approve", "plan.release"]
    with api.client("auditor") as c:
        assert c.post(f"/plans/{plan_id}/approve").status_code == 403


@pytest.fixture
def planned_api(engine, tmp_path, monkeypatch):
    """A drafted plan over a small network, a planner and a regional manager running
    one region (tokens), and the service."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from storenet.network.ownership import change_region_manager
    from storenet.planning.service import run_plan
    from storenet.settings import Settings
    from storenet.store.schema import stores
    from tests.integration.api.conftest import Api, _password_hash

    monkeypatch.setattr("storenet.accounts.users.hash_password", _password_hash)
    generate(NetworkSpec(stores=20, skus=30, days=90, seed=5), tmp_path)
    import_folder(engine, tmp_path / "master")
    header, _ = run_plan(Settings(home=tmp_path, db_url=str(engine.url)), engine)

    def people(conn):  # type: ignore[no-untyped-def]
        region = conn.execute(select(stores.c.region_id).order_by(stores.c.id)).scalar()
        tokens = {}
        for name, role in (("planner", "hq_planner"), ("rm", "regional_manager")):
            user = create_user(
                conn, actor="test", username=name, role=role, password="long enough password"
            )
            tokens[name], _ = issue_token(conn, TEST_SECRET, user["id"], "session", None)
        change_region_manager(conn, region, "rm", datetime.now(UTC))
        return tokens

    tokens = unit_of_work(engine, people)
    server = ServerThread(test_settings(engine, tmp_path)).start()
    yield Api(url=server.url, engine=engine, tokens=tokens), header
    server.stop()


def test_a_regional_manager_reads_his_regions_counts_of_a_plan_not_the_networks(planned_api):
    from dataclasses import asdict

    from storenet.accounts.principal import Principal
    from storenet.accounts.scope import visible_stores
    from storenet.planning.review import exception_counts

    api, header = planned_api
    plan_id = header["id"]
    with api.client("planner") as c:
        network_wide = c.get(f"/plans/{plan_id}").json()
    with api.client("rm") as c:
        scoped = c.get(f"/plans/{plan_id}").json()
    assert network_wide["summary"] == header["summary"]
    with api.engine.connect() as conn:
        rm = Principal(user_id=0, username="rm", role="regional_manager", token_id=0, token_kind="")
        seen = visible_stores(conn, rm)
        expected = asdict(exception_counts(conn, plan_id, seen))
    assert seen and len(seen) < header["summary"]["stores"]
    assert scoped["summary"]["scope"] == "stores"
    assert scoped["summary"]["stores"] == len(seen)
    assert scoped["summary"]["exceptions"] == expected
    assert scoped["summary"]["exceptions"]["lines"] < header["summary"]["exceptions"]["lines"]
    # Nothing network-wide is left in the scoped summary.
    assert "units_allocated" not in scoped["summary"] and "pairs" not in scoped["summary"]
    assert {k: v for k, v in scoped.items() if k != "summary"} == {
        k: v for k, v in network_wide.items() if k != "summary"
    }


def test_an_approved_plan_reopens_and_is_cancelled_over_http_each_audited_with_its_reason(
    planned_api,
):
    api, header = planned_api
    plan_id = header["id"]
    with api.client("planner") as c:
        assert c.post(f"/plans/{plan_id}/approve").json()["status"] == "approved"
        # a reason is required, and named when missing
        missing = c.post(f"/plans/{plan_id}/reopen", json={"reason": ""})
        assert missing.status_code == 422 and "reason" in missing.text
        reopened = c.post(f"/plans/{plan_id}/reopen", json={"reason": "fix an edit"})
        assert reopened.status_code == 200 and reopened.json()["status"] == "draft"
        cancelled = c.post(f"/plans/{plan_id}/cancel", json={"reason": "start over"})
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        again = c.post(f"/plans/{plan_id}/cancel", json={"reason": "start over"})
        assert again.status_code == 200 and again.json()["status"] == "cancelled"
        refused = c.post(f"/plans/{plan_id}/release")
        assert refused.status_code == 422 and "cancelled" in refused.text
    with api.client("rm") as c:
        assert c.post(f"/plans/{plan_id}/cancel", json={"reason": "x"}).status_code == 403
    actions = [a[1] for a in audit_actions(api.engine) if a[1].startswith("plan.")]
    assert actions == ["plan.approve", "plan.reopen", "plan.cancel"]


def test_a_running_plan_job_is_cancelled_over_http_and_saves_nothing(planner_api, monkeypatch):
    import threading

    from sqlalchemy import func, select

    from storenet.store.schema import plans

    started = threading.Event()

    def slow_plan(settings, engine, day=None, progress=None):  # type: ignore[no-untyped-def]
        started.set()
        for step in range(600):  # a minute at most, reporting progress
            progress("forecast", step, 600)
            time.sleep(0.1)
        raise AssertionError("the job was not cancelled")

    monkeypatch.setattr("storenet.http.plan_jobs.run_plan", slow_plan)
    api = planner_api
    with api.client("planner") as c:
        job = c.post("/plans/jobs", json={}).json()
        assert started.wait(10)
        cancelled = c.post(f"/plans/jobs/{job['id']}/cancel")
        assert cancelled.status_code == 202 and cancelled.json()["cancel_requested"] is True
        deadline = time.monotonic() + 20
        while (job := c.get(f"/plans/jobs/{job['id']}").json())["status"] == "running":
            assert time.monotonic() < deadline, job
            time.sleep(0.2)
        assert job["status"] == "cancelled"
        assert c.post(f"/plans/jobs/{job['id']}/cancel").status_code == 409
        assert c.post("/plans/jobs/job-none/cancel").status_code == 404
    with api.client("auditor") as c:
        assert c.post(f"/plans/jobs/{job['id']}/cancel").status_code == 403
    with api.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(plans)).scalar() == 0
    actions = [a[1] for a in audit_actions(api.engine) if a[1].startswith("plan.")]
    assert actions == ["plan.start", "plan.job_cancel"]
