"""The demo's outside world between nights: suppliers that confirm and deliver, and
carriers that bring transfers.

Each released plan leaves approved purchase orders and shipped transfers. The demo
plays the other side, through the same services a buyer and a warehouse clerk use:

- `send_and_confirm`: the night's purchase orders are sent to their suppliers the
  evening before the delivery day; each supplier confirms every line in full with a
  promised day: the evening + a lead time drawn around the supplier item's mean with
  its spread (seeded by order and line, so a second run draws the same);
- `book_arrivals`: each morning, the supplier deliveries promised for that day or
  earlier are received at their warehouse (serial-tracked SKUs with new serials
  named after the order line; a seeded 2% of lines arrive with one unit damaged,
  which goes to quarantine), and every shipped transfer whose lane lead time has
  passed is received at its destination.

Lead times follow the tree's convention (storenet.planning.chain.tree): days from the
evening an order or shipment is decided to the morning its units can be used. Every
write has a key or a status check, so a second run of the demo changes nothing.
"""

from __future__ import annotations

import zlib
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import Engine, func, select

from storenet.ledger.locations import location_names
from storenet.ledger.transfer_receipts import receive_transfer
from storenet.purchasing.lifecycle import confirm_purchase_order, send_purchase_order
from storenet.purchasing.orders import get_purchase_order, open_units
from storenet.purchasing.receipts import receive_purchase_order
from storenet.store.engine import reading, unit_of_work
from storenet.store.schema import (
    lanes,
    plans,
    purchase_order_receipts,
    purchase_orders,
    skus,
    supplier_items,
    transfers,
)

BUYER = "demo-buyer"
CLERK = "demo-clerk"
DAMAGED_LINES = 0.02
DEFAULT_LEAD_DAYS = 1  # a transfer on a lane the network does not describe


def send_and_confirm(engine: Engine, plan_id: str, evening: datetime) -> int:
    """Send plan `plan_id`'s approved purchase orders at `evening` and record each
    supplier's confirmation (every line in full, promised on the evening's day + a
    drawn lead time). Orders already sent are left alone. Returns the orders sent."""
    with reading(engine) as conn:
        approved = conn.execute(
            select(purchase_orders.c.id)
            .where(purchase_orders.c.plan_id == plan_id, purchase_orders.c.status == "approved")
            .order_by(purchase_orders.c.id)
        ).scalars()
        approved = list(approved)
        terms = {
            (r.supplier_id, r.sku_id): (r.lead_days_mean, r.lead_days_sd)
            for r in conn.execute(select(supplier_items))
        }
    for po_id in approved:

        def work(conn, po_id=po_id):  # type: ignore[no-untyped-def]
            order = send_purchase_order(conn, po_id, BUYER, at=evening)
            promised = [
                {
                    "line_no": line["line_no"],
                    "promised_on": evening.date()
                    + timedelta(
                        days=_lead_days(
                            terms.get((order["supplier_id"], line["sku_id"]), (7.0, 0.0)),
                            f"{po_id}:{line['line_no']}",
                        )
                    ),
                }
                for line in order["lines"]
            ]
            confirm_purchase_order(conn, po_id, BUYER, lines=promised)

        unit_of_work(engine, work)
    return len(approved)


def _lead_days(mean_sd: tuple[float, float], seed_text: str) -> int:
    """A lead time in whole days >= 1, normal around the mean with its spread, drawn
    from a generator seeded by `seed_text` (the same draw on every run)."""
    mean, sd = mean_sd
    rng = np.random.default_rng(zlib.crc32(seed_text.encode()))
    return max(1, int(round(mean + sd * rng.standard_normal())))


def book_arrivals(engine: Engine, day: date, market_tz: str) -> dict:
    """Receive, at 07:00 on `day` in the market's time zone, every supplier delivery
    promised for `day` or before, and every shipped transfer whose lane lead time has
    passed. Returns what arrived that morning, this run or an earlier one (a replay
    answers the same): {"supplier_units": good units, "damaged_units", "transfers":
    transfers received by this run}."""
    morning = datetime.combine(day, time(7), ZoneInfo(market_tz))
    with reading(engine) as conn:
        due_orders = conn.execute(
            select(purchase_orders.c.id)
            .where(purchase_orders.c.status.in_(("confirmed", "partly_received")))
            .order_by(purchase_orders.c.id)
        ).scalars()
        due_orders = list(due_orders)
        tracked = set(conn.execute(select(skus.c.id).where(skus.c.serial_tracked)).scalars())
        lead = {(r.from_id, r.to_id): r.lead_days_mean for r in conn.execute(select(lanes))}
        shipped = conn.execute(
            select(
                transfers.c.id,
                plans.c.for_day,
                transfers.c.from_location,
                transfers.c.to_location,
            )
            .join(plans, transfers.c.id.like(plans.c.id + "-%"))
            .where(transfers.c.status == "shipped")
            .order_by(transfers.c.id)
        ).all()
        places = location_names(conn)
    booked = {"transfers": 0}
    for po_id in due_orders:
        with reading(engine) as conn:
            order = get_purchase_order(conn, po_id)
        lines = [
            _delivery(po_id, line, line["sku_id"] in tracked, day)
            for line in order["lines"]
            if open_units(line) > 0
            and line["promised_on"] is not None
            and line["promised_on"] <= day
        ]
        if not lines:
            continue
        unit_of_work(
            engine,
            lambda c, p=po_id, ls=lines: receive_purchase_order(
                c,
                key=f"{p}:arrival:{day.isoformat()}",
                po_id=p,
                lines=ls,
                by=CLERK,
                delivery_note=f"{p}/{day.isoformat()}",
                at=morning,
            ),
        )
    for transfer_id, for_day, source, destination in shipped:
        days = lead.get((places[source], places[destination]), DEFAULT_LEAD_DAYS)
        # Shipped the evening before the plan's delivery day, on the lane's lead time.
        if for_day - timedelta(days=1) + timedelta(days=max(1, round(days))) > day:
            continue
        unit_of_work(
            engine,
            lambda c, t=transfer_id: receive_transfer(
                c, key=f"{t}:receive", transfer_id=t, at=morning, by=CLERK
            ),
        )
        booked["transfers"] += 1
    with reading(engine) as conn:
        good, damaged = conn.execute(
            select(
                func.coalesce(func.sum(purchase_order_receipts.c.qty_good), 0),
                func.coalesce(func.sum(purchase_order_receipts.c.qty_damaged), 0),
            ).where(purchase_order_receipts.c.delivery_note.like(f"%/{day.isoformat()}"))
        ).one()
    return {**booked, "supplier_units": int(good), "damaged_units": int(damaged)}


def _delivery(po_id: str, line: dict, serial_tracked: bool, day: date) -> dict:
    """What arrives of an order line: all its open units, a seeded few lines with one
    of them damaged; serial-tracked units with new serials named after the line."""
    units = open_units(line)
    rng = np.random.default_rng(zlib.crc32(f"{po_id}:{line['line_no']}:{day}".encode()))
    damaged = 1 if units > 1 and rng.random() < DAMAGED_LINES else 0
    out: dict = {"line_no": line["line_no"], "good": units - damaged}
    if damaged:
        out["damaged"] = damaged
    if serial_tracked:
        names = [f"{po_id}-{line['line_no']}-{day:%Y%m%d}-{i:05d}" for i in range(units)]
        out["serials"] = names[damaged:]
        if damaged:
            out["damaged_serials"] = names[:damaged]
    return out
