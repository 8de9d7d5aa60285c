"""Posting movements: the one place that writes stock.

A movement moves `qty` units of one SKU from one location to another. Posting inserts
the movements and, in the same transaction, changes the balance projection of the
real locations they touch by SQL increments, in sorted key order so that concurrent
writers never wait on each other in a cycle.

The projection rule (`balance_deltas`) is a pure function and the only definition of
what a movement does to balances; `storenet.ledger.verify` rebuilds from the same rule
expressed in SQL and checks one against the other. Many movements at once (POS batches,
opening stock) go through `storenet.ledger.bulk_posting`, which applies its deltas here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection

from storenet.ledger.locations import QUARANTINE, TRANSIT, is_virtual
from storenet.store.bulk import (
    add_to_counter_columns,
    add_to_counters,
    allocate_ids,
    insert_rows,
    rows_by_keys,
)
from storenet.store.schema import balances, movement_serials, movements

KINDS = (
    "opening",  # opening balance from an import
    "receipt",  # supplier delivery into a warehouse or store
    "ship",  # out of a real location into transit
    "receive",  # out of transit into the destination
    "short",  # shipped but never arrived: transit -> count difference
    "over",  # arrived but never shipped: count difference -> destination
    "sale",  # to the customer
    "return",  # from the customer
    "count",  # a count found more or fewer units than the ledger had
    "adjust",  # a manual correction, with a reason
    "scrap",  # written off
    "hold",  # into quarantine (units stay at `site`, not sellable)
    "release",  # out of quarantine back to `site`
    "reversal",  # undoes an earlier movement
)


@dataclass(frozen=True)
class Movement:
    """One immutable ledger entry. `qty` > 0 units of `sku_id`, in UTC time.

    `site_location` is required when either side is TRANSIT or QUARANTINE: it names the
    real location the units belong to (the shipment's destination, the holding store).
    """

    kind: str
    sku_id: str
    from_location: int
    to_location: int
    qty: int
    occurred_at: datetime
    site_location: int | None = None
    document: str | None = None
    serials: tuple[str, ...] = ()
    reverses_id: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown movement kind {self.kind!r}")
        if self.qty <= 0:
            raise ValueError(f"movement qty must be positive, got {self.qty}")
        if self.from_location == self.to_location:
            raise ValueError("a movement must go between two different locations")
        touches_site = {TRANSIT, QUARANTINE} & {self.from_location, self.to_location}
        if touches_site and (self.site_location is None or is_virtual(self.site_location)):
            raise ValueError("a movement through transit or quarantine needs a real site")
        if self.serials and len(self.serials) != self.qty:
            raise ValueError("a serial-tracked movement carries exactly one serial per unit")


@dataclass
class Deltas:
    """Changes to one (location, SKU) balance row."""

    on_hand: int = 0
    in_transit: int = 0
    held: int = 0


def balance_deltas(moves: list[Movement]) -> dict[tuple[int, str], Deltas]:
    """What `moves` do to the balances of real locations, keyed by (location, SKU).

    Rule: a real location's on_hand changes by what enters minus what leaves; a unit in
    TRANSIT counts as in_transit of its site, a unit in QUARANTINE as held at its site.
    Virtual locations carry no projected row (their balance is summed from movements).
    Guarantees: keys with all-zero deltas are dropped.
    """
    out: dict[tuple[int, str], Deltas] = defaultdict(Deltas)
    for m in moves:
        for location, sign in ((m.from_location, -1), (m.to_location, +1)):
            q = sign * m.qty
            if not is_virtual(location):
                out[(location, m.sku_id)].on_hand += q
            elif location == TRANSIT:
                out[(m.site_location, m.sku_id)].in_transit += q
            elif location == QUARANTINE:
                out[(m.site_location, m.sku_id)].held += q
    return {k: d for k, d in out.items() if d.on_hand or d.in_transit or d.held}


@dataclass
class Posted:
    """What a post wrote: movement ids in input order, balances after, by key."""

    ids: list[int]
    after: dict[tuple[int, str], dict] = field(default_factory=dict)


def post_movements(
    conn: Connection, moves: list[Movement], recorded_at: datetime, *, read_after: bool = False
) -> Posted:
    """Insert `moves` and apply their deltas to the balance projection, in `conn`'s
    transaction.

    Balance rows are created on first touch and changed only by SQL increments, in
    sorted (location, SKU) order. No stock check happens here: callers that must not
    go negative (reservations, shipments) lock and check first (storenet.store.locks).
    Returns the new movement ids (input order) and, with `read_after`, every touched
    row's balances after.
    """
    if not moves:
        return Posted(ids=[])
    ids = allocate_ids(conn, movements, len(moves))
    insert_rows(
        conn,
        movements,
        MOVEMENT_COLUMNS,
        [
            (
                mid,
                m.kind,
                m.sku_id,
                m.from_location,
                m.to_location,
                m.site_location,
                m.qty,
                m.occurred_at,
                recorded_at,
                m.document,
                m.reverses_id,
            )
            for mid, m in zip(ids, moves)
        ],
    )
    insert_rows(
        conn,
        movement_serials,
        ("movement_id", "serial"),
        [(mid, s) for mid, m in zip(ids, moves) for s in m.serials],
    )
    return Posted(ids=ids, after=apply_deltas(conn, balance_deltas(moves), read_after))


MOVEMENT_COLUMNS = (
    "id",
    "kind",
    "sku_id",
    "from_location",
    "to_location",
    "site_location",
    "qty",
    "occurred_at",
    "recorded_at",
    "document",
    "reverses_id",
)


def apply_deltas(
    conn: Connection,
    deltas: dict[tuple[int, str], Deltas] | dict[tuple[int, str], int],
    read_after: bool = False,
    *,
    below_zero: bool = False,
) -> dict:
    """Add `deltas` to the balance rows, creating missing rows; sorted key order.

    With `read_after`, returns {(location, sku): {"on_hand", "in_transit", "reserved",
    "held"}} after the change; otherwise an empty dict.

    With `below_zero`, `deltas` are plain on_hand changes (ints), applied in one
    set-based statement, and the answer is {(location, sku): on_hand} for the touched
    rows whose on_hand is below zero afterwards (the hot path of POS ingestion).
    """
    if not deltas:
        return {}
    keys = sorted(deltas)
    if below_zero:
        zeros = [0] * len(keys)
        below = add_to_counter_columns(
            conn,
            balances,
            ("location_id", "sku_id"),
            ("on_hand", "in_transit", "held"),
            [[k[0] for k in keys], [k[1] for k in keys], [deltas[k] for k in keys], zeros, zeros],
            below_zero="on_hand",
        )
        return {(location, sku): on_hand for location, sku, on_hand in below}
    add_to_counters(
        conn,
        balances,
        ("location_id", "sku_id"),
        ("on_hand", "in_transit", "held"),
        [
            (loc, sku, d.on_hand, d.in_transit, d.held)
            for (loc, sku), d in ((k, deltas[k]) for k in keys)
        ],
    )
    if not read_after:
        return {}
    return {
        (r.location_id, r.sku_id): {
            "on_hand": r.on_hand,
            "in_transit": r.in_transit,
            "reserved": r.reserved,
            "held": r.held,
        }
        for r in rows_by_keys(conn, balances, ("location_id", "sku_id"), keys)
    }
