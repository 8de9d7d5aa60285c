"""`storenet po ...`: purchase orders from the command line (storenet.purchasing).

Reads (`list`, `show`) need no operator, as `storenet plan show`. Every change acts as
the user named by `--as` (or STORENET_OPERATOR): the account's role is checked
against the policy, its warehouses as for the API, and the change is audited under
its name (storenet.accounts.operator.run_as). Keys: a step that happens once to an
order (approve, send, confirm, cancel) takes its key from the order, so running it
again changes nothing; creating an order takes `--key` (or its `--po-id`), and a
receipt `--key` or its delivery note `--note`, as `storenet stock receive` does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import typer
from rich.console import Console
from rich.table import Table

from storenet.cli_errors import fail
from storenet.errors import Problem, Refused, StorenetError

po_app = typer.Typer(
    help="Purchase orders: raise, approve (four eyes), send, confirm, receive, cancel.",
    no_args_is_help=True,
)

AS = typer.Option(
    None,
    "--as",
    envvar="STORENET_OPERATOR",
    help="The user you act as (role checked, audited under this name; STORENET_OPERATOR)",
)
PO = typer.Argument(..., help="Purchase order id")


def register(app: typer.Typer) -> None:
    """Add the `po` command group to `app`."""
    app.add_typer(po_app, name="po")


def render_order(console: Console, doc: dict) -> None:
    """An order's header and lines as a table."""
    table = Table(
        title=f"{doc['id']} ({doc['status']}): {doc['supplier_id']} -> {doc['warehouse_id']}",
        caption=f"total {doc['total']} {doc['currency']}; created by {doc['created_by']}",
    )
    for name in ("line", "sku", "ordered", "confirmed", "promised", "received", "damaged"):
        table.add_column(name, justify="left" if name in ("sku", "promised") else "right")
    table.add_column("cancelled", justify="right")
    table.add_column("open", justify="right")
    table.add_column(f"unit cost ({doc['currency']})", justify="right")
    for line in doc["lines"]:
        confirmed = line["qty_confirmed"]
        table.add_row(
            str(line["line_no"]),
            line["sku_id"],
            f"{line['qty_ordered']:,}",
            "" if confirmed is None else f"{confirmed:,}",
            str(line["promised_on"] or ""),
            f"{line['qty_received']:,}",
            f"{line['qty_damaged']:,}",
            f"{line['qty_cancelled']:,}",
            f"{line['open']:,}",
            str(line["unit_cost"]),
        )
    console.print(table)


def _act(operator: str | None, action: str, command: str, work: Callable) -> dict:
    """Run `work(conn, who)` in one transaction as the operator doing `action`; a
    refusal is printed (naming the field) and exits 2."""
    from storenet.accounts.operator import run_as
    from storenet.cli import _engine
    from storenet.settings import Settings

    try:
        return run_as(_engine(Settings.from_env()), operator, action, command, work)
    except StorenetError as error:
        fail(error)


def _show_after(po_id: str, operator: str | None, action: str, verb: str, work: Callable) -> None:
    """Run change `verb` (policy action `action`) as the operator, then show the order
    as it is now (a receipt: what it booked)."""
    from storenet.cli import out

    answer = _act(operator, action, f"storenet po {verb} {po_id}", work)
    if "lines" in answer and "supplier_id" in answer:
        render_order(out, answer)
    else:
        out.print_json(data=answer)


def _pairs(values: list[str] | None, option: str, shape: str) -> list[tuple[str, str]]:
    out = []
    for value in values or []:
        left, sep, right = value.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise Refused([Problem(option, f"must be {shape}", value=value)])
        out.append((left.strip(), right.strip()))
    return out


