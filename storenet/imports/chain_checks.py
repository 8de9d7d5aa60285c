"""Checks of the chain's files: suppliers, supplier items, lanes, warehouse parents and
the purchase-order history.

Row rules (`chain_row_checks`, pass 1) need one row: a lead time above zero, order days
that are weekdays, a currency code, a lane between two places, a receipt of something.
The rest (`check_chain`, pass 2) need the other files or the database (`ChainKnown`):
one primary supplier per SKU, a parent that is a central warehouse and no cycle of
parents, historic order lines and receipts that belong to an order of the folder,
orders and receipts that predate the import's time (a receipt's stock is in the
opening stock), and no receipt for an order still open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl
from sqlalchemy import Connection

from storenet.imports.checks import Check, apply_checks
from storenet.imports.problems import Problems
from storenet.imports.read import ROW, TableFile
from storenet.imports.tables import WEEKDAYS
from storenet.store.bulk import read_frame

CURRENCY = r"^[A-Z]{3}$"
CURRENCY_REASON = "must be a three-letter currency code in capitals (ISO 4217, like CNY)"
DAY_NUMBER = {w: i for i, w in enumerate(WEEKDAYS)}


def _order_day_words() -> pl.Expr:
    return (
        pl.col("order_days")
        .str.split(",")
        .list.eval(pl.element().str.strip_chars().str.to_lowercase())
    )


def normalised_order_days(names: list[str]) -> list[pl.Expr]:
    """`order_days` in the stored form, when the table has it: lower case, each day
    once, in week order ("thu, Mon" -> "mon,thu"). Words that are not days are left
    out here; pass 1 refuses them."""
    if "order_days" not in names:
        return []
    days = _order_day_words().list.eval(
        pl.element()
        .replace_strict(DAY_NUMBER, default=None, return_dtype=pl.Int8)
        .drop_nulls()
        .unique()
        .sort()
        .replace_strict({i: w for w, i in DAY_NUMBER.items()}, return_dtype=pl.String)
    )
    return [days.list.join(",").alias("order_days")]


def chain_row_checks(table: str) -> list[Check]:
    """The rules within one row of the chain's files (pass 1)."""
    c = pl.col
    currency = Check(
        "currency", CURRENCY_REASON, ~c("currency").str.contains(CURRENCY), c("currency")
    )
    if table in ("suppliers", "purchase_orders"):
        return [currency]
    if table == "supplier_items":
        words = _order_day_words()
        strange = words.list.eval(pl.element().filter(~pl.element().is_in(WEEKDAYS)))
        return [
            currency,
            Check(
                "lead_days_mean",
                "must be more than 0 days (from sending the order to the receipt)",
                c("lead_days_mean") <= 0,
                c("lead_days_mean"),
            ),
            Check(
                "order_days",
                "",
                ~words.list.eval(pl.element().is_in(WEEKDAYS)).list.all(),
                c("order_days"),
                why=pl.format(
                    'holds "{}", which is not a weekday: order days are mon, tue, wed, thu, '
                    'fri, sat, sun separated by commas, like "mon,thu"',
                    strange.list.join(","),
                ),
            ),
        ]
    if table == "lanes":
        return [
            Check(
                "to_id", "is the lane's own start (from_id)", c("to_id") == c("from_id"), c("to_id")
            )
        ]
    if table == "warehouses":
        return [
            Check(
                "parent_id",
                "is the warehouse itself: a warehouse cannot feed itself",
                c("parent_id") == c("id"),
                c("parent_id"),
            )
        ]
    if table == "purchase_order_receipts":
        return [
            Check(
                "qty_good",
                "a receipt receives something: qty_good + qty_damaged must be more than 0",
                (c("qty_good") + c("qty_damaged").fill_null(0)) == 0,
                c("qty_good"),
            )
        ]
    return []


@dataclass
class ChainKnown:
    """What the database holds that the chain's checks need:

    - `warehouses`: (id, kind, parent_id) of every stored warehouse;
    - `primaries`: (supplier_id, sku_id) of the stored primary supplier items (read
      when the folder has supplier items).
    """

    warehouses: pl.DataFrame
    primaries: pl.DataFrame


def load_chain_known(conn: Connection, files: dict[str, TableFile]) -> ChainKnown:
    """Read what checking `files` (typed) against the database needs."""
    warehouses = read_frame(
        conn,
        "SELECT id, kind, parent_id FROM warehouses",
        {"id": pl.String(), "kind": pl.String(), "parent_id": pl.String()},
    )
    primaries = pl.DataFrame(schema={"supplier_id": pl.String, "sku_id": pl.String})
    if "supplier_items" in files:
        primaries = read_frame(
            conn,
            "SELECT supplier_id, sku_id FROM supplier_items WHERE is_primary",
            {"supplier_id": pl.String(), "sku_id": pl.String()},
        )
    return ChainKnown(warehouses, primaries)


def check_chain(
    files: dict[str, TableFile], chain: ChainKnown, at: datetime, problems: Problems
) -> None:
    """Add the chain's problems that need other files or the database (pass 2)."""
    _check_primaries(files, chain, problems)
    _check_parents(files, chain, problems)
    _check_order_history(files, chain, at, problems)


