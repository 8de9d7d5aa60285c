"""Serials name real locations and recall units real campaigns (migration 0019: checked
by triggers, once per statement on PostgreSQL, instead of foreign keys), on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from storenet.ledger.locations import CUSTOMER, QUARANTINE, ensure_locations
from storenet.store.schema import recall_campaigns, recall_units, serials

WHEN = datetime(2026, 12, 7)
NOWHERE = 99_999


def _serial(number: str, location: int, site: int | None = None) -> dict:
    return {"serial": number, "sku_id": "K", "location_id": location,
            "site_location": site, "last_movement_id": 1}  # fmt: skip


def _campaign(conn) -> None:  # type: ignore[no-untyped-def]
    conn.execute(
        insert(recall_campaigns).values(
            id="RC-1", name="n", reason="r", severity="stop_sale", remedy="repair",
            owner="o", status="open", created_at=WHEN, created_by="b",
        )
    )  # fmt: skip


def test_a_serial_at_no_location_is_refused_on_insert_and_update(engine):
    with engine.begin() as conn:
        ensure_locations(conn)
        conn.execute(insert(serials), [_serial("A", CUSTOMER), _serial("B", QUARANTINE, CUSTOMER)])
    for bad in (_serial("C", NOWHERE), _serial("C", QUARANTINE, NOWHERE)):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(insert(serials), [_serial("D", CUSTOMER), bad])
    for values in ({"location_id": NOWHERE}, {"site_location": NOWHERE}):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(update(serials).values(values))
    with engine.begin() as conn:  # the good rows and good moves stand
        conn.execute(update(serials).values(location_id=QUARANTINE, site_location=CUSTOMER))
        assert sorted(conn.execute(serials.select().with_only_columns(serials.c.serial))
                      .scalars()) == ["A", "B"]  # fmt: skip


def test_a_recall_unit_of_no_campaign_is_refused(engine):
    unit = {"serial": "A", "sku_id": "K", "added_at": WHEN}
    with engine.begin() as conn:
        _campaign(conn)
        conn.execute(insert(recall_units), [{"campaign_id": "RC-1", **unit}])
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(recall_units), [{"campaign_id": "RC-NONE", **unit}])
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(update(recall_units).values(campaign_id="RC-NONE"))
