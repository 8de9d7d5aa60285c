"""The story that opens issue 16, end to end over the running service, its console
and the command line (SQLite and PostgreSQL):

A planner sets a franchisee's monthly target and publishes an incentive program; the
franchise owner accepts its terms; he meets his target; the period closes and the
reward is owed; it falls overdue and is raised on the console and in the daily digest;
finance approves it (not the planner who prepared it) and pays it; his statement shows
it paid, with the terms he accepted.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

from typer.testing import CliRunner

from storenet.accounts.users import create_user
from storenet.cli import app
from storenet.store.engine import unit_of_work
from tests.integration.web.conftest import PASSWORD, console  # noqa: F401 - the fixture

TERMS = {
    "period_kind": "month",
    "from_period": "2026-11",
    "basis": "attainment",
    "tiers": [
        {"threshold": "0.90", "payout": "fixed", "amount": "800.00"},
        {"threshold": "1.00", "payout": "share", "rate": "0.03"},
    ],
    "currency": "CNY",
    "due_days": 3,  # due 2026-12-03: overdue by the time this runs (December 2026)
}


def _post(client, url: str, body: dict | None = None, key: str = ""):  # type: ignore[no-untyped-def]
    return client.post(url, json=body or {}, headers={"Idempotency-Key": key or url})


def test_a_promised_reward_is_tracked_from_acceptance_to_payment(console, monkeypatch):  # noqa: F811
    fid = console.people["owner"]["franchisee_id"]
    unit_of_work(
        console.engine,
        lambda c: create_user(c, actor="test", username="fin", role="finance", password=PASSWORD),
    )
    # His November so far (the played POS days, net of returns) against a first
    # target; then the target he meets: 95 % of it.
    with console.sign_in("planner") as planner:
        assert (
            _post(
                planner,
                "/targets",
                {
                    "targets": [
                        {
                            "scope": "franchisee",
                            "subject": fid,
                            "period": "2026-11",
                            "metric": "revenue",
                            "amount": "0.01",
                        }
                    ]
                },
                "t1",
            ).status_code
            == 200
        )
        first = planner.get("/attainment?period=2026-11&scope=franchisee").json()
        actual = next(a["actual"] for a in first if a["subject"] == fid)
        assert actual > 0
        target = Decimal(actual * 95 // 100) / 100
        assert (
            _post(
                planner,
                "/targets",
                {
                    "targets": [
                        {
                            "scope": "franchisee",
                            "subject": fid,
                            "period": "2026-11",
                            "metric": "revenue",
                            "amount": str(target),
                        }
                    ]
                },
                "t2",
            ).status_code
            == 200
        )
        assert (
            _post(planner, "/programs", {"id": "GROW", "name": "Growth bonus"}).status_code == 201
        )
        assert _post(planner, "/programs/GROW/terms", TERMS).status_code == 201
        assert _post(planner, "/programs/GROW/terms/1/publish").status_code == 200
    with console.sign_in("owner") as owner:
        page = owner.get("/console/programs")
        key = re.search(r'name="key" value="([0-9a-f]+)"', page.text).group(1)
        accepted = owner.post("/console/programs/GROW/terms/1/accept", data={"key": key})
        assert "Accepted GROW version 1" in accepted.text
        mine = owner.get("/attainment?period=2026-11&scope=franchisee").json()
    assert [m["subject"] for m in mine] == [fid] and Decimal(mine[0]["share"]) >= 1
    with console.sign_in("planner") as planner:
        closed = _post(planner, "/rewards/close-period", {"period": "2026-11"}).json()
    rid = f"RW-GROW-2026-11-{fid}"
    assert closed["closes"][0]["rewards"] == [rid]
    # Owed, then overdue: raised on the console and in the daily digest.
    with console.sign_in("owner") as owner:
        reward = owner.get(f"/rewards/{rid}").json()
        listed = owner.get("/console/rewards")
    expected = (Decimal(actual) / 100 * Decimal("0.03")).quantize(Decimal("0.01"))
    assert Decimal(reward["amount"]) == expected  # tier 2: 3 % of net sales
    assert reward["status"] == "owed" and reward["overdue"]
    assert 'id="overdue-alert"' in listed.text and rid in listed.text
    monkeypatch.setenv("STORENET_DB", console.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("STORENET_MARKET_TZ", "Asia/Shanghai")
    digest = json.loads(CliRunner().invoke(app, ["rewards", "overdue", "--json"]).output)
    assert [r["id"] for r in digest["rewards"]] == [rid]
    # The planner prepared it and may not approve; finance does, then pays.
    with console.sign_in("planner") as planner:
        assert _post(planner, f"/rewards/{rid}/approve").status_code == 403
    with console.sign_in("fin") as fin:
        assert _post(fin, f"/rewards/{rid}/approve").json()["status"] == "approved"
        paid = _post(
            fin, f"/rewards/{rid}/pay", {"payment_ref": "BANK-2026-12-07", "paid_on": "2026-12-07"}
        )
        assert paid.json()["status"] == "paid"
    digest = json.loads(CliRunner().invoke(app, ["rewards", "overdue", "--json"]).output)
    assert digest["count"] == 0
    with console.sign_in("owner") as owner:
        statement = owner.get(f"/franchisees/{fid}/statement?period=2026-11").json()
        page = owner.get("/console/statement?period=2026-11")
    assert statement["totals"] == {"CNY": {"paid": str(expected)}}
    assert statement["rewards"][0]["payment_ref"] == "BANK-2026-12-07"
    assert statement["terms"][0]["program_id"] == "GROW"
    assert "BANK-2026-12-07" in page.text and "Growth bonus (GROW) version 1" in page.text
