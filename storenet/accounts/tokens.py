"""Session and device tokens: random secrets, stored only as a keyed hash.

A token is valid while it is not revoked, not expired and its user is not disabled;
`resolve_token` checks all three on every request, so disabling a user or logging out
takes effect at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, insert, or_, select, update

from storenet.accounts.errors import NotAuthenticated
from storenet.accounts.principal import Principal
from storenet.store.clock import utc_now
from storenet.store.schema import api_tokens, users


def token_hash(secret_key: str, token: str) -> str:
    """The stored form of `token`: HMAC-SHA256 under the server's secret key."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()


def issue_token(
    conn: Connection, secret_key: str, user_id: int, kind: str, lifetime: timedelta | None
) -> tuple[str, int]:
    """Create a `kind` ("session", "device" or "link") token for `user_id`; returns (the
    token, shown once, and its id). `lifetime` None: valid until revoked."""
    token = secrets.token_urlsafe(32)
    now = utc_now()
    row = conn.execute(
        insert(api_tokens)
        .values(
            token_hash=token_hash(secret_key, token),
            user_id=user_id,
            kind=kind,
            created_at=now,
            expires_at=None if lifetime is None else now + lifetime,
        )
        .returning(api_tokens.c.id)
    ).one()
    return token, row.id


CREDENTIALS = ("session", "device")


def resolve_token(
    conn: Connection, secret_key: str, token: str | None, kinds: tuple[str, ...] = CREDENTIALS
) -> Principal:
    """The principal behind `token`; NotAuthenticated if it is missing, unknown,
    revoked, expired, not of one of `kinds` (a sign-in link is no credential) or its
    user is disabled (all answered alike)."""
    if not token:
        raise NotAuthenticated()
    now = utc_now()
    t, u = api_tokens, users
    row = conn.execute(
        select(
            t.c.id,
            t.c.kind,
            u.c.id.label("user_id"),
            u.c.username,
            u.c.role,
            u.c.franchisee_id,
            u.c.store_id,
        )
        .join(u, u.c.id == t.c.user_id)
        .where(
            t.c.token_hash == token_hash(secret_key, token),
            t.c.kind.in_(kinds),
            t.c.revoked_at.is_(None),
            or_(t.c.expires_at.is_(None), t.c.expires_at > now),
            u.c.disabled.is_(False),
        )
    ).first()
    if row is None:
        raise NotAuthenticated()
    return Principal(
        user_id=row.user_id,
        username=row.username,
        role=row.role,
        token_id=row.id,
        token_kind=row.kind,
        franchisee_id=row.franchisee_id,
        store_id=row.store_id,
    )


def revoke_tokens(
    conn: Connection,
    *,
    user_id: int | None = None,
    token_id: int | None = None,
    at: datetime | None = None,
) -> int:
    """Revoke one token or every live token of a user; returns how many."""
    cond = [api_tokens.c.revoked_at.is_(None)]
    if token_id is not None:
        cond.append(api_tokens.c.id == token_id)
    if user_id is not None:
        cond.append(api_tokens.c.user_id == user_id)
    result = conn.execute(update(api_tokens).where(and_(*cond)).values(revoked_at=at or utc_now()))
    return result.rowcount
