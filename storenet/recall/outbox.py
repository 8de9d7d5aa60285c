"""Reaching the buyers: each contact's status, and notifications through an outbox.

A contact (a sold unit whose buyer left a warranty-registration reference) moves
through

    to_contact -> contacted -> responded -> returned -> remedied -> closed

one step at a time (`advance_contact`), each step a dated row in
`recall_contact_events`; reaching `remedied` marks the unit remedied in the funnel.

Notifications are written to `recall_outbox` in the transaction that decides them
(`queue_notifications`: attempt 1 for every contact still to contact, or with `retry`
the next attempt for those contacted who have not responded), and delivered after
commit (`deliver_pending`), one message per transaction: lock the oldest pending
message (SKIP LOCKED on PostgreSQL, so several deliverers share the work), send it to
the sink under its key, mark it sent and the contact contacted. A sink that fails
leaves the message pending with the error noted, for the next run; a process that dies
between the send and the mark leaves it pending too, and the next run sends the same
key again, which the sink ignores (storenet.recall.sinks): delivered exactly once per
attempt key (RELIABILITY 22).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import Connection, Engine, func, insert, select, update

from storenet import errors
from storenet.audit.chain import record
from storenet.errors import NotFound, Problem, Refused
from storenet.ledger.recall_counts import add_days, keeping_counts, unit_states
from storenet.recall.sinks import Sink
from storenet.store.bulk import insert_rows
from storenet.store.clock import utc_now
from storenet.store.engine import unit_of_work
from storenet.store.schema import (
    recall_campaigns,
    recall_contact_events,
    recall_contacts,
    recall_outbox,
    recall_units,
    serials,
)

STEPS = ("to_contact", "contacted", "responded", "returned", "remedied", "closed")


class ContactConflict(errors.StatusConflict):
    """A contact is not in the status a step can start from (a step skipped, or a
    concurrent change won). Nothing was written. Edges answer 409."""

    document = "recall contact"
    needs = {f"contact {to}": (STEPS[i - 1],) for i, to in enumerate(STEPS) if i}


def _place(conn: Connection, campaign_id: str, serial: str) -> int | None:
    """The unit's place as the campaign's kept counts have it (its store)."""
    for campaign, place, _ in unit_states(conn, [serial]):
        if campaign == campaign_id:
            return place
    return None


SYSTEM = "system:outbox"


def queue_notifications(conn: Connection, campaign_id: str, by: str, retry: bool = False) -> int:
    """Queue one message per contact of `campaign_id` still to contact that has none
    yet (attempt 1), or with `retry` one more attempt for each contact contacted but
    not responded whose last message went out; in the caller's transaction, audited
    once as recall.notify. Running it again queues nothing new. Answers how many it
    queued. NotFound for an unknown campaign."""
    campaign = conn.execute(
        select(recall_campaigns).where(recall_campaigns.c.id == campaign_id)
    ).first()
    if campaign is None:
        raise NotFound("recall campaign", campaign_id)
    o = recall_outbox
    last = (
        select(o.c.serial, func.max(o.c.attempt).label("attempt"))
        .where(o.c.campaign_id == campaign_id)
        .group_by(o.c.serial)
        .subquery()
    )
    pending = select(o.c.serial).where(o.c.campaign_id == campaign_id, o.c.status == "pending")
    q = (
        select(
            recall_contacts.c.serial, recall_contacts.c.buyer_ref, last.c.attempt, serials.c.sku_id
        )
        .outerjoin(last, last.c.serial == recall_contacts.c.serial)
        .outerjoin(serials, serials.c.serial == recall_contacts.c.serial)
        .where(recall_contacts.c.campaign_id == campaign_id)
        .order_by(recall_contacts.c.serial)
    )
    if retry:
        q = q.where(
            recall_contacts.c.status == "contacted",
            last.c.attempt.is_not(None),
            recall_contacts.c.serial.not_in(pending),
        )
    else:
        q = q.where(recall_contacts.c.status == "to_contact", last.c.attempt.is_(None))
    now = utc_now()
    rows = []
    for r in conn.execute(q):
        attempt = (r.attempt or 0) + 1
        message = {
            "campaign": campaign_id,
            "name": campaign.name,
            "reason": campaign.reason,
            "remedy": campaign.remedy,
            "stop_sale": campaign.severity == "stop_sale",
            "serial": r.serial,
            "sku": r.sku_id,
            "buyer_ref": r.buyer_ref,
            "attempt": attempt,
        }
        key = f"{campaign_id}:{r.serial}:{attempt}"
        rows.append((key, campaign_id, r.serial, attempt, json.dumps(message, sort_keys=True), now))
    insert_rows(
        conn,
        recall_outbox,
        ("key", "campaign_id", "serial", "attempt", "payload", "created_at"),
        rows,
        skip_conflicts=True,
    )
    if rows:
        record(conn, by, "recall.notify", f"recall:{campaign_id}", None, {"queued": len(rows)})
    return len(rows)


def advance_contact(conn: Connection, campaign_id: str, serial: str, to: str, by: str) -> dict:
    """Move contact (`campaign_id`, `serial`) one step to `to` as `by`, with a dated
    event; reaching `remedied` marks the unit remedied. ContactConflict for a step
    skipped or taken already; Refused for an unknown status; NotFound."""
    if to not in STEPS:
        raise Refused([Problem("status", f"must be one of {', '.join(STEPS)}", value=to)])
    row = conn.execute(
        select(recall_contacts.c.status)
        .where(recall_contacts.c.campaign_id == campaign_id, recall_contacts.c.serial == serial)
        .with_for_update()
    ).first()
    if row is None:
        raise NotFound("recall contact", f"{campaign_id}:{serial}")
    if STEPS.index(to) != STEPS.index(row.status) + 1:
        raise ContactConflict(f"{campaign_id}:{serial}", row.status, f"contact {to}")
    now = utc_now()
    conn.execute(
        update(recall_contacts)
        .where(recall_contacts.c.campaign_id == campaign_id, recall_contacts.c.serial == serial)
        .values(status=to)
    )
    conn.execute(
        insert(recall_contact_events).values(
            campaign_id=campaign_id,
            serial=serial,
            at=now,
            from_status=row.status,
            to_status=to,
            by=by,
        )
    )
    if to == "remedied":
        with keeping_counts(conn, [serial]):
            conn.execute(
                update(recall_units)
                .where(recall_units.c.campaign_id == campaign_id, recall_units.c.serial == serial)
                .values(remedied_at=now)
            )
        place = _place(conn, campaign_id, serial)
        add_days(conn, [(campaign_id, now.date(), place, "remedied", 1)])
    return {"campaign": campaign_id, "serial": serial, "status": to}


def deliver_pending(
    engine: Engine,
    sink: Sink,
    limit: int = 10_000,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Deliver up to `limit` pending messages to `sink`, one per transaction (module
    docstring). A message whose send fails stays pending with `tries` and
    `last_error` noted, and is not tried again in this run. Answers {"sent",
    "failed"}."""
    failed: set[int] = set()
    sent = 0
    while sent + len(failed) < limit:
        outcome = unit_of_work(engine, lambda conn: _deliver_one(conn, sink, failed))
        if outcome is None:
            break
        message_id, ok = outcome
        if ok:
            sent += 1
        else:
            failed.add(message_id)
        if progress is not None:
            progress(sent + len(failed), limit)
    return {"sent": sent, "failed": len(failed)}


