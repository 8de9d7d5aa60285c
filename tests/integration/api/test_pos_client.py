"""The reference POS client keeps batches on disk until acknowledged: a dropped
connection after the server committed, or a crash before sending, loses nothing and
doubles nothing."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from storenet.pos_client import Outbox, send_pending, spool_lines
from storenet.store.schema import sale_lines
from tests.integration.api.conftest import sale


class DropsFirstAnswers(httpx.HTTPTransport):
    """Delivers each request but loses the first `n` answers, like a cut connection."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.left = n

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if self.left > 0:
            self.left -= 1
            response.read()
            raise httpx.ReadError("connection reset by peer", request=request)
        return response


def _stored(api) -> int:  # type: ignore[no-untyped-def]
    with api.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(sale_lines)).scalar()


def test_a_lost_answer_is_resent_and_the_server_writes_each_line_once(api, tmp_path):
    # given: 25 lines in 3 batches, and a network that loses the first 2 answers
    box = Outbox(tmp_path / "till")
    spool_lines(box, [sale(n, receipt="C1") for n in range(1, 26)], batch_size=10)
    before = _stored(api)
    client = httpx.Client(base_url=api.url, transport=DropsFirstAnswers(2))
    # when
    report = send_pending(box, client, api.tokens["pos_s2"], sleep=lambda s: None)
    # then
    assert (report.acknowledged, report.pending, report.retries) == (3, 0, 2)
    assert _stored(api) - before == 25
    assert box.pending() == []


def test_batches_spooled_before_a_crash_are_sent_by_the_next_run(api, tmp_path):
    # given: a till spooled and "crashed" before sending
    spool_lines(Outbox(tmp_path / "till"), [sale(n, receipt="C2") for n in range(1, 6)], 5)
    # when: the till restarts
    box = Outbox(tmp_path / "till")
    assert len(box.pending()) == 1
    with httpx.Client(base_url=api.url) as client:
        report = send_pending(box, client, api.tokens["pos_s2"])
    # then
    assert report.acknowledged == 1 and box.pending() == []


def test_a_refused_batch_is_kept_aside_with_the_servers_reasons(api, tmp_path):
    box = Outbox(tmp_path / "till")
    box.spool([sale(1, sku="NOPE", receipt="C3")])
    with httpx.Client(base_url=api.url) as client:
        report = send_pending(box, client, api.tokens["pos_s2"])
    assert report.refused == 1 and box.pending() == []
    problems = list(box.refused_dir.glob("*.problem.json"))
    assert problems and "is not a known SKU" in problems[0].read_text()


def test_a_refused_token_keeps_every_batch_pending(api, tmp_path):
    box = Outbox(tmp_path / "till")
    spool_lines(box, [sale(n, receipt="C4") for n in range(1, 4)], 1)
    with httpx.Client(base_url=api.url) as client:
        report = send_pending(box, client, "not-a-token")
    assert report.unauthorized and report.pending == 3 and report.refused == 0
