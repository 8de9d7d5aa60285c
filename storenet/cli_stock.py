"""`storenet stock ...`: the stock commands people take (storenet.stockroom), from the
command line, as a named operator; `storenet stock echelons`, the network's stock by
echelon (a read: no operator). The `transfer` group is storenet.cli_transfer, on the
helpers here.

Every command acts as the user named by `--as` (or STORENET_OPERATOR): the account must
exist, be enabled and hold a role that may do the command, and its stores are checked
as for the API (storenet.accounts.operator). Each write is audited under that name and
runs once per idempotency key.

Keys: `--key` is required, because two identical counts, holds or adjustments on
different occasions are two real operations, and a key derived from the arguments
would silently drop the second. Only where a document names the operation is the key
derived from it: a supplier delivery with its delivery note (`--document`), and a
transfer (created, shipped, cancelled and received once each). A replay with the same
arguments prints the first answer and changes nothing; the same key with other
arguments is refused naming the difference.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.table import Table

from storenet.accounts.errors import Denied
from storenet.errors import IdempotencyConflict, Problem, Refused, StorenetError

T = TypeVar("T")

stock_app = typer.Typer(
    help="Stock at a store or warehouse: receive, count, adjust, scrap, hold, reserve.",
    no_args_is_help=True,
)

AS = typer.Option(
    ...,
    "--as",
    envvar="STORENET_OPERATOR",
    help="The user you act as (audited under this name; STORENET_OPERATOR)",
)
KEY = typer.Option(..., "--key", help="Idempotency key: the same key again changes nothing")
LOCATION = typer.Argument(..., help="Store or warehouse id")
SKU = typer.Argument(..., help="SKU id")
QTY = typer.Argument(..., help="Units (a whole number above zero)")


def register(app: typer.Typer) -> None:
    """Add the `stock` and `transfer` command groups to `app`."""
    from storenet.cli_transfer import transfer_app

    app.add_typer(stock_app, name="stock")
    app.add_typer(transfer_app, name="transfer")


def _render_error(error: StorenetError) -> str:
    if isinstance(error, Denied):
        if error.hidden:  # outside the operator's stores: said as for an unknown one
            return f"{error.kind} {error.target!r} not found"
        return f"not allowed: {error.reason}"
    if isinstance(error, IdempotencyConflict):  # without the operator's key prefix
        return (
            f"--key was used before with other arguments: {error.field} was "
            f"{error.first!r}, now {error.now!r}"
        )
    return str(error)


def _run(operator_name: str, action: str, command: str, work: Callable) -> None:
    """Run `work(conn, who)` as the operator, print its answer as JSON; on a refusal
    print it (naming the field) and exit 2."""
    from storenet.accounts.operator import run_as
    from storenet.cli import _engine
    from storenet.settings import Settings

    try:
        answer = run_as(_engine(Settings.from_env()), operator_name, action, command, work)
    except StorenetError as error:
        Console(stderr=True).print(
            f"[bold red]error[/]: {_render_error(error)}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(2) from None
    Console().print_json(json.dumps(answer, default=str))


def _one_sku(operator_name: str, name: str, key: str, **args: object) -> None:
    """Run one-SKU command `name` of storenet.stockroom (e.g. "stock.hold") as the
    operator, audited as "cli stock hold" when refused."""
    from storenet import stockroom

    action = stockroom.ONE_SKU_COMMANDS[name][0]
    _run(
        operator_name,
        action,
        "cli " + name.replace(".", " "),
        lambda conn, who: stockroom.stock_command(conn, who, name, key=key, **args),
    )


def _pairs(values: list[str] | None, option: str, what: str) -> list[tuple[str, str]]:
    """`SKU=VALUE` option values as pairs; Refused naming the option otherwise."""
    out = []
    for value in values or []:
        sku, sep, rest = value.partition("=")
        if not sep or not sku or not rest:
            raise Refused([Problem(option, f"must be SKU={what}", value=value)])
        out.append((sku, rest))
    return out


def _quantities(values: list[str] | None, option: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for sku, text in _pairs(values, option, "QTY"):
        try:
            out[sku] = out.get(sku, 0) + int(text)
        except ValueError:
            raise Refused(
                [Problem(option, "must be SKU=QTY, QTY a whole number", value=text)]
            ) from None
    return out


def _serials(values: list[str] | None, option: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for sku, serial in _pairs(values, option, "SERIAL"):
        out.setdefault(sku, []).append(serial)
    return out


def _parsed(parse: Callable[[], T]) -> T:
    """The result of parsing options, or the refusal printed and exit 2."""
    try:
        return parse()
    except Refused as error:
        Console(stderr=True).print(f"[bold red]error[/]: {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


@stock_app.command("receive")
def receive(
    location: str = LOCATION,
    line: list[str] = typer.Option(None, "--line", help="SKU=QTY delivered (repeat per SKU)"),
    serial: list[str] = typer.Option(
        None,
        "--serial",
        help="SKU=SERIAL, one per unit of a serial-tracked SKU (repeat); without --line "
        "for that SKU, its quantity is the number of serials",
    ),
    document: str = typer.Option(None, "--document", help="The supplier's delivery note"),
    key: str = typer.Option(
        None, "--key", help="Idempotency key (default: from --document; required without it)"
    ),
    operator_name: str = AS,
) -> None:
    """Receive a supplier delivery into a store or warehouse (all lines or none)."""
    from storenet import stockroom

    def parse() -> tuple[list[dict], str]:
        qty, serials = _quantities(line, "--line"), _serials(serial, "--serial")
        if not qty and not serials:
            raise Refused([Problem("--line", "name at least one SKU=QTY delivered")])
        if key is None and document is None:
            raise Refused([Problem("--key", "is required without --document")])
        for sku, found in serials.items():
            qty.setdefault(sku, len(found))
        lines = [
            {"sku": sku, "qty": n, **({"serials": serials[sku]} if sku in serials else {})}
            for sku, n in qty.items()
        ]
        return lines, key or f"receipt:{location}:{document}"

    lines, used = _parsed(parse)
    _run(
        operator_name,
        "stock.receive",
        "cli stock receive",
        lambda conn, who: stockroom.receive_delivery(
            conn, who, key=used, location=location, lines=lines, document=document
        ),
    )


@stock_app.command("count")
def count(
    location: str = LOCATION,
    sku: str = SKU,
    counted: int = typer.Argument(..., help="Units found on the shelf"),
    key: str = KEY,
    operator_name: str = AS,
) -> None:
    """Book a physical count: on hand becomes COUNTED (resolves open discrepancies)."""
    from storenet import stockroom

    _run(
        operator_name,
        "stock.count",
        "cli stock count",
        lambda conn, who: stockroom.count(
            conn, who, key=key, location=location, sku=sku, counted=counted
        ),
    )


@stock_app.command("adjust")
def adjust(
    location: str = LOCATION,
    sku: str = SKU,
    delta: int = typer.Option(..., "--delta", help="Units to add (negative: to remove)"),
    reason: str = typer.Option(..., "--reason", help="Why (kept with the movement and audit)"),
    key: str = KEY,
    operator_name: str = AS,
) -> None:
    """A manual stock correction with a reason."""
    from storenet import stockroom

    _run(
        operator_name,
        "stock.adjust",
        "cli stock adjust",
        lambda conn, who: stockroom.adjust(
            conn, who, key=key, location=location, sku=sku, delta=delta, reason=reason
        ),
    )


@stock_app.command("scrap")
def scrap(
    location: str = LOCATION,
    sku: str = SKU,
    qty: int = QTY,
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit)"),
    from_held: bool = typer.Option(False, "--from-held", help="Write off held units"),
    key: str = KEY,
    operator_name: str = AS,
) -> None:
    """Write units off (free ones, or held ones with --from-held)."""
    _one_sku(
        operator_name,
        "stock.scrap",
        key,
        location=location,
        sku=sku,
        qty=qty,
        reason=reason,
        from_held=from_held,
    )


@stock_app.command("hold")
def hold(
    location: str = LOCATION,
    sku: str = SKU,
    qty: int = QTY,
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit)"),
    key: str = KEY,
    operator_name: str = AS,
) -> None:
    """Hold free units off sale in quarantine (damage, a doubt, a recall)."""
    _one_sku(operator_name, "stock.hold", key, location=location, sku=sku, qty=qty, reason=reason)


@stock_app.command("release")
def release(
    location: str = LOCATION,
    sku: str = SKU,
    qty: int = QTY,
    reason: str = typer.Option(..., "--reason", help="Why they may be sold (kept in the audit)"),
    key: str = KEY,
    operator_name: str = AS,
) -> None:
    """Put held units back on sale (administrators and regional managers)."""
    _one_sku(
        operator_name, "stock.release", key, location=location, sku=sku, qty=qty, reason=reason
    )


@stock_app.command("reserve")
def reserve(
    location: str = LOCATION,
    sku: str = SKU,
    qty: int = QTY,
    reference: str = typer.Option(..., "--reference", help="The order the units are for"),
    key: str = KEY,
    operator_name: str = AS,
) -> None:
    """Reserve free units for an order (refused when fewer are free)."""
    _one_sku(
        operator_name,
        "stock.reserve",
        key,
        location=location,
        sku=sku,
        qty=qty,
        reference=reference,
    )


@stock_app.command("unreserve")
def unreserve(
    location: str = LOCATION,
    sku: str = SKU,
    qty: int = QTY,
    reference: str = typer.Option(..., "--reference", help="The order the units were for"),
    key: str = KEY,
    operator_name: str = AS,
) -> None:
    """Give reserved units back to free stock."""
    _one_sku(
        operator_name,
        "stock.unreserve",
        key,
        location=location,
        sku=sku,
        qty=qty,
        reference=reference,
    )


def echelon_table(rows: list[dict]) -> Table:
    """A Rich table of storenet.reports.echelons.stock_by_echelon rows: each echelon's
    units and value at cost, then what the network holds and that with what is on
    order (the demo prints it too)."""
    from storenet.reports.echelons import ON_ORDER

    table = Table(title="Stock by echelon")
    for name in ("echelon", "units", "value at cost"):
        table.add_column(name, justify="left" if name == "echelon" else "right")
    for row in rows:
        table.add_row(row["echelon"], f"{row['units']:,}", f"{row['value']:,.2f} {row['currency']}")
    # What the network holds (on order is not in it yet), then with what is on order.
    held = [row for row in rows if row["echelon"] != ON_ORDER]
    table.add_section()
    for label, part in (("in the network", held), ("with on order", rows)):
        units, value = sum(r["units"] for r in part), sum(r["value"] for r in part)
        table.add_row(label, f"{units:,}", f"{value:,.2f} {rows[0]['currency']}")
    return table


@stock_app.command("echelons")
def echelons(
    as_json: bool = typer.Option(False, "--json", help="Print JSON (plain numbers)"),
) -> None:
    """The network's stock by echelon: stores, regional and central warehouses, in
    transit to stores and to warehouses, on order from suppliers (units, value at cost)."""
    from storenet.cli import _engine
    from storenet.reports.echelons import plain, stock_by_echelon
    from storenet.settings import Settings
    from storenet.store.engine import reading

    with reading(_engine(Settings.from_env())) as conn:
        rows = stock_by_echelon(conn)
    if as_json:
        print(json.dumps(plain(rows)))
        return
    Console().print(echelon_table(rows))