def _deliver_one(conn: Connection, sink: Sink, skip: set[int]) -> tuple[int, bool] | None:
    """Send the oldest pending message not in `skip`; (its id, sent?) or None."""
    q = (
        select(recall_outbox)
        .where(recall_outbox.c.status == "pending")
        .order_by(recall_outbox.c.id)
    )
    if skip:
        q = q.where(recall_outbox.c.id.not_in(sorted(skip)))
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(skip_locked=True)
    row = conn.execute(q.limit(1)).first()
    if row is None:
        return None
    try:
        sink.send(row.key, json.loads(row.payload))
    except Exception as error:  # any sink failure: keep the message for the next run
        conn.execute(
            update(recall_outbox)
            .where(recall_outbox.c.id == row.id)
            .values(tries=recall_outbox.c.tries + 1, last_error=str(error)[:500])
        )
        return row.id, False
    mark_sent(conn, row.id)
    contact = conn.execute(
        select(recall_contacts.c.status).where(
            recall_contacts.c.campaign_id == row.campaign_id,
            recall_contacts.c.serial == row.serial,
        )
    ).scalar()
    if contact == "to_contact":
        advance_contact(conn, row.campaign_id, row.serial, "contacted", SYSTEM)
    return row.id, True


def mark_sent(conn: Connection, message_id: int) -> None:
    """Mark message `message_id` sent now (after its sink took it)."""
    conn.execute(
        update(recall_outbox)
        .where(recall_outbox.c.id == message_id)
        .values(status="sent", sent_at=utc_now(), tries=recall_outbox.c.tries + 1)
    )
