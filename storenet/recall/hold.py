"""The hold of a campaign: every affected unit on hand goes into quarantine, one
location per transaction (atomic per location), through the ledger
(`storenet.ledger.recall_holds.hold_location`).

Which locations: those where the ledger has a unit the campaign lists, and those with
units on hand of a SKU without serials that it covers whole. A location whose
transaction fails is retried whole (`unit_of_work`); running the hold again moves
nothing already held, so a hold cut short is finished by running it again (the CLI's
`recall create` with the same name does).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, select

from storenet.errors import NotFound
from storenet.ledger.locations import FIRST_REAL_ID
from storenet.ledger.recall_holds import hold_location, plain_skus
from storenet.store.engine import reading, unit_of_work
from storenet.store.schema import balances, recall_campaigns, recall_units, serials


def locations_to_hold(conn: Connection, campaign_id: str) -> list[int]:
    """Real locations holding a unit of the campaign now (listed serials, or units on
    hand of a SKU without serials it covers), sorted."""
    listed = (
        select(serials.c.location_id)
        .join(
            recall_units,
            (recall_units.c.serial == serials.c.serial)
            & (recall_units.c.campaign_id == campaign_id),
        )
        .where(serials.c.location_id >= FIRST_REAL_ID)
        .distinct()
    )
    found = set(conn.execute(listed).scalars())
    plain = plain_skus(conn, campaign_id)
    if plain:
        q = select(balances.c.location_id).where(
            balances.c.sku_id.in_(plain), balances.c.on_hand > 0
        )
        found |= set(conn.execute(q.distinct()).scalars())
    return sorted(found)


def hold_campaign(
    engine: Engine,
    campaign_id: str,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Hold every affected unit of campaign `campaign_id` on hand, one transaction per
    location. `progress(done, total)` is told after each location. Answers
    {"locations", "serials", "units"}: locations visited, units held by serial and by
    quantity this run (0 and 0 when everything was held already). An advisory campaign
    holds nothing. NotFound for an unknown campaign."""
    with reading(engine) as conn:
        known = select(recall_campaigns.c.id).where(recall_campaigns.c.id == campaign_id)
        if conn.execute(known).first() is None:
            raise NotFound("recall campaign", campaign_id)
        where = locations_to_hold(conn, campaign_id)
    held = {"locations": len(where), "serials": 0, "units": 0}
    for done, location_id in enumerate(where, start=1):
        answer = unit_of_work(
            engine, lambda conn, loc=location_id: hold_location(conn, campaign_id, loc)
        )
        held["serials"] += answer["serials"]
        held["units"] += answer["units"]
        if progress is not None:
            progress(done, len(where))
    return held
