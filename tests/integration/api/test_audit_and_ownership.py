"""Audit in the same transaction (RELIABILITY item 17) and ownership changes over HTTP:
the old owner loses access at once, the new one sees the store's whole history."""

from __future__ import annotations

from sqlalchemy import text

from tests.integration.api.helpers import audit_actions


def _entries(api, action: str) -> list:  # type: ignore[no-untyped-def]
    return [a for a in audit_actions(api.engine) if a[1] == action]


def test_a_manual_adjustment_writes_one_audit_entry_with_before_and_after(api):
    # given
    body = {"sku": "K2", "delta": -3, "reason": "broken in the stock room"}
    # when: sent, then replayed
    with api.client("sm_s1") as c:
        first = c.post("/stock/S1/adjustments", json=body, headers={"Idempotency-Key": "a1"})
        again = c.post("/stock/S1/adjustments", json=body, headers={"Idempotency-Key": "a1"})
    # then
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert _entries(api, "stock.adjust") == [("sm_s1", "stock.adjust", "S1/K2")]
    with api.client("auditor") as c:
        entry = c.get("/audit", params={"action": "stock.adjust"}).json()["items"][0]
    assert '"on_hand": 20' in entry["before"] and '"on_hand": 17' in entry["after"]
    assert entry["at"] and entry["actor"] == "sm_s1"


def test_a_refused_action_leaves_no_audit_entry(api):
    before = audit_actions(api.engine)
    with api.client("admin") as c:
        short = c.post(
            "/stock/S1/adjustments",
            json={"sku": "K2", "delta": -500, "reason": "x"},
            headers={"Idempotency-Key": "a2"},
        )
        unknown = c.put("/stores/S1/owner", json={"franchisee_id": "NO-SUCH"})
        draft = c.post("/plans/plan-2026-01-01/release")
    assert short.status_code in (409, 422)
    assert unknown.status_code == 404 and draft.status_code == 404
    assert audit_actions(api.engine) == before


def test_role_changes_logins_and_ownership_changes_are_audited_once_each(api):
    with api.client("admin") as c:
        assert (
            c.put(f"/users/{api.user_ids['auditor']}/role", json={"role": "hq_planner"}).status_code
            == 200
        )
        assert c.put("/stores/S4/owner", json={"franchisee_id": "F1"}).status_code == 200
        assert c.put("/stores/S4/owner", json={"franchisee_id": "F1"}).status_code == 200
    with api.client() as c:
        assert (
            c.post("/auth/login", json={"username": "planner", "password": "nope nope"}).status_code
            == 401
        )
    assert len(_entries(api, "user.role")) == 1
    assert len(_entries(api, "store.owner")) == 1  # the second change changed nothing
    assert _entries(api, "login.failed") == [("anonymous", "login.failed", "user:planner")]


def test_the_audit_chain_verifies_and_shows_an_edit(api):
    # given: some audited actions
    with api.client("admin") as c:
        c.put("/stores/S4/owner", json={"franchisee_id": "F2"})
        c.put("/regions/WEST/manager", json={"manager": "someone"})
        assert c.get("/audit/verify").json() == {"intact": True, "problems": []}
    # when: someone with database access edits an entry behind the triggers' back
    with api.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
        conn.execute(text("UPDATE audit_log SET actor = 'someone else' WHERE seq = 2"))
    # then
    with api.client("auditor") as c:
        report = c.get("/audit/verify").json()
    assert report["intact"] is False
    assert any("entry 2" in p and "edited" in p for p in report["problems"])


def test_the_audit_log_refuses_update_and_delete(api):
    import pytest
    from sqlalchemy.exc import DBAPIError

    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError), api.engine.begin() as conn:
            conn.execute(text(statement))


def test_when_a_store_changes_owner_the_old_owner_loses_it_and_the_new_one_sees_its_history(api):
    # given: F1 owns S2 and sold there
    with api.client("fr_f1") as c:
        assert c.get("/stock/S2").status_code == 200
    # when
    with api.client("admin") as c:
        assert c.put("/stores/S2/owner", json={"franchisee_id": "F2"}).status_code == 200
    # then
    with api.client("fr_f1") as c:
        assert c.get("/stock/S2").status_code == 404
        assert c.get("/stores/S2").status_code == 404
        assert "S2" not in c.get("/stores").text
    with api.client("fr_f2") as c:
        past = c.get("/stock/S2", params={"as_of": "2025-06-02T00:00:00"})
        store = c.get("/stores/S2").json()
    assert past.status_code == 200
    assert {r["sku_id"]: r["on_hand"] for r in past.json()["items"]} == {"K1": 20, "K2": 20}
    assert [o["franchisee_id"] for o in store["owners"]] == ["F1", "F2"]


def test_a_store_closes_once_and_the_change_is_audited(api):
    with api.client("admin") as c:
        closed = c.put("/stores/S4/status", json={"status": "closed", "on": "2026-12-31"})
        again = c.put("/stores/S4/status", json={"status": "closed", "on": "2026-12-31"})
        reopen = c.put("/stores/S4/status", json={"status": "open"})
        store = c.get("/stores/S4").json()
    assert closed.status_code == again.status_code == 200
    assert closed.json()["changed"] and not again.json()["changed"]
    assert reopen.status_code == 422 and reopen.json()["problems"][0]["field"] == "status"
    assert (store["status"], store["closed_on"]) == ("closed", "2026-12-31")
    assert len(_entries(api, "store.status")) == 1
