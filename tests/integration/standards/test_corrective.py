"""Corrective actions: opened by failed items with their due dates, closed only by a
re-audit passing the item, overdue exactly from the day after the due date."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from storenet.standards import actions
from storenet.store.schema import standards_action_transitions, standards_actions
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


def _actions(engine, who="hq", today=TODAY, **filters):  # type: ignore[no-untyped-def]
    p = person(engine, who)
    return run(engine, lambda conn: actions.list_actions(conn, p, today=today, **filters))


def test_failed_items_open_actions_due_after_their_days(std):
    audit = start(std)
    score_all(std, audit, TWO_FAIL)
    done = submit(std, audit)
    assert len(done["opened"]) == 2 and done["closed"] == []
    found = {a["item_code"]: a for a in _actions(std)}
    assert set(found) == {"clean.floor", "display.facing"}
    assert found["clean.floor"]["due_on"] == TODAY + timedelta(days=2)
    assert found["display.facing"]["due_on"] == TODAY + timedelta(days=7)
    assert all(a["status"] == "open" and a["opened_by_audit"] == audit for a in found.values())


def test_overdue_is_raised_exactly_from_the_day_after_the_due_date(std):
    audit = start(std)
    score_all(std, audit, TWO_FAIL)
    submit(std, audit)
    due = TODAY + timedelta(days=2)  # clean.floor
    on_due_day = _actions(std, today=due, only_overdue=True)
    day_after = _actions(std, today=due + timedelta(days=1), only_overdue=True)
    assert on_due_day == []
    assert [a["item_code"] for a in day_after] == ["clean.floor"]
    assert day_after[0]["overdue"] is True
    week_after = _actions(std, today=TODAY + timedelta(days=8), only_overdue=True)
    assert sorted(a["item_code"] for a in week_after) == ["clean.floor", "display.facing"]


def test_a_reaudit_failing_again_keeps_the_one_open_action_and_a_passing_one_closes_it(std):
    first = start(std, key="first")
    score_all(std, first, TWO_FAIL)
    submit(std, first)
    again = start(std, key="again")
    score_all(std, again, TWO_FAIL)
    assert submit(std, again, today=TODAY + timedelta(days=1))["opened"] == []
    open_now = _actions(std, status="open")
    assert len(open_now) == 2 and {a["opened_by_audit"] for a in open_now} == {first}
    fixed = start(std, key="fixed")
    score_all(std, fixed, ALL_PASS)
    assert len(submit(std, fixed, today=TODAY + timedelta(days=5))["closed"]) == 2
    assert _actions(std, status="open") == []
    closed = _actions(std, status="closed")
    assert {a["closed_by_audit"] for a in closed} == {fixed}
    with std.connect() as conn:
        t = standards_action_transitions
        rows = conn.execute(select(t.c.from_status, t.c.to_status, t.c.audit_id).order_by(t.c.id))
        assert [tuple(r) for r in rows] == [
            ("", "open", first),
            ("", "open", first),
            ("open", "closed", fixed),
            ("open", "closed", fixed),
        ]


def test_only_a_passing_submitted_audit_of_the_same_store_closes_an_action(std):
    first = start(std, "S1", key="s1")
    score_all(std, first, TWO_FAIL)
    submit(std, first)
    # S2 passes everything: S1's actions stay open.
    other = start(std, "S2", key="s2")
    score_all(std, other, ALL_PASS)
    submit(std, other)
    # A re-audit of S1 scored all-pass but cancelled closes nothing.
    cancelled = start(std, "S1", key="s1-cancelled")
    score_all(std, cancelled, ALL_PASS)
    who = person(std, "aud_east")
    run(
        std,
        lambda conn: actions.change(
            conn,
            who,
            key="c",
            audit_id=cancelled,
            action="cancel",
            today=TODAY,
            reason="fire drill",
        ),
    )
    with std.connect() as conn:
        rows = conn.execute(select(standards_actions.c.store_id, standards_actions.c.status))
        assert sorted(tuple(r) for r in rows) == [("S1", "open"), ("S1", "open")]


def test_a_store_page_standing_shows_score_history_and_overdue(std):
    first = start(std, key="first")
    score_all(std, first, TWO_FAIL)
    submit(std, first)
    second = start(std, key="second")
    score_all(std, second, ALL_PASS | {"clean.floor": {"passed": False}})
    submit(std, second, today=TODAY + timedelta(days=3))
    fr = person(std, "hq")
    standing = run(std, lambda conn: actions.store_standing(conn, fr, "S1", date(2026, 12, 4)))
    assert standing["score_bp"] == 7000  # 7 of 10: only the floor (weight 3) failed
    assert [h["score_bp"] for h in standing["history"]] == [7000, 5450]
    assert standing["open_actions"] == 1 and standing["overdue_actions"] == 1


def test_the_overview_summary_counts_latest_scores_and_overdue_in_scope(std):
    for store, scores in (("S1", TWO_FAIL), ("S2", ALL_PASS)):
        audit = start(std, store, key=f"ov-{store}")
        score_all(std, audit, scores)
        submit(std, audit)
    hq, fr = person(std, "hq"), person(std, "fr_f1")
    later = TODAY + timedelta(days=3)
    everyone = run(std, lambda conn: actions.overview(conn, hq, later))
    assert (everyone["audited"], everyone["mean_bp"], everyone["overdue"]) == (2, 7725, 1)
    assert [s["store_id"] for s in everyone["lowest"]] == ["S1", "S2"]
    own = run(std, lambda conn: actions.overview(conn, fr, later))
    assert (own["audited"], own["mean_bp"], own["overdue"]) == (1, 10000, 0)
