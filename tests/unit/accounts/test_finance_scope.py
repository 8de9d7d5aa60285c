"""Finance's object scope: every store and region (rewards are earned on stores'
sales), no warehouse, and no stock reads at all (it has no stock work)."""

from __future__ import annotations

from sqlalchemy import create_engine, insert

from storenet.accounts.principal import Principal
from storenet.accounts.roles import FINANCE, allowed
from storenet.accounts.scope import (
    can_see_location,
    visible_regions,
    visible_stores,
    visible_warehouses,
)
from storenet.store.schema import cities, metadata, regions, stores, warehouses


def _network():  # type: ignore[no-untyped-def]
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(regions), [{"id": "R1", "name": "North"}])
        conn.execute(
            insert(cities),
            [{"id": "C1", "name": "C", "province": "P", "tier": 1, "region_id": "R1"}],
        )
        conn.execute(
            insert(warehouses),
            [{"id": "W1", "name": "North DC", "kind": "regional", "region_id": "R1"}],
        )
        conn.execute(
            insert(stores),
            [
                {
                    "id": "S1",
                    "name": "One",
                    "region_id": "R1",
                    "format": "direct",
                    "city_id": "C1",
                    "status": "open",
                },
                {
                    "id": "S2",
                    "name": "Two",
                    "region_id": "R1",
                    "format": "direct",
                    "city_id": "C1",
                    "status": "open",
                },
            ],
        )
    return engine


def test_finance_sees_every_store_and_region_but_no_warehouse():
    engine = _network()
    who = Principal(user_id=1, username="fin", role=FINANCE, token_id=1, token_kind="session")
    with engine.connect() as conn:
        assert visible_stores(conn, who) is None
        assert visible_regions(conn, who) is None
        assert visible_warehouses(conn, who) == set()
        assert can_see_location(conn, who, "S2")
        assert not can_see_location(conn, who, "W1")
        assert not can_see_location(conn, who, "S9")


def test_finance_is_refused_stock_reads_instead_of_shown_nothing():
    for action in ("stock.read", "serial.read", "transfer.read", "discrepancy.read"):
        assert not allowed(FINANCE, action), action
    for action in ("network.read", "target.read", "reward.read", "statement.read"):
        assert allowed(FINANCE, action), action
