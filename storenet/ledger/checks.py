"""Checks shared by the ledger's commands: each refuses with field and reason."""

from __future__ import annotations

from sqlalchemy import Connection

from storenet.catalog.skus import SkuHandling, sku_handling
from storenet.errors import InsufficientStock, NotFound, Problem, Refused
from storenet.ledger.locations import location_of
from storenet.store.locks import lock_balances


def require_location(conn: Connection, ref: str, field: str) -> int:
    """The ledger location of store/warehouse `ref`, or Refused naming `field`."""
    try:
        return location_of(conn, ref)
    except NotFound:
        raise Refused([Problem(field, "is not a known store or warehouse", value=ref)]) from None


def require_sku(conn: Connection, sku_id: str, field: str = "sku") -> SkuHandling:
    """The handling of `sku_id`, or Refused naming `field`."""
    found = sku_handling(conn, [sku_id]).get(sku_id)
    if found is None:
        raise Refused([Problem(field, "is not a known SKU", value=sku_id)])
    return found


def require_qty(qty: object, field: str = "qty") -> int:
    """`qty` as a positive whole number, or Refused naming `field`."""
    if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
        raise Refused([Problem(field, "must be a whole number above zero", value=qty)])
    return qty


def require_serials(handling: SkuHandling, serials: list[str] | None, qty: int) -> tuple:
    """Serials for a serial-tracked SKU (one per unit, distinct); none for others."""
    serials = list(serials or [])
    if handling.serial_tracked:
        if len(serials) != qty or len(set(serials)) != qty:
            raise Refused(
                [
                    Problem(
                        "serials",
                        f"{handling.id} is serial-tracked: give {qty} distinct "
                        "serial numbers, one per unit",
                        value=serials,
                    )
                ]
            )
    elif serials:
        raise Refused([Problem("serials", f"{handling.id} is not serial-tracked", value=serials)])
    return tuple(serials)


def take_available(conn: Connection, location: int, name: str, sku_id: str, qty: int) -> dict:
    """Lock (location, SKU) and check `qty` units are free (on hand minus reserved).

    Raises InsufficientStock otherwise. Returns the locked balance row.
    """
    row = lock_balances(conn, [(location, sku_id)])[(location, sku_id)]
    free = row["on_hand"] - row["reserved"]
    if free < qty:
        raise InsufficientStock(location=name, sku=sku_id, requested=qty, available=max(free, 0))
    return row
