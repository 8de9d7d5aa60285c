"""An audit's state machine (RELIABILITY 21): started -> submitted | cancelled, no state
skipped, nothing changed after, every transition dated and audited; scoring; one audit
per key."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storenet.errors import IdempotencyConflict, Refused
from storenet.standards import actions
from storenet.standards.status import StatusConflict
from storenet.store.schema import audit_log, standards_audit_transitions, standards_audits
from tests.integration.standards.standards_support import (
    ALL_PASS,
    TODAY,
    TWO_FAIL,
    person,
    run,
    score_all,
    start,
    submit,
)


def test_a_submitted_audit_scores_to_the_hand_count_with_its_sections(std):
    audit = start(std)
    score_all(std, audit, TWO_FAIL)
    done = submit(std, audit)
    # decor 1 + display 2*3/5 + service 1 + floor 0 + uniform 3*3/4 = 5.45 of 10
    assert done["score_bp"] == 5450
    assert done["sections"] == {
        "decor": 10000,
        "display": 6000,
        "service": 10000,
        "cleanliness": 0,
        "staff": 7500,
    }
    hq = person(std, "hq")
    doc = run(std, lambda conn: actions.read(conn, hq, audit))
    assert doc["status"] == "submitted" and doc["score_bp"] == 5450
    floor = next(i for i in doc["items"] if i["code"] == "clean.floor")
    assert floor["result"]["passed"] is False
    assert floor["result"]["note"] == "dust under the counters"


def test_submitting_needs_every_item_scored_naming_the_missing_ones(std):
    audit = start(std)
    score_all(std, audit, {"decor.sign": {"passed": True}})
    with pytest.raises(Refused) as refused:
        submit(std, audit)
    assert {p.field for p in refused.value.problems} == {
        "items.display.facing",
        "items.service.greet",
        "items.clean.floor",
        "items.staff.uniform",
    }
    with std.connect() as conn:
        assert conn.execute(select(standards_audits.c.status)).scalar() == "started"


def test_bad_scores_are_refused_naming_the_field(std):
    audit = start(std)
    who = person(std, "aud_east")
    cases = [
        ("decor.sign", {"score": 1}, "passed"),
        ("display.facing", {"score": 6}, "score"),
        ("display.facing", {"passed": True}, "score"),
        ("nope", {"passed": True}, "code"),
        ("decor.sign", {"passed": True, "note": "x" * 2001}, "note"),
    ]
    for n, (code, given, field) in enumerate(cases):
        with pytest.raises(Refused) as refused:
            run(
                std,
                lambda conn, n=n, code=code, given=given: actions.score(
                    conn, who, key=f"bad-{n}", audit_id=audit, code=code, **given
                ),
            )
        assert refused.value.problems[0].field == field, (code, given)


def test_no_state_is_skipped_and_a_final_audit_changes_no_more(std):
    audit = start(std)
    score_all(std, audit, ALL_PASS)
    who = person(std, "aud_east")
    submit(std, audit)

    def act(action, key, reason=""):  # type: ignore[no-untyped-def]
        return run(
            std,
            lambda conn: actions.change(
                conn, who, key=key, audit_id=audit, action=action, today=TODAY, reason=reason
            ),
        )

    with pytest.raises(StatusConflict) as again:
        act("submit", "submit-2")
    assert "is submitted: submit needs it started" in str(again.value)
    with pytest.raises(StatusConflict):
        act("cancel", "cancel-1", reason="changed my mind")
    with pytest.raises(StatusConflict):
        run(
            std,
            lambda conn: actions.score(
                conn, who, key="late", audit_id=audit, code="decor.sign", passed=False
            ),
        )
    with std.connect() as conn:
        t = standards_audit_transitions
        rows = conn.execute(
            select(t.c.from_status, t.c.to_status, t.c.by)
            .where(t.c.audit_id == audit)
            .order_by(t.c.id)
        ).all()
        assert [tuple(r) for r in rows] == [
            ("", "started", "aud_east"),
            ("started", "submitted", "aud_east"),
        ]
        logged = (
            conn.execute(
                select(audit_log.c.action)
                .where(audit_log.c.target == f"standards-audit:{audit}")
                .order_by(audit_log.c.seq)
            )
            .scalars()
            .all()
        )
        assert logged[0] == "standards.start" and logged[-1] == "standards.submit"
        assert logged.count("standards.score") == 5


def test_a_cancel_says_why_and_is_final(std):
    audit = start(std)
    who = person(std, "aud_east")

    def act(action, key, reason=""):  # type: ignore[no-untyped-def]
        return run(
            std,
            lambda conn: actions.change(
                conn, who, key=key, audit_id=audit, action=action, today=TODAY, reason=reason
            ),
        )

    with pytest.raises(Refused) as refused:
        act("cancel", "c-0")
    assert refused.value.problems[0].field == "reason"
    assert act("cancel", "c-1", "store closed for refit") == {"id": audit, "status": "cancelled"}
    with pytest.raises(StatusConflict):
        act("submit", "s-1")


def test_the_domain_offers_no_way_to_delete_an_audit():
    import storenet.standards as package
    from storenet.standards import actions as acts
    from storenet.standards import audits, corrective, status

    for module in (acts, audits, corrective, status):
        assert not [n for n in dir(module) if "delete" in n.lower() or "remove" in n.lower()]
    assert package


def test_starting_is_once_per_key_and_another_payload_under_it_is_refused(std):
    first = start(std, "S1", key="visit-1")
    assert start(std, "S1", key="visit-1") == first
    with std.connect() as conn:
        assert conn.execute(select(func.count()).select_from(standards_audits)).scalar() == 1
    with pytest.raises(IdempotencyConflict):
        start(std, "S2", key="visit-1")


def test_an_unknown_store_or_template_is_refused_naming_it(std):
    who = person(std, "hq")
    with pytest.raises(Refused) as refused:
        run(
            std,
            lambda conn: actions.start(conn, who, key="k", store_id="S1", template_id="nope"),
        )
    assert [p.field for p in refused.value.problems] == ["template_id"]
