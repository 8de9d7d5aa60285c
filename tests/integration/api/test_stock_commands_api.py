"""Supplier receipts, holds, releases, scrap and reservations over HTTP (issue 13, item
7): each books once per Idempotency-Key (a replay is the same bytes and no second audit
entry), refuses bad input naming the field with nothing written, answers 409 or 422
when there is not enough, 404 for another franchisee's store exactly as for an unknown
one, 403 for a role the policy leaves out; the ledger stays conserved."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from storenet.ledger.verify import conservation_errors, verify_balances
from storenet.store.schema import audit_log
from tests.integration.api.helpers import audit_actions, snapshot


@dataclass(frozen=True)
class Command:
    path: str  # under /stock/{location}
    action: str  # the audit entry's action
    body: dict
    change: dict  # expected change of S1's K1 balance columns
    unknown_sku: dict  # a body naming an unknown SKU: 422 on "sku"
    too_many: dict  # more than there is: (status, field)
    too_many_answer: tuple[int, str]
    denied: str  # a user whose role may not do the action


K1 = {"sku": "K1", "qty": 5}
COMMANDS = {
    "receipt": Command(
        "receipts",
        "stock.receive",
        {"lines": [{"sku": "K1", "qty": 5}], "document": "DN-7"},
        {"on_hand": 5},
        {"lines": [{"sku": "K1", "qty": 5}, {"sku": "NOPE", "qty": 1}]},
        {"lines": [{"sku": "PH1", "qty": 2, "serials": ["P-S1-1", "NEW-1"]}]},
        (422, "serials"),
        "auditor",
    ),
    "hold": Command(
        "holds",
        "stock.hold",
        {**K1, "reason": "water damage"},
        {"on_hand": -5, "held": 5},
        {"sku": "NOPE", "qty": 1, "reason": "x"},
        {"sku": "K1", "qty": 21, "reason": "x"},
        (409, "qty"),
        "planner",
    ),
    "release": Command(
        "holds/release",
        "stock.release",
        {"sku": "K1", "qty": 2, "reason": "checked, fine"},
        {"on_hand": 2, "held": -2},
        {"sku": "NOPE", "qty": 1, "reason": "x"},
        {"sku": "K1", "qty": 4, "reason": "x"},
        (422, "qty"),
        "sm_s1",
    ),
    "scrap": Command(
        "scrap",
        "stock.scrap",
        {**K1, "reason": "broken"},
        {"on_hand": -5},
        {"sku": "NOPE", "qty": 1, "reason": "x"},
        {"sku": "K1", "qty": 21, "reason": "x"},
        (409, "qty"),
        "auditor",
    ),
    "reserve": Command(
        "reservations",
        "stock.reserve",
        {**K1, "reference": "web-1001"},
        {"reserved": 5},
        {"sku": "NOPE", "qty": 1, "reference": "x"},
        {"sku": "K1", "qty": 21, "reference": "x"},
        (409, "qty"),
        "planner",
    ),
    "unreserve": Command(
        "reservations/release",
        "stock.unreserve",
        {"sku": "K1", "qty": 2, "reference": "web-1001"},
        {"reserved": -2},
        {"sku": "NOPE", "qty": 1, "reference": "x"},
        {"sku": "K1", "qty": 4, "reference": "x"},
        (422, "qty"),
        "auditor",
    ),
}
# What a release needs first: 3 units held / reserved at S1.
PREPARE = {
    "release": ("holds", {"sku": "K1", "qty": 3, "reason": "doubt"}),
    "unreserve": ("reservations", {"sku": "K1", "qty": 3, "reference": "web-1001"}),
}


def _k1(c, location: str = "S1") -> dict:  # type: ignore[no-untyped-def]
    r = c.get(f"/stock/{location}", params={"sku": "K1"})
    assert r.status_code == 200, r.text
    return r.json()["items"][0]


def _prepare(api, name: str) -> None:  # type: ignore[no-untyped-def]
    if name in PREPARE:
        path, body = PREPARE[name]
        with api.client("admin") as c:
            r = c.post(f"/stock/S1/{path}", json=body, headers={"Idempotency-Key": "prep"})
            assert r.status_code == 200, r.text


def _conserved(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        assert verify_balances(conn) == [] and conservation_errors(conn) == {}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_stock_command_books_once_replays_the_same_bytes_and_is_audited_once(api, name):
    # given
    cmd = COMMANDS[name]
    _prepare(api, name)
    actor = "rm_east" if name == "release" else "sm_s1"
    with api.client(actor) as c:
        before = _k1(c)
        # when: sent, then replayed
        first = c.post(f"/stock/S1/{cmd.path}", json=cmd.body, headers={"Idempotency-Key": "k1"})
        again = c.post(f"/stock/S1/{cmd.path}", json=cmd.body, headers={"Idempotency-Key": "k1"})
        after = _k1(c)
    # then: booked once, the same answer twice
    assert first.status_code == 200, first.text
    assert first.content == again.content
    assert {k: after[k] - before[k] for k in cmd.change} == cmd.change
    assert all(
        after[k] == before[k] for k in ("on_hand", "reserved", "held") if k not in cmd.change
    )
    target = "S1" if name == "receipt" else "S1/K1"
    assert [a for a in audit_actions(api.engine) if a[1] == cmd.action and a[0] == actor] == [
        (actor, cmd.action, target)
    ]
    with api.engine.connect() as conn:
        entry = conn.execute(
            select(audit_log.c.before, audit_log.c.after).where(audit_log.c.actor == actor)
        ).one()
    assert entry.before and entry.after
    _conserved(api.engine)


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_stock_command_refuses_bad_input_shortage_foreign_stores_and_roles_writing_nothing(
    api, name
):
    # given
    cmd = COMMANDS[name]
    _prepare(api, name)
    url = f"/stock/S1/{cmd.path}"
    before = snapshot(api.engine)
    audited = [a for a in audit_actions(api.engine) if a[1] == cmd.action]
    with api.client("admin") as c:
        # when: an unknown SKU, a malformed quantity, more than there is
        unknown = c.post(url, json=cmd.unknown_sku, headers={"Idempotency-Key": "u"})
        malformed = {**cmd.body, "qty": True} if "qty" in cmd.body else {"lines": []}
        bad = c.post(url, json=malformed, headers={"Idempotency-Key": "m"})
        short = c.post(url, json=cmd.too_many, headers={"Idempotency-Key": "s"})
        keyless = c.post(url, json=cmd.body)
    # then: each refusal names its field
    assert unknown.status_code == 422, unknown.text
    assert "sku" in [p["field"] for p in unknown.json()["problems"]]
    assert bad.status_code == 422 and bad.json()["problems"][0]["field"] in ("qty", "lines")
    status, field = cmd.too_many_answer
    assert short.status_code == status, short.text
    assert field in [p["field"] for p in short.json()["problems"]]
    assert keyless.status_code == 400
    # when: franchise owner F1 (or, where he may not act at all, the manager of region
    # EAST) on F2's store S3 (in WEST), and on a store that does not exist
    with api.client("rm_east" if name == "release" else "fr_f1") as c:
        theirs = c.post(f"/stock/S3/{cmd.path}", json=cmd.body, headers={"Idempotency-Key": "f"})
        ghost = c.post(
            f"/stock/NOWHERE/{cmd.path}", json=cmd.body, headers={"Idempotency-Key": "f"}
        )
    # then: the same answer, naming the id asked for
    assert theirs.status_code == ghost.status_code == 404
    assert theirs.text.replace('"S3"', '"NOWHERE"').replace("'S3'", "'NOWHERE'") == ghost.text
    # when: a role the policy leaves out
    with api.client(cmd.denied) as c:
        denied = c.post(url, json=cmd.body, headers={"Idempotency-Key": "d"})
    assert denied.status_code == 403, denied.text
    # then: nothing was written but the audit entries of the refusals
    assert snapshot(api.engine) == before
    assert [a for a in audit_actions(api.engine) if a[1] == cmd.action] == audited


def test_a_key_reused_for_another_command_is_refused_naming_the_difference(api):
    hold = {"sku": "K1", "qty": 1, "reason": "same words"}
    with api.client("admin") as c:
        first = c.post("/stock/S1/holds", json=hold, headers={"Idempotency-Key": "one"})
        other = c.post("/stock/S1/holds/release", json=hold, headers={"Idempotency-Key": "one"})
    assert first.status_code == 200
    assert other.status_code == 422
    assert other.json()["problems"][0]["field"] == "cmd"


def test_a_delivery_of_phones_places_each_new_serial_at_the_store(api):
    body = {"lines": [{"sku": "PH1", "qty": 2, "serials": ["NEW-1", "NEW-2"]}]}
    with api.client("sm_s1") as c:
        r = c.post("/stock/S1/receipts", json=body, headers={"Idempotency-Key": "ph"})
        assert r.status_code == 200, r.text
        assert r.json()["units"] == 2
        assert c.get("/serials/NEW-1").status_code == 200
    _conserved(api.engine)


def test_a_delivery_note_is_booked_once_per_store_whoever_books_it(api):
    delivery = {"lines": [{"sku": "K1", "qty": 5}], "document": "DN-ONCE"}
    with api.client("admin") as c:
        first = c.post("/stock/S1/receipts", json=delivery, headers={"Idempotency-Key": "a"})
        assert first.status_code == 200, first.text
    before = snapshot(api.engine)
    with api.client("sm_s1") as c:
        again = c.post("/stock/S1/receipts", json=delivery, headers={"Idempotency-Key": "b"})
    assert again.status_code == 422, again.text
    [problem] = again.json()["problems"]
    assert problem["field"] == "document" and "booked into S1 already" in problem["reason"]
    assert snapshot(api.engine) == before
    with api.client("admin") as c:  # the same note at another store is another delivery
        other = c.post("/stock/S2/receipts", json=delivery, headers={"Idempotency-Key": "c"})
        assert other.status_code == 200, other.text
