"""Roles and the actions each may do: the documented access policy (function scope).

Object scope (which stores, regions, plans) is in `storenet.accounts.scope`.
"""

from __future__ import annotations

ADMIN = "administrator"
PLANNER = "hq_planner"
REGIONAL = "regional_manager"
STORE = "store_manager"
FRANCHISE = "franchise_owner"
AUDITOR = "auditor"
POS = "pos_device"

ROLES = (ADMIN, PLANNER, REGIONAL, STORE, FRANCHISE, AUDITOR, POS)
PEOPLE = frozenset({ADMIN, PLANNER, REGIONAL, STORE, FRANCHISE, AUDITOR})
# Roles that see every store; the others see their own regions or stores only.
NETWORK_WIDE = frozenset({ADMIN, PLANNER, AUDITOR})
STOCK_KEEPERS = frozenset({ADMIN, REGIONAL, STORE, FRANCHISE})

# action -> roles allowed. "public" needs no credentials, "self" any valid ones.
POLICY: dict[str, frozenset[str]] = {
    "public": frozenset(ROLES),
    "self": frozenset(ROLES),
    "pos.upload": frozenset({ADMIN, POS}),
    "serial.read": PEOPLE,
    "stock.read": PEOPLE,
    "stock.count": STOCK_KEEPERS,
    "stock.adjust": STOCK_KEEPERS,
    "discrepancy.read": PEOPLE,
    "discrepancy.resolve": STOCK_KEEPERS,
    "transfer.read": PEOPLE,
    "transfer.write": STOCK_KEEPERS | {PLANNER},
    "network.read": PEOPLE,
    "network.write": frozenset({ADMIN}),
    "catalog.read": PEOPLE,
    # Regional managers review the plan lines of their regions' stores (read only).
    "plan.read": frozenset({ADMIN, PLANNER, AUDITOR, REGIONAL}),
    "plan.write": frozenset({ADMIN, PLANNER}),
    "user.read": frozenset({ADMIN, AUDITOR}),
    "user.admin": frozenset({ADMIN}),
    "audit.read": frozenset({ADMIN, AUDITOR}),
}


def allowed(role: str, action: str) -> bool:
    """True when `role` may do `action` (function scope only). Unknown actions: no."""
    return role in POLICY.get(action, frozenset())
