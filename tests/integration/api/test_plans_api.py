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
