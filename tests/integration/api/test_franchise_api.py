"""The franchise relationship over HTTP (issue 16): a planner publishes a program, the
franchise owner accepts it, the period closes, the reward is read (F1 his own only),
disputed, answered, approved by someone other than the preparer and paid; 409 out of
order, 403 for four eyes, 404 for another franchisee's (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from storenet.store.engine import unit_of_work
from storenet.store.schema import sale_lines

TERMS = {
    "period_kind": "month",
    "from_period": "2026-10",
    "basis": "attainment",
    "tiers": [
        {"threshold": "0.80", "payout": "fixed", "amount": "300.00"},
        {"threshold": "1.00", "payout": "share", "rate": "0.05"},
    ],
    "currency": "CNY",
    "due_days": 15,
}
RID = "RW-GROW-2026-10-F1"


def _post(api, user, url, body=None, key=None):  # type: ignore[no-untyped-def]
    with api.client(user) as c:
        return c.post(url, json=body or {}, headers={"Idempotency-Key": key or url + user})


def _sales(api) -> None:  # type: ignore[no-untyped-def]
    # S2 (F1): 12 x 1000.00 sold, 1 returned: net 11000.00 in October (Shanghai time).
    def work(conn):  # type: ignore[no-untyped-def]
        for n, (kind, qty) in enumerate((("sale", 12), ("return", 1)), start=1):
            conn.execute(
                insert(sale_lines).values(
                    batch_key=f"api-{n}",
                    store_id="S2",
                    device_id="till",
                    receipt_no=f"A{n}",
                    line_no=1,
                    kind=kind,
                    sku_id="K1",
                    qty=qty,
                    unit_price_cents=100_000,
                    sold_at=datetime(2026, 10, 10 + n, 4),
                )
            )

    unit_of_work(api.engine, work)


def test_a_reward_from_program_to_paid_over_http(api):
    _sales(api)
    assert (
        _post(
            api,
            "planner",
            "/targets",
            {
                "targets": [
                    {
                        "scope": "franchisee",
                        "subject": "F1",
                        "period": "2026-10",
                        "metric": "revenue",
                        "amount": "10000.00",
                    }
                ]
            },
        ).status_code
        == 200
    )
    assert _post(api, "planner", "/programs", {"id": "GROW", "name": "Growth"}).status_code == 201
    made = _post(api, "planner", "/programs/GROW/terms", TERMS)
    assert made.status_code == 201, made.text
    refused = _post(api, "fr_f1", "/programs/GROW/terms/1/accept")
    assert refused.status_code == 404  # not published yet: not offered
    assert _post(api, "planner", "/programs/GROW/terms/1/publish").status_code == 200
    accepted = _post(api, "fr_f1", "/programs/GROW/terms/1/accept", key="acc-2")
    assert accepted.status_code == 200 and accepted.json()["franchisee_id"] == "F1"
    with api.client("fr_f1") as c:
        offered = c.get("/programs").json()
        mine = c.get("/attainment?period=2026-10&scope=franchisee").json()
    assert offered[0]["versions"][0]["acceptances"][0]["franchisee_id"] == "F1"
    assert [(a["subject"], a["actual"], a["share"]) for a in mine] == [("F1", 1_100_000, "1.1000")]
    closed = _post(api, "planner", "/rewards/close-period", {"period": "2026-10"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["closes"][0]["rewards"] == [RID]
    with api.client("fr_f1") as c:
        r = c.get(f"/rewards/{RID}").json()
    assert (r["amount"], r["status"], r["due_on"]) == ("550.00", "owed", "2026-11-15")
    assert ["tier reached", "2 (threshold 1.00)"] in r["lines"]
    with api.client("fr_f2") as c:
        assert c.get(f"/rewards/{RID}").status_code == 404
        assert c.get("/rewards").json()["items"] == []
        assert c.get("/franchisees/F1/statement?period=2026-10").status_code == 404
    # Overdue: due 2026-11-15, today is later.
    with api.client("admin") as c:
        digest = c.get("/rewards/overdue").json()
    assert digest["count"] == 1 and digest["rewards"][0]["id"] == RID
    assert (
        _post(
            api, "admin", f"/rewards/{RID}/pay", {"payment_ref": "B", "paid_on": "2026-12-01"}
        ).status_code
        == 409
    )
    assert _post(api, "planner", f"/rewards/{RID}/approve").status_code == 403  # role
    dispute = _post(api, "fr_f1", f"/rewards/{RID}/dispute", {"reason": "late"})
    assert dispute.status_code == 200 and dispute.json()["status"] == "disputed"
    assert (
        _post(api, "admin", f"/rewards/{RID}/resolve", {"answer": "paid this week"}).json()[
            "status"
        ]
        == "resolved"
    )
    assert _post(api, "admin", f"/rewards/{RID}/approve").json()["status"] == "approved"
    paid = _post(
        api,
        "admin",
        f"/rewards/{RID}/pay",
        {"payment_ref": "BANK-42", "paid_on": "2026-12-02"},
        key="pay-2",
    )
    assert paid.json()["status"] == "paid"
    with api.client("fr_f1") as c:
        st = c.get("/franchisees/F1/statement?period=2026-10").json()
    assert st["totals"] == {"CNY": {"paid": "550.00"}}
    assert st["stores"][0]["net"] == "11000.00"
    assert st["terms"][0]["program_id"] == "GROW"
