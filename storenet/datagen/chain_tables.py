"""The chain's master tables, as Arrow tables in the columns of docs/data-formats.md:
suppliers, supplier items, lanes, and the history of purchase orders (orders, lines,
receipts). Money is decimal(12, 2) in the supplier's currency, days date32."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from storenet.datagen.files import dates, ids
from storenet.datagen.lanes import Lanes
from storenet.datagen.master import money
from storenet.datagen.purchases import OrderLines
from storenet.datagen.suppliers import Sourcing


def suppliers_table(s: Sourcing) -> pa.Table:
    """suppliers: id, name, currency."""
    return pa.table(
        {
            "id": pa.array(s.supplier_ids, pa.string()),
            "name": pa.array(s.supplier_names, pa.string()),
            "currency": pa.array(s.supplier_currency, pa.string()),
        }
    )


def supplier_items_table(s: Sourcing, sku_ids: list[str], warehouse_ids: list[str]) -> pa.Table:
    """supplier_items: supplier_id, sku_id, delivers_to, lead_days_mean, lead_days_sd,
    moq, case_pack, weekly_capacity, unit_cost, currency, order_days, is_primary."""
    order_days = [s.order_days(k) for k in range(len(s.supplier_ids))]
    return pa.table(
        {
            "supplier_id": pa.array([s.supplier_ids[k] for k in s.item_supplier], pa.string()),
            "sku_id": pa.array([sku_ids[k] for k in s.item_sku], pa.string()),
            "delivers_to": pa.array(
                [warehouse_ids[w] if w >= 0 else None for w in s.item_delivers_to.tolist()],
                pa.string(),
            ),
            "lead_days_mean": pa.array(s.item_lead_mean, pa.float64()),
            "lead_days_sd": pa.array(s.item_lead_sd, pa.float64()),
            "moq": pa.array(s.item_moq, pa.int32()),
            "case_pack": pa.array(s.item_case_pack, pa.int32()),
            "weekly_capacity": pa.array(s.item_capacity, pa.int32(), mask=s.item_capacity < 0),
            "unit_cost": money(s.item_cost_cents),
            "currency": pa.array([s.supplier_currency[k] for k in s.item_supplier], pa.string()),
            "order_days": pa.array([order_days[k] for k in s.item_supplier], pa.string()),
            "is_primary": pa.array(s.item_primary, pa.bool_()),
        }
    )


def lanes_table(lanes: Lanes, location_ids: pa.Array) -> pa.Table:
    """lanes: from_id, to_id, lead_days_mean, lead_days_sd, review_days."""
    return pa.table(
        {
            "from_id": ids(lanes.origin, location_ids),
            "to_id": ids(lanes.destination, location_ids),
            "lead_days_mean": pa.array(lanes.lead_mean, pa.float64()),
            "lead_days_sd": pa.array(lanes.lead_sd, pa.float64()),
            "review_days": pa.array(lanes.review_days, pa.int32()),
        }
    )


def order_tables(
    lines: OrderLines,
    s: Sourcing,
    first_day: np.datetime64,
    n_days: int,
    sku_ids: list[str],
    warehouse_ids: list[str],
) -> dict[str, pa.Table]:
    """purchase_orders (id, supplier_id, warehouse_id, currency, ordered_on, status),
    purchase_order_lines (po_id, line_no, sku_id, qty_ordered, unit_cost, promised_on)
    and purchase_order_receipts (po_id, line_no, received_on, qty_good, qty_damaged,
    delivery_note) of the orders of a history of `n_days` days.

    An order's id is "HPO-<day>-<supplier>-<warehouse>"; lines are numbered from 1 in
    SKU order; promised_on is the supplier's mean lead time on. An order received
    within the history is `closed`, and each of its lines that received anything has
    one receipt (all lines of an order arrive together; a line with none had its whole
    quantity cancelled). An order still on its way at the end is `confirmed`, open,
    with no receipt."""
    # Lines are in (day, supplier, warehouse, SKU) order, so an order's lines are a run.
    key = np.stack([lines.ordered, lines.supplier, lines.warehouse])
    starts = np.flatnonzero(np.r_[True, np.any(key[:, 1:] != key[:, :-1], axis=0)])
    n = len(lines)
    order_of_line = np.cumsum(np.isin(np.arange(n), starts)) - 1
    line_no = np.arange(n) - starts[order_of_line] + 1
    day = first_day + lines.ordered
    po_ids = [
        f"HPO-{str(d).replace('-', '')}-{s.supplier_ids[k]}-{warehouse_ids[w]}"
        for d, k, w in zip(
            day[starts], lines.supplier[starts].tolist(), lines.warehouse[starts].tolist()
        )
    ]
    po_dict = pa.array(po_ids, pa.string())
    currency = [s.supplier_currency[k] for k in lines.supplier[starts].tolist()]
    promised = day + np.round(s.supplier_lead_mean[lines.supplier]).astype("timedelta64[D]")
    received = lines.qty_good + lines.qty_damaged > 0
    r = np.flatnonzero(received & ~lines.open(n_days))
    status = np.where(lines.open(n_days)[starts], "confirmed", "closed")
    return {
        "purchase_orders": pa.table(
            {
                "id": po_dict,
                "supplier_id": pa.array(
                    [s.supplier_ids[k] for k in lines.supplier[starts].tolist()], pa.string()
                ),
                "warehouse_id": pa.array(
                    [warehouse_ids[w] for w in lines.warehouse[starts].tolist()], pa.string()
                ),
                "currency": pa.array(currency, pa.string()),
                "ordered_on": dates(day[starts]),
                "status": pa.array(status.tolist(), pa.string()),
            }
        ),
        "purchase_order_lines": pa.table(
            {
                "po_id": ids(order_of_line, po_dict),
                "line_no": pa.array(line_no, pa.int32()),
                "sku_id": ids(lines.sku, pa.array(sku_ids, pa.string())),
                "qty_ordered": pa.array(lines.qty_ordered, pa.int32()),
                "unit_cost": money(s.item_cost_cents[lines.item]),
                "promised_on": dates(promised),
            }
        ),
        "purchase_order_receipts": pa.table(
            {
                "po_id": ids(order_of_line[r], po_dict),
                "line_no": pa.array(line_no[r], pa.int32()),
                "received_on": dates(first_day + lines.arrival[r]),
                "qty_good": pa.array(lines.qty_good[r], pa.int32()),
                "qty_damaged": pa.array(lines.qty_damaged[r], pa.int32()),
                "delivery_note": pa.nulls(len(r), pa.string()),
            }
        ),
    }