def _whole(text: str, option: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise Refused([Problem(option, "must be a whole number", value=text)]) from None


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Refused([Problem(option, "must be a date YYYY-MM-DD", value=text)]) from None


@po_app.command("list")
def list_orders(
    status: str = typer.Option(None, help="Only this status, e.g. confirmed"),
    supplier: str = typer.Option(None, help="Only this supplier"),
    warehouse: str = typer.Option(None, help="Only this receiving warehouse"),
    limit: int = typer.Option(30, help="Orders to show"),
    offset: int = typer.Option(0, help="Orders to skip"),
) -> None:
    """Purchase orders, newest first."""
    from storenet.cli import _engine, out
    from storenet.purchasing.orders import list_purchase_orders
    from storenet.settings import Settings
    from storenet.store.engine import reading

    try:
        with reading(_engine(Settings.from_env())) as conn:
            rows = list_purchase_orders(
                conn,
                status=status,
                supplier=supplier,
                warehouse=warehouse,
                limit=limit,
                offset=offset,
            )
    except StorenetError as error:
        fail(error)
    table = Table(title="Purchase orders")
    for name in ("order", "status", "supplier", "warehouse", "created (UTC)", "lines"):
        table.add_column(name)
    for name in ("units", "open", "total"):
        table.add_column(name, justify="right")
    for r in rows[:limit]:
        table.add_row(
            r["id"],
            r["status"],
            r["supplier_id"],
            r["warehouse_id"],
            f"{r['created_at']:%Y-%m-%d %H:%M}",
            str(r["lines"]),
            f"{r['units']:,}",
            f"{r['open_units']:,}",
            f"{r['total']} {r['currency']}",
        )
    if len(rows) > limit:
        table.caption = f"more: --offset {offset + limit}"
    out.print(table)


@po_app.command("show")
def show(po_id: str = PO) -> None:
    """One order: lines, receipts and its dated transitions."""
    from storenet.cli import _engine, out
    from storenet.purchasing.orders import get_purchase_order
    from storenet.settings import Settings
    from storenet.store.engine import reading

    try:
        with reading(_engine(Settings.from_env())) as conn:
            doc = get_purchase_order(conn, po_id)
    except StorenetError as error:
        fail(error)
    render_order(out, doc)
    for t in doc["transitions"]:
        why = f" ({t['reason']})" if t["reason"] else ""
        out.print(
            f"{t['at']:%Y-%m-%d %H:%M} {t['from_status']} -> {t['to_status']} by {t['by']}{why}"
        )
    for r in doc["receipts"]:
        out.print(
            f"receipt {r['id']}: line {r['line_no']} {r['qty_good']} good, "
            f"{r['qty_damaged']} damaged, note {r['delivery_note'] or '-'}, by {r['recorded_by']}"
        )


@po_app.command("create")
def create(
    supplier: str = typer.Option(..., help="Supplier id"),
    warehouse: str = typer.Option(..., help="Receiving warehouse id"),
    line: list[str] = typer.Option(
        ..., "--line", help="SKU=QTY or SKU=QTY@UNIT_COST (repeat per line)"
    ),
    po_id: str = typer.Option(None, "--po-id", help="The order's id (default: generated)"),
    key: str = typer.Option(None, "--key", help="Idempotency key (default: from --po-id)"),
    operator: str = AS,
) -> None:
    """Create a draft order (po.write); someone else approves it."""
    from storenet.purchasing.actions import create_order

    try:
        lines = []
        for sku, spec in _pairs(line, "--line", "SKU=QTY or SKU=QTY@COST"):
            qty, _, cost = spec.partition("@")
            lines.append(
                {"sku": sku, "qty": _whole(qty, "--line")} | ({"unit_cost": cost} if cost else {})
            )
        if not key and not po_id:
            raise Refused([Problem("--key", "is required without --po-id")])
    except StorenetError as error:
        fail(error)
    _show_after(
        po_id or "(new)",
        operator,
        "po.write",
        "create",
        lambda conn, who: create_order(
            conn,
            who,
            key=key or f"create:{po_id}",
            supplier=supplier,
            warehouse=warehouse,
            lines=lines,
            po_id=po_id,
        ),
    )


@po_app.command("approve")
def approve(po_id: str = PO, operator: str = AS) -> None:
    """Approve a draft (po.approve; not the person who created it: four eyes)."""
    from storenet.purchasing.actions import approve_order

    _show_after(
        po_id,
        operator,
        "po.approve",
        "approve",
        lambda conn, who: approve_order(conn, who, key=f"po:{po_id}:approve", po_id=po_id),
    )


@po_app.command("send")
def send(po_id: str = PO, operator: str = AS) -> None:
    """Mark an approved order sent to its supplier (po.write)."""
    from storenet.purchasing.actions import send_order

    _show_after(
        po_id,
        operator,
        "po.write",
        "send",
        lambda conn, who: send_order(conn, who, key=f"po:{po_id}:send", po_id=po_id),
    )


@po_app.command("confirm")
def confirm(
    po_id: str = PO,
    promised_on: str = typer.Option(None, "--promised-on", help="Promised day, YYYY-MM-DD"),
    line: list[str] = typer.Option(
        None, "--line", help="LINE=QTY or LINE=QTY@YYYY-MM-DD where the supplier differs"
    ),
    operator: str = AS,
) -> None:
    """Record the supplier's confirmation (po.write): lines not named as ordered."""
    from storenet.purchasing.actions import confirm_order

    try:
        day = _day(promised_on, "--promised-on")
        lines = []
        for n, spec in _pairs(line, "--line", "LINE=QTY or LINE=QTY@DAY"):
            qty, _, when = spec.partition("@")
            lines.append(
                {"line_no": _whole(n, "--line"), "qty": _whole(qty, "--line")}
                | ({"promised_on": _day(when, "--line")} if when else {})
            )
    except StorenetError as error:
        fail(error)
    _show_after(
        po_id,
        operator,
        "po.write",
        "confirm",
        lambda conn, who: confirm_order(
            conn, who, key=f"po:{po_id}:confirm", po_id=po_id, promised_on=day, lines=lines or None
        ),
    )


@po_app.command("receive")
def receive(
    po_id: str = PO,
    line: list[str] = typer.Option(
        ..., "--line", help="LINE=GOOD or LINE=GOOD+DAMAGED (repeat per line)"
    ),
    serials: list[str] = typer.Option(None, "--serials", help="LINE=S1,S2 (good units)"),
    damaged_serials: list[str] = typer.Option(
        None, "--damaged-serials", help="LINE=S1,S2 (damaged units)"
    ),
    over_note: list[str] = typer.Option(
        None, "--over-note", help="LINE=why the units beyond the open rest are kept"
    ),
    note: str = typer.Option(None, "--note", help="The supplier's delivery note"),
    key: str = typer.Option(None, "--key", help="Idempotency key (default: from --note)"),
    operator: str = AS,
) -> None:
    """Book a delivery at the order's warehouse (po.receive): damaged units go to
    quarantine; an over delivery needs --over-note."""
    from storenet.purchasing.actions import receive_order

    try:
        lines: dict[int, dict] = {}
        for n, spec in _pairs(line, "--line", "LINE=GOOD or LINE=GOOD+DAMAGED"):
            good, _, damaged = spec.partition("+")
            lines[_whole(n, "--line")] = {
                "line_no": _whole(n, "--line"),
                "good": _whole(good, "--line"),
                "damaged": _whole(damaged, "--line") if damaged else 0,
            }
        extras = (("serials", serials), ("damaged_serials", damaged_serials))
        for field, values in extras:
            for n, spec in _pairs(values, f"--{field.replace('_', '-')}", "LINE=S1,S2"):
                lines.setdefault(_whole(n, "--line"), {"line_no": _whole(n, "--line")})[field] = [
                    s.strip() for s in spec.split(",") if s.strip()
                ]
        for n, text in _pairs(over_note, "--over-note", "LINE=TEXT"):
            lines.setdefault(_whole(n, "--line"), {"line_no": _whole(n, "--line")})["over_note"] = (
                text
            )
        if not key and not note:
            raise Refused([Problem("--key", "is required without --note")])
    except StorenetError as error:
        fail(error)
    _show_after(
        po_id,
        operator,
        "po.receive",
        "receive",
        lambda conn, who: receive_order(
            conn,
            who,
            key=key or f"receipt:{po_id}:{note}",
            po_id=po_id,
            lines=list(lines.values()),
            delivery_note=note,
        ),
    )


@po_app.command("cancel")
def cancel(
    po_id: str = PO,
    reason: str = typer.Option(..., "--reason", help="Why (kept with the order)"),
    line: list[int] = typer.Option(None, "--line", help="Only this line (repeat)"),
    operator: str = AS,
) -> None:
    """Cancel the rest of an order or of some lines (po.write); a partly received
    order then closes."""
    from storenet.purchasing.actions import cancel_order

    lines = sorted(set(line)) if line else None
    which = ",".join(map(str, lines)) if lines else "all"
    _show_after(
        po_id,
        operator,
        "po.write",
        "cancel",
        lambda conn, who: cancel_order(
            conn, who, key=f"po:{po_id}:cancel:{which}", po_id=po_id, reason=reason, lines=lines
        ),
    )
