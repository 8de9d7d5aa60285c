"""`storenet transfer create|ship|cancel|receive`: a transfer's life between stores and
warehouses from the command line, as a named operator (storenet.transfer_decisions for
create, ship and cancel at the source; storenet.stockroom for the receipt at the
destination). Each is checked as for the API, audited under the operator's name, and
done once: the key defaults to the transfer's id and the step (a transfer is created,
shipped, cancelled and received once), and a replay prints the first answer. Refusals
name the field and exit 2 (storenet.cli_stock's helpers).
"""

from __future__ import annotations

import typer

from storenet.cli_stock import AS, _parsed, _quantities, _run, _serials
from storenet.errors import Problem, Refused

transfer_app = typer.Typer(help="Transfers between stores and warehouses.", no_args_is_help=True)


@transfer_app.command("create")
def create_transfer(
    transfer_id: str = typer.Argument(..., help="The new transfer's id (unique in the network)"),
    source: str = typer.Option(..., "--from", help="Store or warehouse the stock leaves"),
    destination: str = typer.Option(
        ...,
        "--to",
        help="Store or warehouse it goes to (a store sends to a warehouse only as a return "
        "to its own)",
    ),
    line: list[str] = typer.Option(None, "--line", help="SKU=QTY to send (repeat per SKU)"),
    serial: list[str] = typer.Option(
        None,
        "--serial",
        help="SKU=SERIAL to send, for a serial-tracked SKU (repeat, one per unit); "
        "without it serials are picked when the transfer ships",
    ),
    reason: str = typer.Option(None, "--reason", help="Why (kept with the transfer)"),
    key: str = typer.Option(
        None, "--key", help="Idempotency key (default: the transfer's id, created once)"
    ),
    operator_name: str = AS,
) -> None:
    """Create a draft transfer between stores and warehouses (all lines or none)."""
    from storenet import transfer_decisions

    def parse() -> list[dict]:
        qty, serials = _quantities(line, "--line"), _serials(serial, "--serial")
        if not qty and not serials:
            raise Refused([Problem("--line", "name at least one SKU=QTY to send")])
        for sku, found in serials.items():
            qty.setdefault(sku, len(found))
        return [
            {"sku": sku, "qty": n, **({"serials": serials[sku]} if sku in serials else {})}
            for sku, n in qty.items()
        ]

    lines = _parsed(parse)
    _run(
        operator_name,
        "transfer.write",
        "cli transfer create",
        lambda conn, who: transfer_decisions.create(
            conn,
            who,
            key=key or f"transfer-create:{transfer_id}",
            transfer_id=transfer_id,
            source=source,
            destination=destination,
            lines=lines,
            reason=reason or "",
        ),
    )


@transfer_app.command("ship")
def ship_transfer(
    transfer_id: str = typer.Argument(..., help="The draft transfer's id"),
    key: str = typer.Option(
        None, "--key", help="Idempotency key (default: the transfer's id, shipped once)"
    ),
    operator_name: str = AS,
) -> None:
    """Ship a draft transfer in full from its source (refused if stock is short)."""
    from storenet import transfer_decisions

    _run(
        operator_name,
        "transfer.write",
        "cli transfer ship",
        lambda conn, who: transfer_decisions.ship(
            conn, who, key=key or f"transfer-ship:{transfer_id}", transfer_id=transfer_id
        ),
    )


@transfer_app.command("cancel")
def cancel_transfer(
    transfer_id: str = typer.Argument(..., help="The draft transfer's id"),
    reason: str = typer.Option(..., "--reason", help="Why (kept with the transfer)"),
    key: str = typer.Option(
        None, "--key", help="Idempotency key (default: the transfer's id, cancelled once)"
    ),
    operator_name: str = AS,
) -> None:
    """Cancel a draft transfer: nothing moves, its named serials are free again."""
    from storenet import transfer_decisions

    _run(
        operator_name,
        "transfer.write",
        "cli transfer cancel",
        lambda conn, who: transfer_decisions.cancel(
            conn,
            who,
            key=key or f"transfer-cancel:{transfer_id}",
            transfer_id=transfer_id,
            reason=reason,
        ),
    )


@transfer_app.command("receive")
def receive_transfer(
    transfer_id: str = typer.Argument(..., help="The shipped transfer's id"),
    received: list[str] = typer.Option(
        None,
        "--received",
        help="SKU=QTY that arrived, for SKUs that differ from what was shipped (repeat); "
        "SKUs not named arrived as shipped",
    ),
    serial: list[str] = typer.Option(
        None,
        "--serial",
        help="SKU=SERIAL that arrived, for a serial-tracked SKU that differs (repeat, "
        "one per unit: name every serial of that SKU that arrived)",
    ),
    key: str = typer.Option(
        None, "--key", help="Idempotency key (default: the transfer's id, received once)"
    ),
    operator_name: str = AS,
) -> None:
    """Receive a shipped transfer at its destination; differences open discrepancies."""
    from storenet import stockroom

    def parse() -> tuple[dict | None, dict | None]:
        qty, serials = _quantities(received, "--received"), _serials(serial, "--serial")
        return qty or None, serials or None

    qty, serials = _parsed(parse)
    _run(
        operator_name,
        "transfer.write",
        "cli transfer receive",
        lambda conn, who: stockroom.receive_shipped_transfer(
            conn,
            who,
            key=key or f"transfer-receive:{transfer_id}",
            transfer_id=transfer_id,
            received=qty,
            received_serials=serials,
        ),
    )
