"""RELIABILITY 22 for recall notifications: each message delivered exactly once per
attempt key even when the sink fails and is retried, or the process dies between the
send and the mark; contacts move one step at a time, dated (storenet.recall.outbox,
.sinks)."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from sqlalchemy import select

import storenet.recall.outbox as outbox
from storenet.recall.campaigns import create_campaign
from storenet.recall.funnel import funnel
from storenet.recall.outbox import (
    ContactConflict,
    advance_contact,
    deliver_pending,
    queue_notifications,
)
from storenet.recall.sinks import FileSink, SinkFailed, WebhookSink
from storenet.sales.ingest import ingest_pos_batch
from storenet.store.engine import unit_of_work
from storenet.store.schema import recall_contact_events, recall_contacts, recall_outbox
from tests.integration.recall.recall_support import sale
from tests.integration.reliability.helpers import wide_engine


def _campaign(engine) -> str:  # type: ignore[no-untyped-def]
    campaign = unit_of_work(
        engine,
        lambda conn: create_campaign(
            conn,
            name="notify",
            reason="battery may swell",
            severity="stop_sale",
            remedy="replace",
            by="planner",
            scope=[{"kind": "sku", "value": "PH1"}],
        ),
    )["id"]
    # A second buyer: B-1 sold at S2 with a reference (A-3's buyer is known already).
    unit_of_work(
        engine,
        lambda conn: ingest_pos_batch(
            conn, key="b1", lines=[sale("S2", "PH1", "B-1", "R-B1", buyer="buyer-2")]
        ),
    )
    return campaign


def _queue(engine, campaign, retry=False) -> int:  # type: ignore[no-untyped-def]
    return unit_of_work(engine, lambda conn: queue_notifications(conn, campaign, "planner", retry))


def _lines(path) -> list[dict]:  # type: ignore[no-untyped-def]
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class Flaky:
    """A sink that fails its first `failures` sends, then passes them to `inner`."""

    def __init__(self, inner, failures: int) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.failures, self.calls = inner, failures, 0

    def send(self, key: str, message: dict) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise SinkFailed("the sink is down")
        self.inner.send(key, message)


def test_queueing_twice_queues_each_contact_once(stocked):
    campaign = _campaign(stocked)
    assert _queue(stocked, campaign) == 2
    assert _queue(stocked, campaign) == 0
    with stocked.connect() as conn:
        keys = sorted(conn.execute(select(recall_outbox.c.key)).scalars())
    assert keys == [f"{campaign}:A-3:1", f"{campaign}:B-1:1"]


def test_a_failing_sink_is_retried_and_each_message_lands_once(stocked, tmp_path):
    campaign = _campaign(stocked)
    _queue(stocked, campaign)
    sink = Flaky(FileSink(tmp_path / "out.jsonl"), failures=3)
    first = deliver_pending(stocked, sink)
    assert first == {"sent": 0, "failed": 2}
    second = deliver_pending(stocked, sink)
    assert second == {"sent": 1, "failed": 1}
    assert deliver_pending(stocked, sink) == {"sent": 1, "failed": 0}
    assert deliver_pending(stocked, sink) == {"sent": 0, "failed": 0}
    got = _lines(tmp_path / "out.jsonl")
    assert sorted(m["key"] for m in got) == [f"{campaign}:A-3:1", f"{campaign}:B-1:1"]
    with stocked.connect() as conn:
        tries = dict(conn.execute(select(recall_outbox.c.serial, recall_outbox.c.tries)).all())
        statuses = set(conn.execute(select(recall_contacts.c.status)).scalars())
    assert sum(tries.values()) == 5 and statuses == {"contacted"}


def test_dying_between_send_and_mark_sends_the_same_key_again_and_the_sink_keeps_one(
    stocked, tmp_path, monkeypatch
):
    campaign = _campaign(stocked)
    _queue(stocked, campaign)
    path = tmp_path / "out.jsonl"

    def die(conn, message_id):  # type: ignore[no-untyped-def]
        raise SystemExit("killed between send and mark")

    monkeypatch.setattr(outbox, "mark_sent", die)
    with pytest.raises(SystemExit):
        deliver_pending(stocked, FileSink(path))
    monkeypatch.undo()
    # A new process (a new sink object reading the file) delivers everything.
    assert deliver_pending(stocked, FileSink(path)) == {"sent": 2, "failed": 0}
    keys = [m["key"] for m in _lines(path)]
    assert sorted(keys) == sorted(set(keys)) == [f"{campaign}:A-3:1", f"{campaign}:B-1:1"]


def test_a_line_cut_short_by_a_crash_is_sent_again_whole(stocked, tmp_path):
    campaign = _campaign(stocked)
    _queue(stocked, campaign)
    path = tmp_path / "out.jsonl"
    path.write_text('{"key": "' + campaign + ':A-3:1", "ser')  # the crash, mid-line
    assert deliver_pending(stocked, FileSink(path))["sent"] == 2
    good = []
    for line in path.read_text().splitlines():
        try:
            good.append(json.loads(line)["key"])
        except ValueError:
            continue
    assert sorted(good) == [f"{campaign}:A-3:1", f"{campaign}:B-1:1"]


def test_a_retry_is_a_new_attempt_with_its_own_key(stocked, tmp_path):
    campaign = _campaign(stocked)
    _queue(stocked, campaign)
    deliver_pending(stocked, FileSink(tmp_path / "out.jsonl"))
    assert _queue(stocked, campaign, retry=True) == 2
    assert _queue(stocked, campaign, retry=True) == 0  # one pending attempt at a time
    deliver_pending(stocked, FileSink(tmp_path / "out.jsonl"))
    keys = sorted(m["key"] for m in _lines(tmp_path / "out.jsonl"))
    assert keys == sorted(f"{campaign}:{s}:{n}" for s in ("A-3", "B-1") for n in (1, 2))


def test_the_webhook_sink_sends_the_key_and_fails_on_a_refusal(stocked):
    campaign = _campaign(stocked)
    _queue(stocked, campaign)
    seen: list[str] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        key = request.headers["Idempotency-Key"]
        if not seen:
            seen.append("refused")
            return httpx.Response(503)
        seen.append(key)
        return httpx.Response(200)

    sink = WebhookSink(
        "http://receiver/recalls", httpx.Client(transport=httpx.MockTransport(receiver))
    )
    assert deliver_pending(stocked, sink) == {"sent": 1, "failed": 1}
    assert deliver_pending(stocked, sink) == {"sent": 1, "failed": 0}
    assert sorted(seen[1:]) == [f"{campaign}:A-3:1", f"{campaign}:B-1:1"]


def test_contacts_move_one_step_at_a_time_and_remedied_shows_in_the_funnel(stocked, tmp_path):
    campaign = _campaign(stocked)
    _queue(stocked, campaign)
    deliver_pending(stocked, FileSink(tmp_path / "out.jsonl"))

    def step(to):  # type: ignore[no-untyped-def]
        return unit_of_work(
            stocked, lambda conn: advance_contact(conn, campaign, "A-3", to, "planner")
        )

    with pytest.raises(ContactConflict, match="recall contact"):
        step("remedied")
    for to in ("responded", "returned", "remedied"):
        step(to)
    with stocked.connect() as conn:
        events = conn.execute(
            select(recall_contact_events.c.from_status, recall_contact_events.c.to_status)
            .where(recall_contact_events.c.serial == "A-3")
            .order_by(recall_contact_events.c.id)
        ).all()
        figures = funnel(conn, campaign)
    assert [e.to_status for e in events] == ["contacted", "responded", "returned", "remedied"]
    assert figures["remedied"] == 1


@pytest.mark.postgres
def test_two_deliverers_at_once_deliver_each_message_once(pg_stocked, tmp_path):
    campaign = _campaign(pg_stocked)
    _queue(pg_stocked, campaign)
    engine = wide_engine(pg_stocked, 4)
    delivered: list[str] = []
    lock = threading.Lock()

    class Recorder:
        def send(self, key: str, message: dict) -> None:
            with lock:
                delivered.append(key)

    threads = [
        threading.Thread(target=deliver_pending, args=(engine, Recorder())) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(delivered) == [f"{campaign}:A-3:1", f"{campaign}:B-1:1"]
