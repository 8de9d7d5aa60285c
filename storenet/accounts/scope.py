"""Object scope: which stores and warehouses a principal may see and act on, now.

Network-wide roles see everything; finance every store and region but no warehouse
(storenet.accounts.roles). A regional manager sees the stores and regional
warehouses of the regions they run now (`region_managers`, manager = username); a
franchise owner the stores their franchisee owns now (`store_owners`), so when a store
changes hands the old owner loses it at once and the new one sees all of its history;
a store manager and a POS device their one store.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from storenet.accounts.principal import Principal
from storenet.accounts.roles import (
    EVERY_STORE,
    FRANCHISE,
    NETWORK_WIDE,
    POS,
    REGIONAL,
    STANDARDS_AUDITOR,
    STORE,
)
from storenet.store.schema import (
    region_managers,
    standards_assignments,
    store_owners,
    stores,
    warehouses,
)


def visible_stores(conn: Connection, who: Principal) -> set[str] | None:
    """The ids of the stores `who` may see now; None means every store."""
    if who.role in EVERY_STORE:
        return None
    if who.role in (STORE, POS):
        return {who.store_id} if who.store_id else set()
    if who.role == FRANCHISE:
        if not who.franchisee_id:
            return set()
        q = select(store_owners.c.store_id).where(
            store_owners.c.franchisee_id == who.franchisee_id, store_owners.c.valid_to.is_(None)
        )
        return set(conn.execute(q).scalars())
    if who.role == REGIONAL:
        q = select(stores.c.id).where(stores.c.region_id.in_(_regions(who)))
        return set(conn.execute(q).scalars())
    if who.role == STANDARDS_AUDITOR:
        return _assigned_stores(conn, who)
    return set()


def _assigned_stores(conn: Connection, who: Principal) -> set[str]:
    """The stores a standards auditor is assigned now: named ones and those of the
    regions assigned (standards_assignments, auditor = username)."""
    a = standards_assignments
    now = (a.c.auditor == who.username) & a.c.valid_to.is_(None)
    named = select(a.c.store_id).where(now, a.c.store_id.is_not(None))
    regions = select(a.c.region_id).where(now, a.c.region_id.is_not(None))
    in_regions = select(stores.c.id).where(stores.c.region_id.in_(regions))
    return set(conn.execute(named.union(in_regions)).scalars())


def visible_regions(conn: Connection, who: Principal) -> set[str] | None:
    """Regions `who` runs (regional manager) or None for roles that see every store;
    others see no region as a whole."""
    if who.role in EVERY_STORE:
        return None
    if who.role == REGIONAL:
        return set(conn.execute(_regions(who)).scalars())
    return set()


def visible_warehouses(conn: Connection, who: Principal) -> set[str] | None:
    """The ids of the warehouses `who` may see now: None for network-wide roles (every
    one), a regional manager's regional warehouses, none for the other roles."""
    if who.role in NETWORK_WIDE:
        return None
    if who.role != REGIONAL:
        return set()
    q = select(warehouses.c.id).where(warehouses.c.region_id.in_(_regions(who)))
    return set(conn.execute(q).scalars())


def _regions(who: Principal):  # type: ignore[no-untyped-def]
    return select(region_managers.c.region_id).where(
        region_managers.c.manager == who.username, region_managers.c.valid_to.is_(None)
    )


def can_see_location(conn: Connection, who: Principal, ref: str) -> bool:
    """True when `who` may see store or warehouse `ref` (unknown refs: False for
    scoped roles, True for network-wide ones, which then get NotFound from the
    service)."""
    if who.role in NETWORK_WIDE:
        return True
    seen = visible_stores(conn, who)
    if seen is None:  # every store, no warehouse (finance)
        return conn.execute(select(stores.c.id).where(stores.c.id == ref)).first() is not None
    if ref in seen:
        return True
    if who.role == REGIONAL:
        row = conn.execute(select(warehouses.c.region_id).where(warehouses.c.id == ref)).first()
        return row is not None and row.region_id in (visible_regions(conn, who) or set())
    return False
