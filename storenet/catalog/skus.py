"""Reading the catalog: which SKUs exist and how they are handled."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from storenet.store.schema import skus


@dataclass(frozen=True)
class SkuHandling:
    """What the ledger needs to know about a SKU."""

    id: str
    serial_tracked: bool
    pack_size: int


def sku_handling(conn: Connection, ids: list[str]) -> dict[str, SkuHandling]:
    """Handling facts for the SKUs in `ids` that exist; unknown ids are absent."""
    wanted = sorted(set(ids))
    out: dict[str, SkuHandling] = {}
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start : start + 5000]
        for r in conn.execute(
            select(skus.c.id, skus.c.serial_tracked, skus.c.pack_size).where(skus.c.id.in_(chunk))
        ):
            out[r.id] = SkuHandling(r.id, bool(r.serial_tracked), r.pack_size)
    return out
