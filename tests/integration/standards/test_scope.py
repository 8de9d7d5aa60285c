"""Who sees which audits: a standards auditor the stores assigned to him, a franchise
owner his own stores; one outside answers as a missing audit."""

from __future__ import annotations

import pytest

from storenet.accounts.errors import Denied
from storenet.standards import actions
from tests.integration.standards.standards_support import (
    TODAY,
    TWO_FAIL,
    person,
    run,
    score_all,
    start,
    submit,
)


@pytest.fixture
def audited(std):
    """A submitted audit with failures at each store (S1, S2 by aud_east; S3 by
    aud_s3; S4 by hq)."""
    ids = {}
    for store, who in (("S1", "aud_east"), ("S2", "aud_east"), ("S3", "aud_s3"), ("S4", "hq")):
        ids[store] = start(std, store, who)
        score_all(std, ids[store], TWO_FAIL, who)
        submit(std, ids[store], who)
    return std, ids


def _stores(rows):  # type: ignore[no-untyped-def]
    return sorted({r["store_id"] for r in rows})


@pytest.mark.parametrize(
    ("name", "seen"),
    [
        ("aud_east", ["S1", "S2"]),
        ("aud_s3", ["S3"]),
        ("fr_f1", ["S2"]),
        ("fr_f2", ["S3"]),
        ("auditor", ["S1", "S2", "S3", "S4"]),
        ("hq", ["S1", "S2", "S3", "S4"]),
    ],
)
def test_each_role_lists_the_audits_actions_and_scores_of_its_own_stores_only(audited, name, seen):
    engine, _ = audited
    who = person(engine, name)
    assert _stores(run(engine, lambda conn: actions.list_audits(conn, who))) == seen
    assert _stores(run(engine, lambda conn: actions.list_actions(conn, who, today=TODAY))) == seen
    assert _stores(run(engine, lambda conn: actions.latest_scores(conn, who))) == seen


def test_an_audit_outside_the_scope_answers_as_a_missing_one(audited):
    engine, ids = audited
    for name, foreign in (("fr_f1", "S3"), ("aud_east", "S3"), ("aud_s3", "S1")):
        who = person(engine, name)
        with pytest.raises(Denied) as denied:
            run(
                engine, lambda conn, who=who, foreign=foreign: actions.read(conn, who, ids[foreign])
            )
        assert denied.value.hidden and denied.value.kind == "standards audit"
        assert denied.value.target == ids[foreign]


def test_an_auditor_audits_only_his_assigned_stores(std):
    who = person(std, "aud_s3")
    start(std, "S3", "aud_s3")
    with pytest.raises(Denied) as denied:
        run(
            std,
            lambda conn: actions.start(
                conn, who, key="k", store_id="S1", template_id="store-standard"
            ),
        )
    assert denied.value.hidden


def test_franchise_owners_and_the_network_auditor_may_not_audit(std):
    for name in ("fr_f1", "auditor", "planner"):
        who = person(std, name)
        with pytest.raises(Denied) as denied:
            run(
                std,
                lambda conn, who=who: actions.start(
                    conn, who, key="k", store_id="S2", template_id="store-standard"
                ),
            )
        assert not denied.value.hidden


def test_ending_an_assignment_takes_the_stores_away_at_once(audited):
    engine, ids = audited
    hq = person(engine, "hq")
    run(
        engine,
        lambda conn: actions.assign(conn, hq, key="end", auditor="aud_s3", store_id="S3", end=True),
    )
    who = person(engine, "aud_s3")
    assert run(engine, lambda conn: actions.list_audits(conn, who)) == []
    with pytest.raises(Denied):
        run(engine, lambda conn: actions.read(conn, who, ids["S3"]))
