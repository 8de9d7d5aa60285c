"""Purchase-order tests' network: the small test network (tests.support) with two
suppliers: SUP-A (EUR) sells K1, K2 and the phone PH1 delivered to the central
warehouse WC; SUP-B (USD) sells K3."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from storenet.purchasing.lifecycle import (
    approve_purchase_order,
    confirm_purchase_order,
    send_purchase_order,
)
from storenet.purchasing.orders import create_purchase_order
from storenet.store.engine import unit_of_work
from tests.integration.purchasing.suppliers import seed_suppliers
from tests.support import seed_small_network


@pytest.fixture
def chain(engine):
    """`engine` with the small network and the two suppliers."""
    seed_small_network(engine)
    seed_suppliers(engine)
    return engine


def draft(engine: Engine, key: str = "po-1", lines=None, by: str = "buyer", **more) -> dict:  # type: ignore[no-untyped-def]
    """Create a draft order from SUP-A to WC (default: 10 K1 and 5 K2)."""
    lines = lines or [{"sku": "K1", "qty": 10}, {"sku": "K2", "qty": 5}]
    return unit_of_work(
        engine,
        lambda conn: create_purchase_order(
            conn,
            key=key,
            supplier=more.pop("supplier", "SUP-A"),
            warehouse=more.pop("warehouse", "WC"),
            lines=lines,
            by=by,
            **more,
        ),
    )


def confirmed(engine: Engine, key: str = "po-1", lines=None, confirm=None) -> str:  # type: ignore[no-untyped-def]
    """A draft taken to confirmed (approved by "approver"); returns its id."""
    po = draft(engine, key, lines)
    po_id = po["id"]

    def work(conn):  # type: ignore[no-untyped-def]
        approve_purchase_order(conn, po_id, "approver")
        send_purchase_order(conn, po_id, "buyer")
        confirm_purchase_order(conn, po_id, "buyer", lines=confirm)

    unit_of_work(engine, work)
    return po_id
