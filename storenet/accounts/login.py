"""Logging in: Argon2 check, per-account slow-down, a fresh session, an audit entry.

Repeated bad passwords slow down that one account (not the caller's others, not other
accounts): after `free_failures` failures each further attempt must wait, from `FIRST_WAIT_S`
doubling up to `MAX_WAIT_S`; a success resets it. Unknown usernames get the same answers and
the same Argon2 work, and are slowed the same way (in memory: nothing to store), so
the answers do not tell whether an account exists.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select, update

from storenet.accounts.errors import NotAuthenticated, Throttled
from storenet.accounts.passwords import verify_password
from storenet.accounts.roles import POS
from storenet.accounts.tokens import issue_token, resolve_token, revoke_tokens
from storenet.audit.chain import record
from storenet.errors import Problem, Refused
from storenet.store.clock import utc_now
from storenet.store.engine import reading, unit_of_work
from storenet.store.schema import users

FIRST_WAIT_S = 5
MAX_WAIT_S = 300


@dataclass(frozen=True)
class LoginOutcome:
    """ok with a session `token` and the user, or not ok (an audited failure)."""

    ok: bool
    token: str | None = None
    token_id: int | None = None
    user: dict | None = None


def wait_after(failures: int, free_failures: int) -> int:
    """Seconds an account must wait after `failures` consecutive failures."""
    if failures < free_failures:
        return 0
    return min(MAX_WAIT_S, FIRST_WAIT_S * 2 ** (failures - free_failures))


class _UnknownNames:
    """Failure counts for usernames that do not exist, so they throttle alike."""

    def __init__(self, size: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[int, datetime]] = {}
        self._size = size

    def get(self, name: str) -> tuple[int, datetime | None]:
        with self._lock:
            return self._seen.get(name, (0, None))

    def fail(self, name: str, until: datetime, failures: int) -> None:
        with self._lock:
            if len(self._seen) >= self._size:
                self._seen.clear()
            self._seen[name] = (failures, until)


UNKNOWN = _UnknownNames()


def attempt_login(
    engine: Engine,
    *,
    username: str,
    password: str,
    secret_key: str,
    session_lifetime: timedelta,
    free_failures: int = 5,
    previous_token_id: int | None = None,
) -> LoginOutcome:
    """Check `username`/`password` and, if right, open a new session (revoking
    `previous_token_id`, the session the caller came with: the id rotates at login).

    The slow part, the Argon2 check, runs outside any write transaction (on SQLite a
    write transaction holds the one write lock, so every POS batch would wait for it):
    the account is read on a read-only connection, the hash verified, then the outcome
    written in one short transaction. Should the account change in between (new
    password, disabled), the outcome is that of a wrong password.

    Raises Throttled while the account must wait (even for the right password).
    Writes "login" or "login.failed" to the audit trail. POS devices cannot log in
    (they use device tokens).
    """
    with reading(engine) as conn:
        seen = conn.execute(select(users).where(users.c.username == username)).first()
    person = seen is not None and seen.role != POS and not seen.disabled
    if seen is None:
        _raise_if_waiting(UNKNOWN.get(username)[1], utc_now())
    else:
        _raise_if_waiting(seen.throttled_until, utc_now())
    right = verify_password(seen.password_hash if person else None, password)
    seen_hash = seen.password_hash if seen is not None else None

    def settle(conn: Connection) -> LoginOutcome:
        now = utc_now()
        row = conn.execute(
            select(users).where(users.c.username == username).with_for_update()
        ).first()
        if row is None:
            failures, until = UNKNOWN.get(username)
        else:
            failures, until = row.failed_logins, row.throttled_until
        # Another attempt may have failed meanwhile: its wait holds for this one too.
        _raise_if_waiting(until, now)
        same = row is not None and row.password_hash == seen_hash
        if not (right and same and row.role != POS and not row.disabled):
            failures += 1
            until = now + timedelta(seconds=wait_after(failures, free_failures))
            if row is None:
                UNKNOWN.fail(username, until, failures)
            else:
                _store_failure(conn, row.id, failures, until)
            record(
                conn, "anonymous", "login.failed", f"user:{username}", None, {"failures": failures}
            )
            return LoginOutcome(ok=False)
        conn.execute(
            update(users).where(users.c.id == row.id).values(failed_logins=0, throttled_until=None)
        )
        if previous_token_id is not None:
            revoke_tokens(conn, token_id=previous_token_id)
        token, token_id = issue_token(conn, secret_key, row.id, "session", session_lifetime)
        record(conn, username, "login", f"user:{username}", None, {"session": token_id})
        user = _user(row.id, row.username, row.role, row.franchisee_id, row.store_id)
        return LoginOutcome(ok=True, token=token, token_id=token_id, user=user)

    return unit_of_work(engine, settle)


def _user(
    user_id: int, username: str, role: str, franchisee_id: str | None, store_id: str | None
) -> dict:
    """The signed-in user as a login answers it."""
    return {
        "id": user_id,
        "username": username,
        "role": role,
        "franchisee_id": franchisee_id,
        "store_id": store_id,
    }


def _raise_if_waiting(until: datetime | None, now: datetime) -> None:
    if until is not None and until > now:
        raise Throttled("login", max(1, math.ceil((until - now).total_seconds())))


def _store_failure(conn: Connection, user_id: int, failures: int, until: datetime) -> None:
    conn.execute(
        update(users)
        .where(users.c.id == user_id)
        .values(failed_logins=failures, throttled_until=until)
    )


def end_session(conn: Connection, username: str, token_id: int) -> None:
    """Log out: revoke the session token `token_id` and audit it."""
    revoke_tokens(conn, token_id=token_id)
    record(conn, username, "logout", f"user:{username}")


def issue_sign_in_link(
    conn: Connection, secret_key: str, username: str, lifetime: timedelta
) -> str:
    """A one-time sign-in link token for `username` (a person, not a POS device),
    valid for `lifetime`; audited. It is no credential by itself: only
    `redeem_sign_in_link` accepts it, once. NotFound-like Refused for unknown users."""
    row = conn.execute(select(users).where(users.c.username == username)).first()
    if row is None or row.role == POS or row.disabled:
        raise Refused([Problem("username", "no such person may sign in", value=username)])
    token, token_id = issue_token(conn, secret_key, row.id, "link", lifetime)
    record(conn, "system", "link.issued", f"user:{username}", None, {"link": token_id})
    return token


def redeem_sign_in_link(
    conn: Connection,
    secret_key: str,
    link: str,
    session_lifetime: timedelta,
    previous_token_id: int | None = None,
) -> LoginOutcome:
    """Exchange a sign-in link for a new session: the link is revoked (it works once),
    the session the browser came with is ended, and the login is audited. A used,
    expired or unknown link is ok=False (nothing written)."""
    try:
        who = resolve_token(conn, secret_key, link, kinds=("link",))
    except NotAuthenticated:
        return LoginOutcome(ok=False)
    revoke_tokens(conn, token_id=who.token_id)
    if previous_token_id is not None:
        revoke_tokens(conn, token_id=previous_token_id)
    token, token_id = issue_token(conn, secret_key, who.user_id, "session", session_lifetime)
    record(
        conn,
        who.username,
        "login",
        f"user:{who.username}",
        None,
        {"session": token_id, "via": "link"},
    )
    user = _user(who.user_id, who.username, who.role, who.franchisee_id, who.store_id)
    return LoginOutcome(ok=True, token=token, token_id=token_id, user=user)
