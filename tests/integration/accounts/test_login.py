"""Signing in never holds the write lock while the password hash is checked
(RELIABILITY item 18: three clients trying unknown names slowed a one-line POS batch
from 3 ms to 2.35 s on SQLite, whose one write lock the check held)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text

from storenet.accounts import login
from storenet.accounts.passwords import hash_password
from storenet.accounts.users import create_user
from storenet.store.engine import unit_of_work

PASSWORD = "correct horse battery"


def _writable_now(engine: Engine) -> bool:
    """True when another connection could write right now: SQLite's write lock is
    free, and on PostgreSQL the user's row is not locked by a transaction."""
    if engine.dialect.name == "sqlite":
        other = sqlite3.connect(engine.url.database, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.rollback()
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            other.close()
    with engine.connect() as other:
        try:
            other.execute(text("SET LOCAL lock_timeout = '50ms'"))
            other.execute(text("SELECT id FROM users WHERE username = 'alice' FOR UPDATE"))
            return True
        except Exception:
            return False
        finally:
            other.rollback()


@pytest.mark.parametrize(
    ("username", "password"),
    [("alice", PASSWORD), ("alice", "wrong password!"), ("nobody", "any password")],
)
def test_the_password_is_checked_outside_any_write_transaction(
    engine, monkeypatch, username, password
):
    unit_of_work(
        engine,
        lambda conn: create_user(
            conn, actor="test", username="alice", password=PASSWORD, role="hq_planner"
        ),
    )
    checked = []
    real = login.verify_password

    def verify(stored, given):  # type: ignore[no-untyped-def]
        checked.append(_writable_now(engine))
        return real(stored, given)

    monkeypatch.setattr(login, "verify_password", verify)
    # Unknown names' failures are counted in memory: other tests' must not throttle these.
    monkeypatch.setattr(login, "UNKNOWN", login._UnknownNames())
    outcome = login.attempt_login(
        engine,
        username=username,
        password=password,
        secret_key="k" * 40,
        session_lifetime=timedelta(hours=1),
    )
    assert outcome.ok == (password == PASSWORD)
    assert checked == [True]


def test_a_password_changed_while_it_was_checked_does_not_open_a_session(engine, monkeypatch):
    unit_of_work(
        engine,
        lambda conn: create_user(
            conn, actor="test", username="alice", password=PASSWORD, role="hq_planner"
        ),
    )
    real = login.verify_password

    def verify_then_change(stored, given):  # type: ignore[no-untyped-def]
        right = real(stored, given)
        new_hash = hash_password("another long password")
        unit_of_work(
            engine,
            lambda conn: conn.execute(
                text("UPDATE users SET password_hash = :h WHERE username = 'alice'"),
                {"h": new_hash},
            ),
        )
        return right

    monkeypatch.setattr(login, "verify_password", verify_then_change)
    outcome = login.attempt_login(
        engine,
        username="alice",
        password=PASSWORD,
        secret_key="k" * 40,
        session_lifetime=timedelta(hours=1),
    )
    assert not outcome.ok
