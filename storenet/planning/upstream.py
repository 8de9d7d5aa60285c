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

import polars as pl
from sqlalchemy import Connection, delete, select

from storenet.ledger.transfers import create_and_ship
from storenet.planning.chain.plan import UpstreamLines, upstream_frame
from storenet.planning.chain.tree import ChainTree
from storenet.planning.network import PlanningNetwork
from storenet.purchasing.orders import create_purchase_order
from storenet.store.bulk import insert_frame
from storenet.store.schema import plan_upstream_lines, stores

KIND_ORDER = {"purchase": 0, "transfer": 1}


def upstream_rows(network: PlanningNetwork, tree: ChainTree, lines: UpstreamLines) -> pl.DataFrame:
    """The upstream lines as rows of `plan_upstream_lines` (without plan_id), purchases
    first, then transfers, each kind by (source, destination, SKU); line numbers from 1
    and `document_no` numbering the documents (supplier or source warehouse,
    destination) from 1 in that order. A water level of 1 (not scarce) is null."""
    frame = upstream_frame(lines, tree, network)
    if frame.height == 0:
        return frame.with_columns(
            pl.lit(None, pl.Int32).alias("line_no"), pl.lit(None, pl.Int32).alias("document_no")
        )
    frame = (
        frame.with_columns(pl.col("kind").replace_strict(KIND_ORDER, default=9).alias("_k"))
        .sort("_k", "source_id", "destination_id", "sku_id")
        .with_columns(
            pl.struct("_k", "source_id", "destination_id")
            .rank("dense")
            .cast(pl.Int32)
            .alias("document_no"),
            pl.int_range(1, pl.len() + 1, dtype=pl.Int32).alias("line_no"),
            pl.when(pl.col("water_level") < 1).then(pl.col("water_level")).alias("water_level"),
        )
        .drop("_k")
    )
    return frame


def upstream_summary(rows: pl.DataFrame) -> dict:
    """Headline figures of the upstream lines: lines and units of supplier orders and
    of warehouse transfers (lines of zero units included in the line counts: they
    explain why nothing was ordered), and how many purchase orders they make."""
    purchases = rows.filter(pl.col("kind") == "purchase")
    moves = rows.filter(pl.col("kind") == "transfer")
    return {
        "po_lines": purchases.height,
        "po_units": int(purchases["qty"].sum()),
        "purchase_orders": purchases.filter(pl.col("qty") > 0)["document_no"].n_unique(),
        "wh_transfer_lines": moves.height,
        "wh_transfer_units": int(moves["qty"].sum()),
    }


def save_upstream(conn: Connection, plan_id: str, rows: pl.DataFrame) -> None:
    """Write the upstream lines of draft `plan_id`, replacing any it had."""
    conn.execute(delete(plan_upstream_lines).where(plan_upstream_lines.c.plan_id == plan_id))
    insert_frame(conn, plan_upstream_lines, rows, constants={"plan_id": plan_id})


def read_upstream(
    conn: Connection,
    plan_id: str,
    *,
    kind: str | None = None,
    destinations: set[str] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    """Upstream lines of a plan by line number, optionally of one kind (`purchase`,
    `transfer`) or only into the warehouses `destinations` (None: all)."""
    stmt = select(plan_upstream_lines).where(plan_upstream_lines.c.plan_id == plan_id)
    if kind is not None:
        stmt = stmt.where(plan_upstream_lines.c.kind == kind)
    if destinations is not None:
        stmt = stmt.where(plan_upstream_lines.c.destination_id.in_(sorted(destinations)))
    stmt = stmt.order_by(plan_upstream_lines.c.line_no).limit(limit).offset(offset)
    return [r._asdict() for r in conn.execute(stmt)]


def warehouses_serving(conn: Connection, store_ids: set[str]) -> set[str]:
    """The warehouses that deliver to any of `store_ids` (the upstream lines a person
    who sees only those stores may read: what flows into their warehouses)."""
    rows = conn.execute(
        select(stores.c.warehouse_id)
        .where(stores.c.id.in_(sorted(store_ids)), stores.c.warehouse_id.is_not(None))
        .distinct()
    )
    return {r.warehouse_id for r in rows}


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
            create_and_ship(
                conn,
                transfer_id=transfer_id,
                source=doc["source"],
                destination=doc["destination"],
                lines=doc["lines"],
                by=by,
                reason=f"plan {plan_id}",
            )
            moves.append(transfer_id)
    return {"purchase_orders": orders, "warehouse_transfers": moves}
