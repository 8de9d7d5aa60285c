"""POS batches over HTTP: exactly once, all or nothing, per-device quotas
(RELIABILITY items 2, 3, 4 and the POS half of 16), and the serial look-up."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from storenet.store.schema import movements, sale_lines
from tests.integration.api.conftest import sale
from tests.integration.api.helpers import snapshot


def _counts(engine):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(sale_lines)).scalar(),
            conn.execute(select(func.count()).select_from(movements)).scalar(),
        )


def test_a_batch_without_an_idempotency_key_is_refused_with_400(api):
    # given / when
    with api.client("pos_s2") as c:
        r = c.post("/pos/batches", json={"lines": [sale(1)]})
    # then
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["problems"][0]["field"] == "Idempotency-Key"


def test_the_same_batch_sent_ten_times_in_a_row_writes_once_and_answers_the_same_bytes(api):
    # given
    body = {"lines": [sale(n) for n in range(1, 6)]}
    before = _counts(api.engine)
    # when
    with api.client("pos_s2") as c:
        answers = [
            c.post("/pos/batches", json=body, headers={"Idempotency-Key": "k-10"})
            for _ in range(10)
        ]
    # then
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    sales, moves = _counts(api.engine)
    assert (sales - before[0], moves - before[1]) == (5, 5)


def test_the_same_batch_sent_sixteen_times_at_once_writes_once(api):
    # given
    body = {"lines": [sale(n, receipt="R16") for n in range(1, 21)]}
    before = _counts(api.engine)

    def send(_):  # type: ignore[no-untyped-def]
        with api.client("pos_s2") as c:
            return c.post("/pos/batches", json=body, headers={"Idempotency-Key": "k-16"})

    # when
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(send, range(16)))
    # then: every answer is the first one (or a 409 "in progress"), never a second write
    ok = [a for a in answers if a.status_code == 200]
    assert ok and all(a.status_code in (200, 409) for a in answers)
    assert len({a.content for a in ok}) == 1
    sales, moves = _counts(api.engine)
    assert (sales - before[0], moves - before[1]) == (20, 20)


def test_a_key_reused_with_another_payload_is_refused_naming_the_difference(api):
    # given
    with api.client("pos_s2") as c:
        first = c.post(
            "/pos/batches",
            json={"lines": [sale(1), sale(2)]},
            headers={"Idempotency-Key": "k-diff"},
        )
        assert first.status_code == 200
        before = snapshot(api.engine)
        changed = [sale(1), {**sale(2), "qty": 3}]
        # when
        r = c.post("/pos/batches", json={"lines": changed}, headers={"Idempotency-Key": "k-diff"})
    # then
    assert r.status_code == 422
    problem = r.json()["problems"][0]
    assert problem["field"] == "lines[1].qty"
    assert problem["value"] == {"first": 1, "now": 3}
    assert snapshot(api.engine) == before


def test_a_batch_of_500_lines_with_one_bad_line_is_refused_whole_naming_it(api):
    # given
    lines = [sale(n, receipt="R500") for n in range(1, 501)]
    lines[316]["sku"] = "NO-SUCH-SKU"
    before = snapshot(api.engine)
    # when
    with api.client("pos_s2") as c:
        r = c.post("/pos/batches", json={"lines": lines}, headers={"Idempotency-Key": "k-500"})
    # then
    assert r.status_code == 422
    problems = r.json()["problems"]
    assert problems == [
        {
            "field": "sku",
            "reason": "is not a known SKU",
            "where": "line 317",
            "value": "NO-SUCH-SKU",
        }
    ]
    assert snapshot(api.engine) == before


def test_a_badly_typed_line_is_refused_naming_line_field_and_value(api):
    lines = [sale(1), {**sale(2), "qty": "many"}]
    before = snapshot(api.engine)
    with api.client("pos_s2") as c:
        r = c.post("/pos/batches", json={"lines": lines}, headers={"Idempotency-Key": "k-type"})
    assert r.status_code == 422
    problem = r.json()["problems"][0]
    assert (problem["where"], problem["field"], problem["value"]) == ("line 2", "qty", "many")
    assert snapshot(api.engine) == before


def test_a_pos_device_cannot_send_another_stores_sales(api):
    before = snapshot(api.engine)
    with api.client("pos_s2") as c:
        r = c.post(
            "/pos/batches",
            json={"lines": [sale(1), sale(2, store="S3")]},
            headers={"Idempotency-Key": "k-foreign"},
        )
    assert r.status_code in (403, 404)
    assert snapshot(api.engine) == before


def test_a_device_over_its_quota_gets_429_with_retry_after_and_nothing_is_written(
    network, tmp_path, monkeypatch
):
    # given: a device allowed 10 lines, refilled at 1 line/s
    from tests.integration.api.conftest import Api, _password_hash, seed_people_and_stock
    from tests.integration.api.server import ServerThread, test_settings

    monkeypatch.setattr("storenet.accounts.users.hash_password", _password_hash)
    tokens, ids = seed_people_and_stock(network)
    settings = test_settings(network, tmp_path, pos_lines_per_s=1, pos_burst_lines=10)
    server = ServerThread(settings).start()
    api = Api(url=server.url, engine=network, tokens=tokens, user_ids=ids)
    try:
        with api.client("pos_s2") as c:
            ok = c.post(
                "/pos/batches",
                json={"lines": [sale(n) for n in range(1, 9)]},
                headers={"Idempotency-Key": "q1"},
            )
            before = snapshot(api.engine)
            # when: 5 more lines, only 2 left in the bucket
            r = c.post(
                "/pos/batches",
                json={"lines": [sale(n, receipt="R2") for n in range(1, 6)]},
                headers={"Idempotency-Key": "q2"},
            )
            # then
            assert ok.status_code == 200
            assert r.status_code == 429
            assert int(r.headers["Retry-After"]) >= 1
            assert snapshot(api.engine) == before
            # and another device is not slowed by it
            other = api.client("admin").post(
                "/pos/batches", json={"lines": [sale(9)]}, headers={"Idempotency-Key": "q3"}
            )
            assert other.status_code == 200
    finally:
        server.stop()


def test_the_serial_look_up_shows_where_a_unit_is_and_its_movements(api):
    with api.client("sm_s1") as c:
        r = c.get("/serials/P-S1-1")
    assert r.status_code == 200
    body = r.json()
    assert (body["location"], body["sku_id"]) == ("S1", "PH1")
    assert [m["kind"] for m in body["movements"]] == ["receipt"]


def test_a_serial_in_another_stores_hands_looks_like_no_serial_at_all(api):
    with api.client("sm_s1") as c:
        theirs = c.get("/serials/P-S3-1")
        missing = c.get("/serials/NOPE")
    assert theirs.status_code == missing.status_code == 404


def test_the_quota_is_shared_by_every_worker_of_the_service(network, tmp_path, monkeypatch):
    # given: two service processes' worth of apps on one database, a 10-line quota
    from tests.integration.api.conftest import Api, _password_hash, seed_people_and_stock
    from tests.integration.api.server import ServerThread, test_settings

    monkeypatch.setattr("storenet.accounts.users.hash_password", _password_hash)
    tokens, ids = seed_people_and_stock(network)
    settings = test_settings(network, tmp_path, pos_lines_per_s=1, pos_burst_lines=10)
    first, second = ServerThread(settings).start(), ServerThread(settings).start()
    try:
        one = Api(url=first.url, engine=network, tokens=tokens, user_ids=ids)
        two = Api(url=second.url, engine=network, tokens=tokens, user_ids=ids)
        with one.client("pos_s2") as c:
            ok = c.post(
                "/pos/batches",
                json={"lines": [sale(n) for n in range(1, 9)]},
                headers={"Idempotency-Key": "w1"},
            )
        before = snapshot(network)
        # when: the same device sends 5 more lines to the other worker
        with two.client("pos_s2") as c:
            over = c.post(
                "/pos/batches",
                json={"lines": [sale(n, receipt="R2") for n in range(1, 6)]},
                headers={"Idempotency-Key": "w2"},
            )
        # then: the other worker knows the bucket holds only 2
        assert ok.status_code == 200
        assert over.status_code == 429 and int(over.headers["Retry-After"]) >= 1
        assert snapshot(network) == before
    finally:
        first.stop()
        second.stop()


def test_a_till_hanging_up_mid_body_writes_nothing_and_is_not_a_server_error(api, caplog):
    import json
    import socket
    import time
    from urllib.parse import urlsplit

    # given: a batch whose body the till stops sending half-way
    body = json.dumps({"lines": [sale(n) for n in range(1, 41)]}).encode()
    where = urlsplit(api.url)
    head = (
        f"POST /pos/batches HTTP/1.1\r\nHost: {where.hostname}\r\n"
        f"Authorization: Bearer {api.tokens['pos_s2']}\r\nIdempotency-Key: k-hangup\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    before = _counts(api.engine)
    # when
    with socket.create_connection((where.hostname, where.port)) as s:
        s.sendall(head + body[: len(body) // 2])
        time.sleep(0.3)
    # then: nothing written, no unhandled error logged, and the key is still free
    time.sleep(0.3)
    assert _counts(api.engine) == before
    assert not [r for r in caplog.records if r.getMessage() == "unhandled error"]
    with api.client("pos_s2") as c:
        r = c.post("/pos/batches", content=body, headers={"Idempotency-Key": "k-hangup"})
    assert r.status_code == 200
    assert _counts(api.engine)[0] == before[0] + 40
