"""The recall actions a person takes, each with its access check, in the caller's
transaction: create, read (with the funnel), list, change status, look a serial up.

Function scope is the policy's recall.* actions (storenet.accounts.roles); object
scope is the funnel's: a franchise owner, store manager or regional manager sees a
campaign's header and the part of its funnel in the stores (and, for a regional
manager, warehouses) they hold now. Writes run once per (caller, key): a replay
answers the first result and writes nothing, not even a second audit entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Connection

from storenet.accounts.access import require
from storenet.accounts.principal import Principal
from storenet.accounts.roles import NETWORK_WIDE
from storenet.accounts.scope import visible_stores, visible_warehouses
from storenet.ledger.idempotency import run_once
from storenet.ledger.locations import location_ids
from storenet.recall import campaigns, funnel, lookup, outbox, places, status, trace

SCOPE = "recall"


def visible_locations(conn: Connection, who: Principal) -> set[int] | None:
    """Ledger location ids of the stores and warehouses `who` sees now; None: all."""
    stores = visible_stores(conn, who)
    if stores is None:
        return None
    places = set(stores) | set(visible_warehouses(conn, who) or ())
    ids = location_ids(conn)
    return {ids[p] for p in places if p in ids}


def create(
    conn: Connection,
    who: Principal,
    *,
    key: str,
    name: str,
    reason: str,
    severity: str,
    remedy: str,
    scope: list[dict],
    serial_list: Iterable[str] | None = None,
    serial_list_label: str = "serial list",
    owner: str | None = None,
    deadline: date | None = None,
) -> dict:
    """Create campaign `name` as `who` (recall.write), once per name and once per
    key (storenet.recall.campaigns.create_campaign). The hold follows, one location
    per transaction: `storenet.recall.hold.hold_campaign`."""
    require(conn, who, "recall.write")
    payload = {
        "cmd": "create",
        "name": name,
        "reason": reason,
        "severity": severity,
        "remedy": remedy,
        "scope": scope,
        "serial_list": serial_list_label if serial_list is not None else None,
        "owner": owner,
        "deadline": deadline,
    }
    return run_once(
        conn,
        SCOPE,
        who.key_prefix + key,
        payload,
        lambda: campaigns.create_campaign(
            conn,
            name=name,
            reason=reason,
            severity=severity,
            remedy=remedy,
            by=who.username,
            scope=scope,
            serial_list=serial_list,
            serial_list_label=serial_list_label,
            owner=owner,
            deadline=deadline,
        ),
    )


def read(conn: Connection, who: Principal, campaign_id: str) -> dict:
    """The campaign (recall.read) with its funnel, scoped to what `who` sees
    (`"scoped": True` then). NotFound."""
    require(conn, who, "recall.read")
    doc = campaigns.get_campaign(conn, campaign_id)
    visible = visible_locations(conn, who)
    doc["scoped"] = visible is not None
    doc["funnel"] = funnel.funnel(conn, campaign_id, visible)
    return doc


def by_store(
    conn: Connection,
    who: Principal,
    campaign_id: str,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict]:
    """The funnel per store and warehouse `who` sees (recall.read), most units still
    not held first, `limit` rows (None: all) from `offset`, each flagged `overdue`
    when it still has units not held after the campaign's deadline
    (storenet.recall.places.place_page). NotFound."""
    require(conn, who, "recall.read")
    deadline = campaigns.get_campaign(conn, campaign_id)["deadline"]
    visible = visible_locations(conn, who)
    return places.place_page(conn, campaign_id, visible, deadline, limit=limit, offset=offset)


def by_region(conn: Connection, who: Principal, campaign_id: str) -> list[dict]:
    """The places `who` sees summed per region (recall.read), with how many places
    and how many of them overdue (storenet.recall.places.region_totals). NotFound."""
    require(conn, who, "recall.read")
    deadline = campaigns.get_campaign(conn, campaign_id)["deadline"]
    return places.region_totals(conn, campaign_id, visible_locations(conn, who), deadline)


def progress(conn: Connection, who: Principal, campaign_id: str) -> list[dict]:
    """The campaign by day (recall.read), what happened in `who`'s places only for a
    scoped person (storenet.recall.funnel.progress_by_day). NotFound."""
    require(conn, who, "recall.read")
    campaigns.get_campaign(conn, campaign_id)
    return funnel.progress_by_day(conn, campaign_id, visible_locations(conn, who))


def list_all(
    conn: Connection,
    who: Principal,
    *,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    """Campaigns, newest first (recall.read; every campaign is the whole brand's)."""
    require(conn, who, "recall.read")
    return campaigns.list_campaigns(conn, status=status, limit=limit, offset=offset)


def change(
    conn: Connection, who: Principal, *, key: str, campaign_id: str, action: str, reason: str = ""
) -> dict:
    """Complete, close (four eyes), reopen or cancel a campaign as `who`
    (recall.write), once per key (storenet.recall.status.change_status)."""
    require(conn, who, "recall.write")
    campaigns.get_campaign(conn, campaign_id)
    return run_once(
        conn,
        SCOPE,
        who.key_prefix + key,
        {"cmd": action, "id": campaign_id, "reason": reason},
        lambda: status.change_status(conn, campaign_id, action, who.username, reason),
    )


def trace_units(
    conn: Connection, who: Principal, kind: str | None, value: str | None
) -> list[dict]:
    """The units a receipt, a PO line or a buyer leads to (recall.read), those of
    `who`'s places only for a scoped person (storenet.recall.trace)."""
    require(conn, who, "recall.read")
    return trace.trace_units(conn, kind, value, visible_locations(conn, who))


def notify(
    conn: Connection, who: Principal, *, key: str, campaign_id: str, retry: bool = False
) -> dict:
    """Queue the campaign's notifications (recall.write), once per key; delivery
    follows after commit (storenet.recall.outbox.deliver_pending). Answers
    {"queued"}."""
    require(conn, who, "recall.write")
    return run_once(
        conn,
        SCOPE,
        who.key_prefix + key,
        {"cmd": "notify", "id": campaign_id, "retry": retry},
        lambda: {"queued": outbox.queue_notifications(conn, campaign_id, who.username, retry)},
    )


def advance_contact(
    conn: Connection, who: Principal, *, key: str, campaign_id: str, serial: str, to: str
) -> dict:
    """Move a contact one step (recall.write), once per key
    (storenet.recall.outbox.advance_contact)."""
    require(conn, who, "recall.write")
    return run_once(
        conn,
        SCOPE,
        who.key_prefix + key,
        {"cmd": "contact", "id": campaign_id, "serial": serial, "to": to},
        lambda: outbox.advance_contact(conn, campaign_id, serial, to, who.username),
    )


def look_up(conn: Connection, who: Principal, serial: str) -> dict:
    """A serial's recall status (recall.read): "recalled, stop sale" or not; where
    the unit is only for network-wide roles (storenet.recall.lookup)."""
    require(conn, who, "recall.read")
    return lookup.lookup_serial(conn, serial, detail=who.role in NETWORK_WIDE)
