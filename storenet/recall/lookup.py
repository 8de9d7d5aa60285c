"""A serial's recall status, for the counter: "recalled, stop sale" or not.

The answer depends only on the campaigns listing the serial, not on where the ledger
has the unit, so telling it to anyone signed in leaks nothing (a serial the ledger
never saw and a serial no campaign lists answer alike: "not recalled"); where the
unit is and who bought it is added only for callers who may see it (`detail`).
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from storenet.ledger.recall_holds import ACTIVE, STOP_SALE
from storenet.ledger.serials import find_serial
from storenet.store.schema import recall_campaigns, recall_units

RECALLED_STOP_SALE = "recalled, stop sale"
RECALLED_ADVISORY = "recalled, advisory: sell, and register the buyer"
NOT_RECALLED = "not recalled"


def lookup_serial(conn: Connection, serial: str, detail: bool = False) -> dict:
    """{"serial", "recalled", "stop_sale", "message", "campaigns": [{"id", "name",
    "severity", "remedy", "status"}]} over the active campaigns listing `serial`;
    with `detail`, also "sku_id" and "location_id" (None when the ledger never saw
    it). Cost: one indexed read (ix_recall_units_serial), one more with `detail`."""
    c = recall_campaigns
    q = (
        select(c.c.id, c.c.name, c.c.severity, c.c.remedy, c.c.status)
        .join(recall_units, recall_units.c.campaign_id == c.c.id)
        .where(recall_units.c.serial == serial, c.c.status.in_(ACTIVE))
        .order_by(c.c.created_at, c.c.id)
    )
    campaigns = [r._asdict() for r in conn.execute(q)]
    stop = any(r["severity"] == STOP_SALE for r in campaigns)
    message = RECALLED_STOP_SALE if stop else RECALLED_ADVISORY if campaigns else NOT_RECALLED
    answer = {
        "serial": serial,
        "recalled": bool(campaigns),
        "stop_sale": stop,
        "message": message,
        "campaigns": campaigns,
    }
    if detail:
        unit = find_serial(conn, serial)
        answer["sku_id"] = unit["sku_id"] if unit else None
        answer["location_id"] = unit["location_id"] if unit else None
    return answer
