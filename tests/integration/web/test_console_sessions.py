"""Console sessions (RELIABILITY item 15) and one-time sign-in links, over HTTP on
SQLite and PostgreSQL: the session id rotates at sign-in, a POST without the CSRF
token or from a foreign Origin is refused and writes nothing, no GET changes data,
sign-out and disabling a user end the session, cookies are Secure/HttpOnly/SameSite."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select, update

from storenet.accounts.login import issue_sign_in_link
from storenet.store.engine import unit_of_work
from storenet.store.schema import users
from tests.integration.api.helpers import snapshot
from tests.integration.api.server import TEST_SECRET
from tests.integration.web.conftest import PASSWORD


def _sign_in(console, name: str, cookie: str | None = None) -> httpx.Response:  # type: ignore[no-untyped-def]
    headers = {"Cookie": f"storenet_session={cookie}"} if cookie else {}
    with httpx.Client(base_url=console.url, headers=headers) as c:
        return c.post("/console/sign-in", data={"username": name, "password": PASSWORD})


def _session(answer: httpx.Response) -> str:
    return answer.cookies["storenet_session"]


def _as(console, session: str, **headers: str) -> httpx.Client:  # type: ignore[no-untyped-def]
    return httpx.Client(
        base_url=console.url, headers={"Cookie": f"storenet_session={session}", **headers}
    )


def test_sign_in_sets_strict_cookies_and_rotates_the_session_id(console):
    first = _sign_in(console, "planner")
    assert first.status_code == 303
    cookies = [c.lower() for c in first.headers.get_list("set-cookie")]
    session_cookie = next(c for c in cookies if c.startswith("storenet_session="))
    assert "httponly" in session_cookie and "secure" in session_cookie
    assert all("samesite=strict" in c for c in cookies)
    old = _session(first)
    second = _sign_in(console, "planner", cookie=old)
    new = _session(second)
    assert new != old
    with _as(console, old) as c:
        assert c.get("/console/", follow_redirects=False).status_code == 303
    with _as(console, new) as c:
        assert c.get("/console/").status_code == 200


def test_a_sign_in_from_a_foreign_origin_is_refused_and_opens_no_session(console):
    # Login CSRF: a foreign page must not sign the browser in as anyone.
    before = snapshot(console.engine)
    link = unit_of_work(
        console.engine,
        lambda conn: issue_sign_in_link(conn, TEST_SECRET, "planner", timedelta(hours=1)),
    )
    with httpx.Client(base_url=console.url, headers={"Origin": "https://evil.example"}) as c:
        by_password = c.post("/console/sign-in", data={"username": "planner", "password": PASSWORD})
        by_link = c.post("/console/link", data={"token": link})
    for answer in (by_password, by_link):
        assert answer.status_code == 403, answer.text
        assert "set-cookie" not in answer.headers
    skip = {"audit_log", "audit_head", "api_tokens"}  # the link itself is a token
    assert snapshot(console.engine, skip=skip) == {k: v for k, v in before.items() if k not in skip}
    # The link was not spent: from our own origin it still signs in.
    with httpx.Client(base_url=console.url, headers={"Origin": console.url}) as c:
        assert c.post("/console/link", data={"token": link}).status_code == 303
        own = c.post("/console/sign-in", data={"username": "planner", "password": PASSWORD})
        assert own.status_code == 303


def test_a_console_post_without_csrf_or_from_a_foreign_origin_is_refused(console):
    answer = _sign_in(console, "planner")
    session, csrf = _session(answer), answer.cookies["storenet_csrf"]
    before = snapshot(console.engine)
    with _as(console, session) as c:
        assert c.post("/console/sign-out").status_code == 403
    with _as(console, session, **{"X-CSRF-Token": "forged"}) as c:
        assert c.post("/console/sign-out").status_code == 403
    with _as(console, session, **{"X-CSRF-Token": csrf, "Origin": "https://evil.example"}) as c:
        assert c.post("/console/sign-out").status_code == 403
    assert snapshot(console.engine) == before
    # the session is still alive, and with the token from our own origin it signs out
    with _as(console, session, **{"X-CSRF-Token": csrf, "Origin": console.url}) as c:
        assert c.get("/console/").status_code == 200
        assert c.post("/console/sign-out").status_code == 204
        assert c.get("/console/", follow_redirects=False).status_code == 303


def test_no_console_get_changes_anything(console):
    # every console page without a path parameter, as each role
    with httpx.Client(base_url=console.url) as probe:
        app_paths = probe.get("/console/").status_code  # a redirect: not signed in
    assert app_paths == 303
    from storenet.web.app import ROUTERS

    pages = sorted(
        {
            route.path
            for router in ROUTERS
            for route in router.routes
            if "GET" in getattr(route, "methods", set()) and "{" not in route.path
        }
    )
    assert "/console/" in pages
    before = snapshot(console.engine, skip=set())
    for name in ("planner", "owner", "rm", "auditor"):
        with console.sign_in(name) as c:
            for path in pages:
                assert c.get(path).status_code < 500, path
    # signing in wrote sessions and audit entries; the pages themselves nothing
    after = snapshot(console.engine, skip={"api_tokens", "audit_log", "audit_head", "users"})
    before = {k: v for k, v in before.items() if k in after}
    assert after == before


def test_disabling_a_user_ends_their_console_session_at_once(console):
    session = _session(_sign_in(console, "rm"))
    unit_of_work(
        console.engine,
        lambda conn: conn.execute(
            update(users).where(users.c.username == "rm").values(disabled=True)
        ),
    )
    with _as(console, session) as c:
        answer = c.get("/console/", follow_redirects=False)
    assert answer.status_code == 303 and "/console/sign-in" in answer.headers["location"]


def test_a_sign_in_link_works_once_and_is_no_credential_itself(console):
    link = unit_of_work(
        console.engine,
        lambda conn: issue_sign_in_link(conn, TEST_SECRET, "planner", timedelta(hours=1)),
    )
    with httpx.Client(base_url=console.url) as c:
        # a GET shows the button and spends nothing
        assert c.get("/console/link", params={"token": link}).status_code == 200
        # the link is not a bearer token
        assert c.get("/me", headers={"Authorization": f"Bearer {link}"}).status_code == 401
        first = c.post("/console/link", data={"token": link})
        again = c.post("/console/link", data={"token": link})
    assert first.status_code == 303 and _session(first)
    assert again.status_code == 401 and "used up" in again.text
    with console.engine.connect() as conn:
        assert conn.execute(select(users.c.id).where(users.c.username == "planner")).first()
