"""Two submissions of one audit at once, on PostgreSQL (RELIABILITY 21): the audit's
row lock lets one win; the other waits, sees it submitted and gets a clear conflict,
with nothing of it written (one transition, one audit entry, one set of actions)."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from storenet.standards.status import StatusConflict, change_status
from storenet.store.engine import unit_of_work
from storenet.store.schema import audit_log, standards_actions, standards_audit_transitions
from tests.integration.standards.standards_support import TODAY, TWO_FAIL, score_all, start


def test_two_concurrent_submits_one_wins_the_other_gets_a_conflict(pg_std):
    engine = pg_std
    audit = start(engine)
    score_all(engine, audit, TWO_FAIL)
    held = threading.Event()
    ended: dict[str, object] = {}

    def first() -> None:
        def work(conn):  # type: ignore[no-untyped-def]
            answer = change_status(conn, audit, "submit", "aud_east", today=TODAY)
            held.set()
            time.sleep(0.5)  # the second is blocked on the audit's row meanwhile
            return answer

        ended["first"] = unit_of_work(engine, work)

    def second() -> None:
        held.wait(10)
        try:
            ended["second"] = unit_of_work(
                engine, lambda conn: change_status(conn, audit, "submit", "hq", today=TODAY)
            )
        except StatusConflict as error:
            ended["second"] = error

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert ended["first"]["status"] == "submitted"  # type: ignore[index]
    assert isinstance(ended["second"], StatusConflict)
    assert "is submitted: submit needs it started" in str(ended["second"])
    with engine.connect() as conn:
        t = standards_audit_transitions
        moves = conn.execute(
            select(t.c.to_status, t.c.by).where(t.c.audit_id == audit).order_by(t.c.id)
        ).all()
        assert [tuple(m) for m in moves] == [("started", "aud_east"), ("submitted", "aud_east")]
        submits = conn.execute(
            select(func.count()).where(
                audit_log.c.target == f"standards-audit:{audit}",
                audit_log.c.action == "standards.submit",
            )
        ).scalar()
        assert submits == 1
        assert conn.execute(select(func.count()).select_from(standards_actions)).scalar() == 2


def test_two_audits_of_one_store_submitted_at_once_open_each_action_once(pg_std):
    engine = pg_std
    audits = [start(engine, "S1", key=f"visit-{n}") for n in (1, 2)]
    for audit in audits:
        score_all(engine, audit, TWO_FAIL)
    go = threading.Barrier(2)
    ended: dict[str, object] = {}

    def submit(audit: str) -> None:
        go.wait(10)
        try:
            ended[audit] = unit_of_work(
                engine, lambda conn: change_status(conn, audit, "submit", "aud_east", today=TODAY)
            )
        except Exception as error:  # noqa: BLE001 - reported to the test
            ended[audit] = error

    threads = [threading.Thread(target=submit, args=(a,)) for a in audits]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert all(isinstance(ended[a], dict) for a in audits), ended
    # The store's lock queues the second: it finds the first's actions open.
    assert sorted(len(ended[a]["opened"]) for a in audits) == [0, 2]  # type: ignore[index]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(standards_actions)).scalar() == 2
