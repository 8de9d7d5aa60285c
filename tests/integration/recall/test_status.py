"""RELIABILITY 21 for recall campaigns: no state skipped, two concurrent changes of
one campaign (one wins, the other gets a clear conflict), four eyes to close, every
transition dated and audited, nothing deleted (storenet.recall.status, .actions)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from storenet.accounts.errors import Denied
from storenet.errors import Refused
from storenet.recall import actions
from storenet.recall.status import StatusConflict, change_status
from storenet.store.engine import unit_of_work
from storenet.store.schema import audit_log, recall_campaign_transitions, recall_campaigns
from tests.integration.recall.recall_support import person
from tests.integration.reliability.helpers import wide_engine


def _campaign(engine) -> str:  # type: ignore[no-untyped-def]
    who = person(engine, "planner")
    return unit_of_work(
        engine,
        lambda conn: actions.create(
            conn,
            who,
            key="c",
            name="status",
            reason="why",
            severity="advisory",
            remedy="repair",
            scope=[{"kind": "sku", "value": "PH1"}],
        ),
    )["id"]


def _change(engine, campaign_id, action, by="planner", reason=""):  # type: ignore[no-untyped-def]
    return unit_of_work(engine, lambda conn: change_status(conn, campaign_id, action, by, reason))


def test_the_campaign_walks_its_states_each_change_dated_and_audited(stocked):
    campaign = _campaign(stocked)
    _change(stocked, campaign, "complete")
    _change(stocked, campaign, "reopen", reason="a store found more units")
    _change(stocked, campaign, "complete")
    _change(stocked, campaign, "close", by="planner2")
    with stocked.connect() as conn:
        steps = conn.execute(
            select(
                recall_campaign_transitions.c.from_status,
                recall_campaign_transitions.c.to_status,
                recall_campaign_transitions.c.by,
            ).order_by(recall_campaign_transitions.c.id)
        ).all()
        audited = conn.execute(
            select(audit_log.c.action).where(audit_log.c.target == f"recall:{campaign}")
        ).scalars()
        assert list(audited) == [
            "recall.create",
            "recall.complete",
            "recall.reopen",
            "recall.complete",
            "recall.close",
        ]
        assert conn.execute(select(recall_campaigns.c.status)).scalar() == "closed"
    assert steps == [
        ("", "open", "planner"),
        ("open", "completed", "planner"),
        ("completed", "open", "planner"),
        ("open", "completed", "planner"),
        ("completed", "closed", "planner2"),
    ]


@pytest.mark.parametrize(("first", "then"), [([], "close"), (["complete", "close"], "cancel")])
def test_no_state_is_skipped(stocked, first, then):
    campaign = _campaign(stocked)
    for action in first:
        _change(stocked, campaign, action, by="planner2" if action == "close" else "planner")
    with pytest.raises(StatusConflict) as conflict:
        _change(stocked, campaign, then, reason="because")
    assert "nothing was changed" in str(conflict.value)


def test_four_eyes_who_completed_may_not_close(stocked):
    campaign = _campaign(stocked)
    _change(stocked, campaign, "complete")
    with pytest.raises(Denied):
        _change(stocked, campaign, "close")
    _change(stocked, campaign, "close", by="planner2")


def test_a_cancel_must_say_why(stocked):
    campaign = _campaign(stocked)
    with pytest.raises(Refused) as refused:
        _change(stocked, campaign, "cancel")
    assert refused.value.problems[0].field == "reason"


def test_a_replayed_change_answers_the_first_and_writes_nothing_more(stocked):
    campaign = _campaign(stocked)
    who = person(stocked, "planner")

    def complete(conn):  # type: ignore[no-untyped-def]
        return actions.change(conn, who, key="k", campaign_id=campaign, action="complete")

    assert unit_of_work(stocked, complete) == unit_of_work(stocked, complete)
    with stocked.connect() as conn:
        n = len(conn.execute(select(recall_campaign_transitions.c.id)).all())
    assert n == 2


@pytest.mark.postgres
def test_two_concurrent_changes_one_wins_the_other_conflicts(pg_stocked):
    campaign = _campaign(pg_stocked)
    engine = wide_engine(pg_stocked, 2)
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def attempt(action: str) -> None:
        def work(conn):  # type: ignore[no-untyped-def]
            start.wait(timeout=30)
            return change_status(conn, campaign, action, "planner", "race")

        try:
            outcomes.append(unit_of_work(engine, work))
        except StatusConflict as conflict:
            outcomes.append(conflict)

    threads = [threading.Thread(target=attempt, args=("complete",)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    won = [o for o in outcomes if isinstance(o, dict)]
    lost = [o for o in outcomes if isinstance(o, StatusConflict)]
    assert len(won) == 1 and len(lost) == 1
    # The loser waited on the row lock, then saw the campaign completed already.
    assert lost[0].status == "completed"
    with pg_stocked.connect() as conn:
        n = len(conn.execute(select(recall_campaign_transitions.c.id)).all())
    assert n == 2
