"""The small test network as a chain: central WC feeding regionals WE (EAST: S1, S2)
and WW (WEST, new here: S3, S4), and helpers to move stock through the ledger."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, insert, select, text, update

from storenet.ledger import stock, transfers
from storenet.ledger.locations import ensure_locations, location_ids
from storenet.ledger.transfer_states import transitions
from storenet.ledger.verify import conservation_errors, transit_errors, verify_balances
from storenet.store.engine import unit_of_work
from storenet.store.schema import stores, warehouses


def make_chain(engine: Engine) -> Engine:
    """Add WW under WC, put WE under WC, and let WW supply S3 and S4."""
    with engine.begin() as conn:
        conn.execute(
            insert(warehouses).values(
                id="WW", name="West DC", kind="regional", region_id="WEST", city_id="CD"
            )
        )
        conn.execute(
            update(warehouses).where(warehouses.c.id.in_(["WE", "WW"])).values(parent_id="WC")
        )
        conn.execute(update(stores).where(stores.c.id.in_(["S3", "S4"])).values(warehouse_id="WW"))
        ensure_locations(conn, warehouse_ids=["WW"])
    return engine


def receive(engine: Engine, location: str, lines: list[dict]) -> dict:
    """A supplier delivery of `lines` at `location`."""
    return unit_of_work(
        engine,
        lambda c: stock.receive_from_supplier(
            c, key=uuid.uuid4().hex, location=location, lines=lines
        ),
    )


def create(engine, transfer_id, source, destination, lines, key=None, **more):  # type: ignore[no-untyped-def]
    return unit_of_work(
        engine,
        lambda c: transfers.create_transfer(
            c,
            key=key or f"{transfer_id}-create",
            transfer_id=transfer_id,
            source=source,
            destination=destination,
            lines=lines,
            **more,
        ),
    )


def ship(engine, transfer_id, key=None, **more):  # type: ignore[no-untyped-def]
    return unit_of_work(
        engine,
        lambda c: transfers.ship_transfer(
            c, key=key or f"{transfer_id}-ship", transfer_id=transfer_id, **more
        ),
    )


def receive_transfer(engine, transfer_id, key=None, **more):  # type: ignore[no-untyped-def]
    return unit_of_work(
        engine,
        lambda c: transfers.receive_transfer(
            c, key=key or f"{transfer_id}-receive", transfer_id=transfer_id, **more
        ),
    )


def cancel(engine, transfer_id, reason="not needed", key=None, **more):  # type: ignore[no-untyped-def]
    return unit_of_work(
        engine,
        lambda c: transfers.cancel_transfer(
            c, key=key or f"{transfer_id}-cancel", transfer_id=transfer_id, reason=reason, **more
        ),
    )


def balance(engine: Engine, location: str, sku: str) -> tuple[int, int, int, int]:
    """(on_hand, in_transit, reserved, held) of `sku` at `location`."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT on_hand, in_transit, reserved, held FROM balances "
                "WHERE location_id = :l AND sku_id = :s"
            ),
            {"l": location_ids(conn)[location], "s": sku},
        ).first()
    return tuple(row) if row else (0, 0, 0, 0)


def steps(engine: Engine, transfer_id: str) -> list[tuple[str, str, str, str]]:
    """(from, to, by, reason) of each recorded change of the transfer, in order."""
    with engine.connect() as conn:
        return [
            (t["from_status"], t["to_status"], t["by"], t["reason"])
            for t in transitions(conn, transfer_id)
        ]


def ledger_is_clean(engine: Engine) -> bool:
    """The projection equals the movements, every SKU nets to zero, and units in
    transit are what shipped transfers carry."""
    with engine.connect() as conn:
        return (
            verify_balances(conn) == []
            and conservation_errors(conn) == {}
            and transit_errors(conn) == []
        )


def count_rows(engine: Engine, table) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return len(conn.execute(select(table)).all())
