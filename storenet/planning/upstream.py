"""The plan's upstream lines as documents: supplier orders and warehouse transfers.

The chain plan (`storenet.planning.chain.plan`) proposes, besides the store lines, a
`purchase` line per (supplier, warehouse, SKU) it orders and a `transfer` line per
(warehouse, warehouse, SKU) it moves. Each keeps its explanation: the echelon's demand
over its lead time + review, the quantile at its service level, the echelon position,
the target, what was asked and what the supplier's rules or scarce stock made of it.
Lines with the same `document_no` become one document: one purchase order per
(supplier, warehouse), one transfer per (source, destination).

Releasing an approved plan creates them once, in the release's transaction: purchase
orders approved (the plan's approval is theirs) with ids ``<plan>-P<n>``, warehouse
transfers created and shipped with ids ``<plan>-W<n>``.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select

from storenet.ledger.transfers import create_transfer, ship_transfer
from storenet.planning.chain.plan import NOTES, UpstreamLines
from storenet.planning.chain.tree import ChainTree
from storenet.planning.network import PlanningNetwork
from storenet.purchasing.orders import create_purchase_order
from storenet.store.schema import plan_upstream_lines

KINDS = ("purchase", "transfer")
CUT_REASONS = {0: "", 1: "scarce stock", 2: "supplier capacity"}


def upstream_rows(network: PlanningNetwork, tree: ChainTree, lines: UpstreamLines) -> list[dict]:
    """The upstream lines as rows of `plan_upstream_lines` (without plan_id and
    line_no), purchases first, then transfers; `document_no` numbers the documents
    (supplier or source warehouse, destination) from 1 in that order."""
    rows: list[dict] = []
    documents: dict[tuple[int, str, str], int] = {}
    order = sorted(
        range(len(lines.kind)),
        key=lambda i: (int(lines.kind[i]), int(lines.source[i]), int(lines.destination[i])),
    )
    for i in order:
        kind = int(lines.kind[i])
        source = (
            tree.supplier_ids[int(lines.source[i])]
            if kind == 0
            else tree.warehouse_ids[int(lines.source[i])]
        )
        destination = tree.warehouse_ids[int(lines.destination[i])]
        number = documents.setdefault((kind, source, destination), len(documents) + 1)
        level = float(lines.water_level[i])
        rows.append(
            {
                "kind": KINDS[kind],
                "source_id": source,
                "destination_id": destination,
                "sku_id": network.sku_ids[int(lines.sku[i])],
                "qty": int(lines.qty[i]),
                "planned_qty": int(lines.qty[i]),
                "demand_mean": round(float(lines.demand_mean[i]), 3),
                "demand_quantile": int(lines.demand_quantile[i]),
                "service_level": float(lines.service_level[i]),
                "position": int(lines.position[i]),
                "target": int(lines.target[i]),
                "requested": int(lines.requested[i]),
                "cut_reason": CUT_REASONS[int(lines.cut_reason[i])],
                "water_level": level if level < 1 else None,
                "note": NOTES[int(lines.note[i])],
                "document_no": number,
            }
        )
    return rows


def upstream_summary(rows: list[dict]) -> dict:
    """Headline figures of the upstream lines: lines and units of supplier orders and
    of warehouse transfers (lines of zero units included in the line counts: they
    explain why nothing was ordered)."""
    purchases = [r for r in rows if r["kind"] == "purchase"]
    moves = [r for r in rows if r["kind"] == "transfer"]
    return {
        "po_lines": len(purchases),
        "po_units": sum(r["qty"] for r in purchases),
        "purchase_orders": len({r["document_no"] for r in purchases if r["qty"] > 0}),
        "wh_transfer_lines": len(moves),
        "wh_transfer_units": sum(r["qty"] for r in moves),
    }


def save_upstream(conn: Connection, plan_id: str, rows: list[dict]) -> None:
    """Write the upstream lines of draft `plan_id`, replacing any it had."""
    conn.execute(delete(plan_upstream_lines).where(plan_upstream_lines.c.plan_id == plan_id))
    numbered = [{"plan_id": plan_id, "line_no": n, **row} for n, row in enumerate(rows, 1)]
    for start in range(0, len(numbered), 5000):
        conn.execute(insert(plan_upstream_lines), numbered[start : start + 5000])


def read_upstream(
    conn: Connection,
    plan_id: str,
    *,
    kind: str | None = None,
    destination_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    """Upstream lines of a plan by line number, optionally of one kind (`purchase`,
    `transfer`) or to one warehouse."""
    stmt = select(plan_upstream_lines).where(plan_upstream_lines.c.plan_id == plan_id)
    if kind is not None:
        stmt = stmt.where(plan_upstream_lines.c.kind == kind)
    if destination_id is not None:
        stmt = stmt.where(plan_upstream_lines.c.destination_id == destination_id)
    stmt = stmt.order_by(plan_upstream_lines.c.line_no).limit(limit).offset(offset)
    return [r._asdict() for r in conn.execute(stmt)]


def release_upstream(conn: Connection, plan_id: str, by: str) -> dict:
    """Create the documents of an approved plan's upstream lines, in the caller's
    transaction: one approved purchase order per purchase document, one shipped
    transfer per warehouse transfer document (lines of zero units left out). Every
    write carries a key derived from the plan, so a retried release creates nothing
    twice. Returns {"purchase_orders": [ids], "warehouse_transfers": [ids]}."""
    rows = conn.execute(
        select(plan_upstream_lines)
        .where(plan_upstream_lines.c.plan_id == plan_id, plan_upstream_lines.c.qty > 0)
        .order_by(plan_upstream_lines.c.document_no, plan_upstream_lines.c.sku_id)
    ).all()
    documents: dict[tuple[str, int], dict] = {}
    for row in rows:
        doc = documents.setdefault(
            (row.kind, row.document_no),
            {"source": row.source_id, "destination": row.destination_id, "lines": []},
        )
        doc["lines"].append({"sku": row.sku_id, "qty": row.qty})
    orders, moves = [], []
    for (kind, number), doc in sorted(documents.items()):
        if kind == "purchase":
            po_id = f"{plan_id}-P{number:05d}"
            create_purchase_order(
                conn,
                key=f"{po_id}:create",
                po_id=po_id,
                supplier=doc["source"],
                warehouse=doc["destination"],
                lines=doc["lines"],
                by=by,
                plan_id=plan_id,
                approved=True,
            )
            orders.append(po_id)
        else:
            transfer_id = f"{plan_id}-W{number:05d}"
            create_transfer(
                conn,
                key=f"{transfer_id}:create",
                transfer_id=transfer_id,
                source=doc["source"],
                destination=doc["destination"],
                lines=doc["lines"],
            )
            ship_transfer(conn, key=f"{transfer_id}:ship", transfer_id=transfer_id)
            moves.append(transfer_id)
    return {"purchase_orders": orders, "warehouse_transfers": moves}
