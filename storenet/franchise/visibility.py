"""Which franchisees' rewards, terms and statements a principal may see: a franchise
owner his own franchisee only; the brand's network-wide roles and finance all; anyone
else none (object scope; function scope is storenet.accounts.roles)."""

from __future__ import annotations

from storenet.accounts.errors import Denied
from storenet.accounts.principal import Principal
from storenet.accounts.roles import ADMIN, AUDITOR, FINANCE, FRANCHISE, PLANNER

ALL_FRANCHISEES = frozenset({ADMIN, PLANNER, AUDITOR, FINANCE})


def visible_franchisees(who: Principal) -> set[str] | None:
    """The franchisee ids `who` may see; None means all of them."""
    if who.role in ALL_FRANCHISEES:
        return None
    if who.role == FRANCHISE and who.franchisee_id:
        return {who.franchisee_id}
    return set()


def require_franchisee(who: Principal, franchisee_id: str, action: str) -> None:
    """Denied (answered as not found, so another's ids are not revealed) unless `who`
    may see franchisee `franchisee_id`."""
    seen = visible_franchisees(who)
    if seen is not None and franchisee_id not in seen:
        raise Denied(
            action,
            target=franchisee_id,
            reason="not your franchisee",
            hidden=True,
            kind="franchisee",
        )
