"""The one check every route makes: may this principal do this action, on this object?

Function scope comes from the role (`storenet.accounts.roles.POLICY`), object scope
from `storenet.accounts.scope`. A refusal raises Denied; for an object outside the
caller's scope it is `hidden` (answered like a missing object), so nothing leaks.
The edge writes an audit entry for every Denied.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from storenet.accounts.errors import Denied
from storenet.accounts.principal import Principal
from storenet.accounts.roles import allowed
from storenet.accounts.scope import can_see_location


def require(
    conn: Connection,
    who: Principal,
    action: str,
    *,
    locations: Iterable[str] = (),
) -> None:
    """Raise Denied unless `who` may do `action`, and see every store or warehouse in
    `locations` (ids). Returns nothing: passing is the answer."""
    if not allowed(who.role, action):
        raise Denied(action, reason=f"the role {who.role} may not do {action}")
    for ref in sorted(set(locations)):
        if not can_see_location(conn, who, ref):
            raise Denied(action, target=ref, reason="outside the caller's scope", hidden=True)


def require_any(conn: Connection, who: Principal, action: str, locations: Iterable[str]) -> None:
    """Like `require`, but one visible location of `locations` is enough (a transfer is
    visible to both of its ends)."""
    if not allowed(who.role, action):
        raise Denied(action, reason=f"the role {who.role} may not do {action}")
    refs = sorted(set(locations))
    if not any(can_see_location(conn, who, ref) for ref in refs):
        raise Denied(
            action, target=",".join(refs), reason="outside the caller's scope", hidden=True
        )


@contextmanager
def answered_as(kind: str, key: str) -> Iterator[None]:
    """Inside, a hidden Denied is re-raised naming (`kind`, `key`), so the caller gets
    the very answer NotFound(kind, key) gives for an object that does not exist."""
    try:
        yield
    except Denied as error:
        if not error.hidden:
            raise
        raise Denied(
            error.action, target=key, reason=error.reason, hidden=True, kind=kind
        ) from None
