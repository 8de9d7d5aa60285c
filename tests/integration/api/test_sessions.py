"""Console sessions and login hygiene over HTTP (RELIABILITY items 15 and 16)."""

from __future__ import annotations

from sqlalchemy import select

from storenet.store.schema import users
from tests.integration.api.access_table import ACCESS
from tests.integration.api.conftest import PASSWORD
from tests.integration.api.helpers import snapshot


def _login(api, username: str, password: str = PASSWORD, cookie: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"Cookie": f"storenet_session={cookie}"} if cookie else {}
    with api.client() as c:
        return c.post(
            "/auth/login", json={"username": username, "password": password}, headers=headers
        )


def _cookie_client(api, token: str, csrf: str | None = None, origin: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"Cookie": f"storenet_session={token}"}
    if csrf:
        headers["X-CSRF-Token"] = csrf
    if origin:
        headers["Origin"] = origin
    return api.client(headers=headers)


def test_login_sets_a_secure_httponly_samesite_cookie_and_rotates_the_session(api):
    # given
    first = _login(api, "sm_s1")
    assert first.status_code == 200
    cookie = first.headers.get_list("set-cookie")[0].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=strict" in cookie
    old = first.json()["token"]
    # when: logging in again with the old session
    second = _login(api, "sm_s1", cookie=old)
    # then: a new session id, and the old one is dead
    new = second.json()["token"]
    assert new != old
    with _cookie_client(api, old) as c:
        assert c.get("/me").status_code == 401
    with _cookie_client(api, new) as c:
        assert c.get("/me").json()["username"] == "sm_s1"


def test_a_cookie_write_needs_the_csrf_token_and_our_origin(api):
    login = _login(api, "sm_s1").json()
    token, csrf = login["token"], login["csrf_token"]
    body = {"sku": "K1", "counted": 20}
    before = snapshot(api.engine)
    with _cookie_client(api, token) as c:
        no_csrf = c.post("/stock/S1/counts", json=body, headers={"Idempotency-Key": "c1"})
    with _cookie_client(api, token, csrf, origin="https://evil.example") as c:
        foreign = c.post("/stock/S1/counts", json=body, headers={"Idempotency-Key": "c2"})
    assert (no_csrf.status_code, foreign.status_code) == (403, 403)
    assert snapshot(api.engine) == before
    with _cookie_client(api, token, csrf, origin=api.url) as c:
        ok = c.post("/stock/S1/counts", json=body, headers={"Idempotency-Key": "c3"})
    assert ok.status_code == 200, ok.text


def test_no_get_changes_anything(api):
    before = snapshot(api.engine, skip=set())
    with api.client("admin") as c:
        for (method, path), spec in ACCESS.items():
            if method == "GET" and "{" not in path:
                query = spec.get("query")
                url = f"{path}?{query}" if query else path
                assert c.get(url).status_code == 200, url
        for path in (
            "/stock/S1?as_of=2025-06-02T00:00:00",
            "/stores/S2",
            "/serials/P-S1-1",
            "/transfers/NOPE",
            "/skus/K1/stock",
        ):
            c.get(path)
    assert snapshot(api.engine, skip=set()) == before


def test_logout_and_disabling_a_user_end_their_sessions_and_device_tokens_at_once(api):
    # given
    session = _login(api, "fr_f1").json()["token"]
    with api.client(headers={"Authorization": f"Bearer {session}"}) as c:
        assert c.post("/auth/logout").status_code == 204
        assert c.get("/me").status_code == 401
    # when: the admin disables the POS device and the store manager
    with api.client("admin") as c:
        for name in ("pos_s2", "sm_s1"):
            assert c.post(f"/users/{api.user_ids[name]}/disable").status_code == 200
    # then
    with api.client("pos_s2") as c:
        assert c.get("/me").status_code == 401
    with api.client("sm_s1") as c:
        assert c.get("/stock/S1").status_code == 401
    assert _login(api, "sm_s1").status_code == 401


def test_unknown_user_and_wrong_password_get_the_same_answer(api):
    unknown = _login(api, "no-such-user", "whatever password")
    wrong = _login(api, "sm_s1", "wrong password!")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.content == wrong.content


def test_repeated_bad_passwords_slow_one_account_without_locking_others(api):
    for _ in range(5):
        assert _login(api, "fr_f1", "wrong password!").status_code == 401
    # the right password must now wait too
    slowed = _login(api, "fr_f1")
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) >= 1
    assert _login(api, "fr_f2").status_code == 200
    # an unknown name slows down the same way, so it cannot be told apart
    for _ in range(5):
        _login(api, "ghost", "wrong password!")
    assert _login(api, "ghost", "wrong password!").status_code == 429


def test_passwords_are_stored_as_argon2id_hashes(api):
    with api.engine.connect() as conn:
        hashes = [h for h in conn.execute(select(users.c.password_hash)).scalars() if h]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(PASSWORD in h for h in hashes)
