"""Checks every route makes before it reads a request's content (RELIABILITY item 18):
the caller first (401 even for an invalid body), the body's size (413 over the
limit, nothing read further, nothing written), and a login from a foreign page gets
no session (login CSRF)."""

from __future__ import annotations

import json

import pytest

from storenet.settings import MAX_BODY_BYTES
from tests.integration.api.conftest import PASSWORD, Api, sale, seed_people_and_stock
from tests.integration.api.helpers import snapshot
from tests.integration.api.server import ServerThread, test_settings

BOGUS = {"Authorization": "Bearer not-a-token"}


def test_bad_credentials_are_401_even_when_the_body_is_invalid(api):
    before = snapshot(api.engine)
    with api.client(headers=BOGUS) as c:
        answers = [
            c.post(
                "/pos/batches", json={"lines": [{"qty": True}]}, headers={"Idempotency-Key": "k"}
            ),
            c.post("/pos/batches", content=b"{not json", headers={"Idempotency-Key": "k"}),
            c.post("/stock/S1/counts", json={"sku": 7}, headers={"Idempotency-Key": "k"}),
            c.put("/plans/plan-x/lines/1", json={"qty": -1}),
            c.get("/stock/S1", params={"limit": "many"}),
        ]
    for answer in answers:
        assert answer.status_code == 401, (answer.request.url, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["www-authenticate"] == "Bearer"
    assert snapshot(api.engine) == before
    # A good caller still hears what is wrong with the body; a public route too.
    with api.client("pos_s2") as c:
        bad = c.post(
            "/pos/batches", json={"lines": [{"qty": True}]}, headers={"Idempotency-Key": "k"}
        )
        assert bad.status_code == 422
    with api.client() as c:
        assert c.post("/auth/login", json={"username": ""}).status_code == 422


def test_a_login_from_a_foreign_origin_gets_no_session(api):
    before = snapshot(api.engine)
    body = {"username": "sm_s1", "password": PASSWORD}
    with api.client(headers={"Origin": "https://evil.example"}) as c:
        foreign = c.post("/auth/login", json=body)
    assert foreign.status_code == 403, foreign.text
    assert "set-cookie" not in foreign.headers
    assert snapshot(api.engine) == before
    with api.client(headers={"Origin": api.url}) as c:
        assert c.post("/auth/login", json=body).status_code == 200


@pytest.fixture
def small_limit_api(network, tmp_path, monkeypatch):
    """The service with a 4 KiB request body limit."""
    from tests.integration.api.conftest import _password_hash

    monkeypatch.setattr("storenet.accounts.users.hash_password", _password_hash)
    tokens, ids = seed_people_and_stock(network)
    server = ServerThread(test_settings(network, tmp_path, max_body_bytes=4096)).start()
    yield Api(url=server.url, engine=network, tokens=tokens, user_ids=ids)
    server.stop()


def test_a_body_over_the_limit_is_413_and_nothing_is_written(small_limit_api):
    api = small_limit_api
    big = json.dumps({"lines": [sale(n) for n in range(1, 60)]}).encode()
    assert len(big) > 4096
    before = snapshot(api.engine)

    def chunks():  # no Content-Length: counted as it arrives
        for at in range(0, len(big), 1000):
            yield big[at : at + 1000]

    with api.client("pos_s2", headers={"Idempotency-Key": "big"}) as c:
        announced = c.post("/pos/batches", content=big)
        streamed = c.post("/pos/batches", content=chunks())
    for answer in (announced, streamed):
        assert answer.status_code == 413, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["problems"][0]["field"] == "body"
        assert "4096 bytes" in answer.json()["problems"][0]["reason"]
    assert snapshot(api.engine) == before
    # Under the limit, the same route works.
    with api.client("pos_s2", headers={"Idempotency-Key": "small"}) as c:
        assert c.post("/pos/batches", json={"lines": [sale(1)]}).status_code == 200


def test_the_largest_pos_batch_fits_under_the_default_limit():
    line = sale(
        999_999,
        store="S" * 32,
        device="D" * 64,
        receipt="R" * 64,
        sku="K" * 32,
        unit_price="9999999999999.99",
        kind="return",
        serials=["N" * 64],
        buyer="B" * 128,
    )
    body = json.dumps({"lines": [line] * 10_000}).encode()
    assert len(body) < MAX_BODY_BYTES
