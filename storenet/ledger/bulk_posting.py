"""Posting many movements at once, as columns: the ledger's one bulk entry point.

POS ingestion (a batch of sale lines), the opening import (millions of opening
movements, the generator's too) and anything else that posts many plain movements call
`post_columns`. It allocates the movement ids, inserts the movements and the serials
they carry, and applies the balance deltas with the ledger's rule for such movements
(`on_hand_deltas`, which is `storenet.ledger.posting.balance_deltas` for movements
that touch neither transit nor quarantine) in sorted (location, SKU) order, all in the
caller's transaction. Nothing outside the ledger writes movements, their serials or
balances.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from operator import eq

from sqlalchemy import Connection

from storenet.ledger import posting
from storenet.ledger.locations import FIRST_REAL_ID, QUARANTINE, TRANSIT
from storenet.store.bulk import allocate_ids, insert_columns
from storenet.store.schema import movement_serials, movements


@dataclass
class MovementColumns:
    """Movements as columns (element i of each list is movement i). No transit,
    quarantine or reversals: those go through `Movement` and `post_movements`.

    `serials` are (movement index, serial) pairs: the units a movement carries; a
    serial-tracked movement carries one per unit.
    """

    kind: list[str]
    sku_id: list[str]
    from_location: list[int]
    to_location: list[int]
    qty: list[int]
    occurred_at: list[datetime]
    document: list[str | None]
    serials: list[tuple[int, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.kind)

    def check(self) -> None:
        """The rules `Movement` enforces, over whole columns; ValueError if broken."""
        if not set(self.kind) <= set(posting.KINDS):
            unknown = sorted(set(self.kind) - set(posting.KINDS))
            raise ValueError(f"unknown movement kind in {unknown}")
        if min(self.qty) <= 0:
            raise ValueError(f"movement qty must be positive, got {min(self.qty)}")
        if any(map(eq, self.from_location, self.to_location)):
            raise ValueError("a movement must go between two different locations")
        sites = {TRANSIT, QUARANTINE}
        if sites & set(self.from_location) or sites & set(self.to_location):
            raise ValueError("movements through transit or quarantine need post_movements")


@dataclass
class PostedColumns:
    """What `post_columns` wrote: the movement ids (input order), and every touched
    balance row left below zero, as {(location, sku): on_hand}."""

    ids: list[int]
    below_zero: dict[tuple[int, str], int]


def on_hand_deltas(moves: MovementColumns) -> dict[tuple[int, str], int]:
    """`balance_deltas` for MovementColumns: the on_hand change of each real
    (location, SKU) the movements touch (they never touch in_transit or held).
    Keys with a zero change are dropped."""
    out: dict[tuple[int, str], int] = defaultdict(int)
    for location, sku, qty in zip(moves.from_location, moves.sku_id, moves.qty):
        if location >= FIRST_REAL_ID:
            out[(location, sku)] -= qty
    for location, sku, qty in zip(moves.to_location, moves.sku_id, moves.qty):
        if location >= FIRST_REAL_ID:
            out[(location, sku)] += qty
    return {k: d for k, d in out.items() if d}


def post_columns(conn: Connection, moves: MovementColumns, recorded_at: datetime) -> PostedColumns:
    """Post `moves` in `conn`'s transaction: allocate their ids (in input order), insert
    them and the serials they carry, and add their deltas to the balance projection in
    sorted (location, SKU) order, creating missing rows.

    No stock check happens (a sale at the counter is never refused); the answer names
    the balance rows below zero afterwards. Where the serials now are is the caller's
    to record with `storenet.ledger.serials.place_serials`, once it has read where
    they were. Raises ValueError (nothing written) if a movement breaks the rules.
    """
    if not len(moves):
        return PostedColumns(ids=[], below_zero={})
    moves.check()
    n = len(moves)
    ids = allocate_ids(conn, movements, n)
    insert_columns(
        conn,
        movements,
        MOVEMENT_COLUMN_NAMES,
        [
            ids,
            moves.kind,
            moves.sku_id,
            moves.from_location,
            moves.to_location,
            moves.qty,
            moves.occurred_at,
            [recorded_at] * n,
            moves.document,
        ],
    )
    if moves.serials:
        carried, numbers = zip(*moves.serials)
        insert_columns(
            conn,
            movement_serials,
            ("movement_id", "serial"),
            [list(map(ids.__getitem__, carried)), list(numbers)],
        )
    # Through the module, so the one definition of applying deltas is the one used.
    below = posting.apply_deltas(conn, on_hand_deltas(moves), below_zero=True)
    return PostedColumns(ids=ids, below_zero=below)


MOVEMENT_COLUMN_NAMES = (
    "id",
    "kind",
    "sku_id",
    "from_location",
    "to_location",
    "qty",
    "occurred_at",
    "recorded_at",
    "document",
)
