"""The hold of a campaign: every affected unit on hand goes into quarantine through the
ledger (`storenet.ledger.recall_location_hold.hold_locations`), whole locations per transaction
(atomic per location: a location is held whole or not at all).

Which locations: those where the ledger has a unit the campaign lists, and those with
units on hand of a SKU without serials that it covers whole. A location whose
transaction fails is retried whole (`unit_of_work`); running the hold again moves
nothing already held, so a hold cut short is finished by running it again (the CLI's
`recall create` with the same name does).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed

from sqlalchemy import Connection, Engine, func, select

from storenet.errors import NotFound
from storenet.ledger.locations import FIRST_REAL_ID
from storenet.ledger.recall_holds import plain_skus
from storenet.ledger.recall_location_hold import hold_locations
from storenet.store.engine import reading, unit_of_work
from storenet.store.schema import balances, recall_campaigns, recall_units, serials

# Units per hold transaction (whole locations), and transactions at a time on
# PostgreSQL: see hold_campaign.
BATCH_UNITS = 2000
WORKERS = 2


def locations_to_hold(conn: Connection, campaign_id: str) -> dict[int, dict[str, int]]:
    """{real location: {SKU: units to hold there now}} (listed serials, and units on
    hand of the SKUs without serials it covers), by location id."""
    listed = (
        select(serials.c.location_id, serials.c.sku_id, func.count())
        .join(
            recall_units,
            (recall_units.c.serial == serials.c.serial)
            & (recall_units.c.campaign_id == campaign_id),
        )
        .where(serials.c.location_id >= FIRST_REAL_ID)
        .group_by(serials.c.location_id, serials.c.sku_id)
    )
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for location_id, sku, units in conn.execute(listed):
        found[location_id][sku] = units
    plain = plain_skus(conn, campaign_id)
    if plain:
        q = select(balances.c.location_id, balances.c.sku_id, balances.c.on_hand).where(
            balances.c.sku_id.in_(plain), balances.c.on_hand > 0
        )
        for location_id, sku, units in conn.execute(q):
            found[location_id][sku] = int(units)
    return dict(sorted(found.items()))


def batches(units_at: dict[int, int], batch_units: int) -> list[list[int]]:
    """Locations grouped, in id order, into batches of about `batch_units` units (a
    location is never split; one bigger than a batch is a batch of its own)."""
    out: list[list[int]] = []
    size = 0
    for location_id, units in units_at.items():
        if not out or size + units > batch_units:
            out.append([])
            size = 0
        out[-1].append(location_id)
        size += units
    return out


def hold_campaign(
    engine: Engine,
    campaign_id: str,
    progress: Callable[[int, int], None] | None = None,
    batch_units: int = BATCH_UNITS,
    workers: int = WORKERS,
) -> dict:
    """Hold every affected unit of campaign `campaign_id` on hand, whole locations per
    transaction (about `batch_units` units each: fewer round trips than one location
    each, short enough that a POS batch waiting on one of their rows waits little), on
    PostgreSQL `workers` transactions at a time (their locations are disjoint, so they
    never wait on each other; SQLite has one writer: one at a time).
    `progress(done, total)` is told in locations. Answers {"locations", "serials",
    "units"}: locations visited, units held by serial and by quantity this run (0 and
    0 when everything was held already). An advisory campaign holds nothing. A batch
    that fails stops the hold (the batches not started are not run) and raises; what
    was held stays held, and running the hold again finishes it. NotFound for an
    unknown campaign."""
    with reading(engine) as conn:
        known = select(recall_campaigns.c.id).where(recall_campaigns.c.id == campaign_id)
        if conn.execute(known).first() is None:
            raise NotFound("recall campaign", campaign_id)
        skus_at = locations_to_hold(conn, campaign_id)
    units_at = {loc: sum(units.values()) for loc, units in skus_at.items()}
    held = {"locations": len(units_at), "serials": 0, "units": 0}
    done = [0]
    tally = threading.Lock()

    def hold(batch: list[int]) -> None:
        # What this read found there tells the batch which balance rows to lock first.
        found = {(loc, sku) for loc in batch for sku in skus_at[loc]}
        answer = unit_of_work(
            engine, lambda conn: hold_locations(conn, campaign_id, batch, expected=found)
        )
        with tally:
            held["serials"] += answer["serials"]
            held["units"] += answer["units"]
            done[0] += len(batch)
            if progress is not None:
                progress(done[0], len(units_at))

    todo = batches(units_at, batch_units)
    if workers <= 1 or engine.dialect.name != "postgresql" or len(todo) < 2:
        for batch in todo:
            hold(batch)
        return held
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(hold, batch) for batch in todo]
        try:
            for future in as_completed(futures):
                future.result()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return held
