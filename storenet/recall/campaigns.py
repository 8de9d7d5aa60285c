"""Creating, reading and listing recall campaigns.

A campaign's name is its idempotency key: creating a name that exists answers that
campaign and changes nothing (no second audit entry, its scope untouched), whatever
else the second request says. Creation writes the campaign, its scope rows, the units
they cover, the buyers already known (sold units with a warranty-registration
reference become contacts), its first transition, its kept funnel counts
(storenet.ledger.recall_counts) and one audit entry, all in the caller's transaction.
The hold is `storenet.recall.hold`'s, whole locations per transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import Connection, DateTime, insert, literal, select

from storenet.audit.chain import record
from storenet.errors import NotFound, Problem, Refused
from storenet.ledger.locations import CUSTOMER
from storenet.ledger.recall_counts import count_campaign, lock_units
from storenet.recall import scope as scoping
from storenet.recall.status import transitions
from storenet.store.bulk import analyze
from storenet.store.clock import utc_now
from storenet.store.locks import lock_name
from storenet.store.schema import (
    recall_campaign_transitions,
    recall_campaigns,
    recall_contacts,
    recall_scopes,
    recall_units,
    serials,
)

SEVERITIES = ("stop_sale", "advisory")
REMEDIES = ("repair", "replace", "refund")
# A campaign listing at least this many units refreshes the planner's statistics.
ANALYZE_FROM_UNITS = 10_000


def _text(value: object, field: str, limit: int, problems: list[Problem]) -> str:
    cleaned = value.strip() if isinstance(value, str) else ""
    if not cleaned or len(cleaned) > limit or "\x00" in cleaned:
        problems.append(Problem(field, f"is required: 1-{limit} characters, no NUL", value=value))
    return cleaned


def create_campaign(
    conn: Connection,
    *,
    name: str,
    reason: str,
    severity: str,
    remedy: str,
    by: str,
    scope: list[dict],
    serial_list: Iterable[str] | None = None,
    serial_list_label: str = "serial list",
    owner: str | None = None,
    deadline: date | None = None,
) -> dict:
    """Create recall campaign `name` as `by`, once: a name that exists answers
    {"id", "created": False} and writes nothing.

    `severity` is stop_sale (held and never sold) or advisory (buyers told, units not
    held); `remedy` repair, replace or refund; `owner` the person answerable (default
    `by`); `deadline` the day by which every unit should be held. `scope` rows and the
    streamed `serial_list` are `storenet.recall.scope`'s. Refused naming the field for
    any bad input, nothing written. Answers {"id", "created": True, "units"}.
    """
    problems: list[Problem] = []
    name = _text(name, "name", 200, problems)
    reason = _text(reason, "reason", 2000, problems)
    owner = _text(owner or by, "owner", 200, problems)
    if severity not in SEVERITIES:
        problems.append(Problem("severity", "must be stop_sale or advisory", value=severity))
    if remedy not in REMEDIES:
        problems.append(Problem("remedy", "must be repair, replace or refund", value=remedy))
    if deadline is not None and not isinstance(deadline, date):
        problems.append(Problem("deadline", "must be a day", value=str(deadline)))
    if problems:
        raise Refused(problems)
    lock_name(conn, f"recall:{name}")
    found = conn.execute(
        select(recall_campaigns.c.id).where(recall_campaigns.c.name == name)
    ).scalar()
    if found is not None:
        return {"id": found, "created": False}
    rows = scoping.check_scope(conn, scope or [], serial_list is not None)
    now = utc_now()
    campaign_id = f"RC-{uuid.uuid4().hex[:12]}"
    conn.execute(
        insert(recall_campaigns).values(
            id=campaign_id,
            name=name,
            reason=reason,
            severity=severity,
            remedy=remedy,
            owner=owner,
            status="open",
            deadline=deadline,
            created_at=now,
            created_by=by,
        )
    )
    conn.execute(
        insert(recall_campaign_transitions).values(
            campaign_id=campaign_id, at=now, from_status="", to_status="open", by=by, reason=reason
        )
    )
    listed = None
    if serial_list is not None:
        listed = scoping.list_serials(conn, campaign_id, serial_list, serial_list_label, now)
    scoping.resolve_rows(conn, campaign_id, rows, now)
    contacts = _known_buyers(conn, campaign_id, now)
    units = scoping.units_listed(conn, campaign_id)
    if units >= ANALYZE_FROM_UNITS:
        # The hold's queries join these units to the ledger's serials location by
        # location: planned for an empty recall_units table (autovacuum may be off,
        # or not have run yet) each one reads the whole campaign.
        analyze(conn, [recall_units.name])
    # The funnel is kept as units move from here on: start it from where they are now.
    lock_units(conn, campaign_id)
    count_campaign(conn, campaign_id)
    record(
        conn,
        by,
        "recall.create",
        f"recall:{campaign_id}",
        None,
        {
            "name": name,
            "severity": severity,
            "remedy": remedy,
            "owner": owner,
            "scope": rows,
            **({"serial_list": listed} if listed else {}),
            "units": units,
            "contacts": contacts,
        },
    )
    return {"id": campaign_id, "created": True, "units": units}


def _known_buyers(conn: Connection, campaign_id: str, now) -> int:  # type: ignore[no-untyped-def]
    """Put the buyers of the campaign's sold units (a warranty-registration reference
    on the unit) on its contact list; answers how many."""
    q = (
        select(
            recall_units.c.campaign_id,
            recall_units.c.serial,
            serials.c.buyer_ref,
        )
        .join(serials, serials.c.serial == recall_units.c.serial)
        .where(
            recall_units.c.campaign_id == campaign_id,
            serials.c.location_id == CUSTOMER,
            serials.c.buyer_ref.is_not(None),
        )
    )
    stmt = insert(recall_contacts).from_select(
        ["campaign_id", "serial", "buyer_ref", "added_at"],
        q.add_columns(literal(now, DateTime())),
    )
    return conn.execute(stmt).rowcount or 0


def get_campaign(conn: Connection, campaign_id: str) -> dict:
    """The campaign's fields, scope rows and transitions. NotFound."""
    row = conn.execute(select(recall_campaigns).where(recall_campaigns.c.id == campaign_id)).first()
    if row is None:
        raise NotFound("recall campaign", campaign_id)
    scope_rows = conn.execute(
        select(
            recall_scopes.c.kind,
            recall_scopes.c.value,
            recall_scopes.c.value_to,
            recall_scopes.c.units,
        )
        .where(recall_scopes.c.campaign_id == campaign_id)
        .order_by(recall_scopes.c.id)
    )
    return {
        **row._asdict(),
        "scope": [r._asdict() for r in scope_rows],
        "transitions": transitions(conn, campaign_id),
    }


def find_by_name(conn: Connection, name: str) -> str | None:
    """The id of the campaign called `name`, or None."""
    q = select(recall_campaigns.c.id).where(recall_campaigns.c.name == name)
    return conn.execute(q).scalar()


def list_campaigns(
    conn: Connection, *, status: str | None = None, limit: int = 100, offset: int = 0
) -> list[dict]:
    """Campaigns, newest first (`limit` + 1 rows, for paging): id, name, severity,
    remedy, owner, status, deadline, created_at."""
    c = recall_campaigns
    q = select(
        c.c.id,
        c.c.name,
        c.c.severity,
        c.c.remedy,
        c.c.owner,
        c.c.status,
        c.c.deadline,
        c.c.created_at,
    )
    if status is not None:
        q = q.where(c.c.status == status)
    q = q.order_by(c.c.created_at.desc(), c.c.id).limit(limit + 1).offset(offset)
    return [r._asdict() for r in conn.execute(q)]