def _check_primaries(files: dict[str, TableFile], chain: ChainKnown, problems: Problems) -> None:
    # The SKU's sources after the import: the file's rows, and the stored ones the file
    # does not restate. The plan orders from the one primary.
    if "supplier_items" not in files:
        return
    tf = files["supplier_items"]
    given = tf.frame.drop_nulls(["supplier_id", "sku_id"])
    kept = chain.primaries.join(given, on=["supplier_id", "sku_id"], how="anti")
    primary = pl.concat(
        [
            given.filter(pl.col("is_primary")).select("supplier_id", "sku_id"),
            kept.select("supplier_id", "sku_id"),
        ]
    )
    many = primary.group_by("sku_id").agg(
        pl.col("supplier_id").sort().str.join(", ").alias("primaries"), pl.len().alias("n")
    )
    rows = (
        given.filter(pl.col("is_primary"))
        .join(many.filter(pl.col("n") > 1), on="sku_id")
        .select(
            ROW,
            pl.col("is_primary").alias("value"),
            pl.format(
                "{} would have {} primary suppliers ({}): a SKU has one primary supplier",
                pl.col("sku_id"),
                pl.col("n"),
                pl.col("primaries"),
            ).alias("reason"),
        )
    )
    problems.add_rows(tf, "is_primary", "", rows)


def _check_parents(files: dict[str, TableFile], chain: ChainKnown, problems: Problems) -> None:
    tf = files.get("warehouses")
    if tf is None or "parent_id" not in tf.given:
        return
    given = tf.frame.drop_nulls("id")
    stored = chain.warehouses.join(given, on="id", how="anti")
    after = pl.concat([given.select("id", "kind", "parent_id"), stored])
    kind = dict(zip(after["id"].to_list(), after["kind"].to_list()))
    parent = dict(zip(after["id"].to_list(), after["parent_id"].to_list()))
    rows, values, reasons = [], [], []
    for row, wid, pid in given.select(ROW, "id", "parent_id").iter_rows():
        if pid is None or pid == wid or pid not in kind:
            continue  # none, itself (pass 1), or unknown (a reference problem)
        if kind[pid] != "central":
            rows.append(row)
            values.append(pid)
            reasons.append(f"is not a central warehouse ({pid} is {kind[pid]})")
            continue
        path, at = [wid], pid
        while at is not None and at not in path and len(path) <= len(parent):
            path.append(at)
            at = parent.get(at)
        if at == wid:
            rows.append(row)
            values.append(pid)
            reasons.append("makes a cycle of parents: " + " -> ".join([*path, wid]))
    frame = pl.DataFrame(
        {ROW: rows, "value": values, "reason": reasons},
        schema={ROW: pl.Int64, "value": pl.String, "reason": pl.String},
    )
    problems.add_rows(tf, "parent_id", "", frame)


def _check_order_history(
    files: dict[str, TableFile], chain: ChainKnown, at: datetime, problems: Problems
) -> None:
    orders, lines, receipts = (
        files.get(n) for n in ("purchase_orders", "purchase_order_lines", "purchase_order_receipts")
    )
    order_frame = (
        orders.frame.drop_nulls("id")
        if orders is not None
        else pl.DataFrame(schema={"id": pl.String, "ordered_on": pl.Date, "status": pl.String})
    )
    when = at.replace(tzinfo=None)
    line_keys = (
        lines.frame.drop_nulls(["po_id", "line_no"]).select("po_id", "line_no")
        if lines is not None
        else pl.DataFrame(schema={"po_id": pl.String, "line_no": pl.Int64})
    )
    if orders is not None:
        with_lines = order_frame.join(
            line_keys.select(pl.col("po_id").alias("id")).unique(), on="id", how="anti"
        )
        problems.add_rows(
            orders,
            "id",
            "has no lines in the folder's purchase_order_lines file",
            with_lines.select(ROW, pl.col("id").alias("value")),
        )
        apply_checks(
            orders,
            order_frame,
            [
                Check(
                    "ordered_on",
                    f"is not before the import's time ({when:%Y-%m-%d %H:%M} UTC): the "
                    "folder's orders are history; new ones are made in purchasing",
                    pl.col("ordered_on").cast(pl.Datetime("us")) >= pl.lit(when),
                    pl.col("ordered_on"),
                )
            ],
            problems,
        )
    if lines is not None:
        apply_checks(
            lines,
            lines.frame,
            [
                Check(
                    "po_id",
                    "is not an order of the folder's purchase_orders file: historic lines "
                    "come with their order",
                    ~pl.col("po_id").is_in(order_frame["id"].implode()),
                    pl.col("po_id"),
                )
            ],
            problems,
        )
    if receipts is None:
        return
    frame = receipts.frame.join(
        line_keys.with_columns(pl.lit(True).alias("__line")), on=["po_id", "line_no"], how="left"
    ).join(
        order_frame.select(pl.col("id").alias("po_id"), "ordered_on", "status"),
        on="po_id",
        how="left",
    )
    apply_checks(
        receipts,
        frame,
        [
            Check(
                "line_no",
                "is not a line of this order in the folder's purchase_order_lines file",
                pl.col("po_id").is_not_null() & pl.col("__line").is_null(),
                pl.col("line_no"),
            ),
            Check(
                "po_id",
                "is an open order (status confirmed): it has received nothing yet; its "
                "receipts are booked through purchasing, which moves the stock",
                pl.col("status") == "confirmed",
                pl.col("po_id"),
            ),
            Check(
                "received_on",
                "",
                pl.col("received_on") < pl.col("ordered_on"),
                pl.col("received_on"),
                why=pl.format("is before the order was placed ({})", pl.col("ordered_on")),
            ),
            Check(
                "received_on",
                f"is not before the import's time ({when:%Y-%m-%d %H:%M} UTC): historic "
                "receipts predate the opening stock; later ones are booked through "
                "purchasing, which moves the stock",
                pl.col("received_on").cast(pl.Datetime("us")) >= pl.lit(when),
                pl.col("received_on"),
            ),
        ],
        problems,
    )
