"""The command line: parse, call one service, render. No business rules here.

Every command reads the one settings object (STORENET_HOME, STORENET_DB, ...), opens
the database and migrates it to the newest schema before it works.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from storenet.errors import StorenetError
from storenet.settings import Settings
from storenet.store.engine import open_engine, reading, unit_of_work
from storenet.store.migrate import migrate

app = typer.Typer(
    help="storenet: stock ledger, POS ingestion and distribution for a store network.",
    no_args_is_help=True,
    add_completion=False,
)
ledger_app = typer.Typer(help="The stock ledger: verify, rebuild, balances.", no_args_is_help=True)
db_app = typer.Typer(help="The database: schema upgrades.", no_args_is_help=True)
app.add_typer(ledger_app, name="ledger")
app.add_typer(db_app, name="db")

out = Console()
err = Console(stderr=True)


@app.callback()
def _settings_first() -> None:
    # Every command reads the settings: refuse a bad environment once, naming the
    # variable's field, before any command starts (not as a traceback halfway).
    try:
        Settings.from_env()
    except ValueError as error:  # pydantic's refusal of the settings
        err.print(f"[bold red]settings refused[/]: {error}", highlight=False)
        raise typer.Exit(2) from error


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    engine = open_engine(settings.db_url)
    migrate(engine)
    return engine


@contextmanager
def _progress() -> Iterator:
    """A Rich progress bar; yields a callback `(stage, done, total)` for services."""
    with Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as bar:
        tasks: dict[str, int] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield report


def _fail(error: StorenetError) -> None:
    err.print(f"[bold red]error[/]: {error}", highlight=False)
    raise typer.Exit(2)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema of the configured database."""
    settings = Settings.from_env()
    _engine(settings)
    out.print(f"schema up to date at {settings.db_url}")


@app.command("import")
def import_files(
    folder: Path = typer.Argument(..., help="Folder of <table>.csv / <table>.parquet files"),
    as_of: str = typer.Option(
        None,
        "--as-of",
        help="When the opening stock and ownership changes take effect, ISO 8601 with a UTC "
        "offset (default: now). Set it before the first sale you will load.",
    ),
) -> None:
    """Import master data (regions, stores, SKUs, assortment, suppliers, lanes, opening
    stock, past purchase orders); all or nothing."""
    from storenet.imports import import_folder

    engine = _engine(Settings.from_env())
    try:
        when = _time_option(as_of, "--as-of", offset=True) if as_of else None
        with _progress() as report:
            result = import_folder(engine, folder, progress=report, as_of=when)
    except StorenetError as error:
        _fail(error)
    out.print(result)


def _time_option(text: str, option: str, *, offset: bool) -> datetime:
    """`text` as an ISO 8601 time; with `offset`, one that carries its UTC offset.
    Refused naming `option` otherwise."""
    from storenet.errors import Problem, Refused

    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        reason = "must be an ISO 8601 time, e.g. 2026-11-23T14:05:00+08:00"
        raise Refused([Problem(option, reason, value=text)]) from None
    if offset and when.tzinfo is None:
        raise Refused([Problem(option, "needs a UTC offset, e.g. +08:00", value=text)])
    return when


@app.command()
def generate(
    stores: int = typer.Option(300, help="Number of stores"),
    skus: int = typer.Option(300, help="Number of SKUs"),
    days: int = typer.Option(365, help="Days of sales history"),
    seed: int = typer.Option(1, help="Random seed: the same seed gives the same network"),
    end: str = typer.Option("2026-11-22", help="Last day of history (YYYY-MM-DD)"),
) -> None:
    """Generate a synthetic network with history, then import it through `import`."""
    from storenet.demo import build_network

    settings = Settings.from_env()
    engine = _engine(settings)
    try:
        with _progress() as report:
            summary = build_network(
                settings,
                engine,
                stores=stores,
                skus=skus,
                days=days,
                seed=seed,
                end=date.fromisoformat(end),
                progress=report,
            )
    except StorenetError as error:
        _fail(error)
    out.print(summary)


@app.command()
def ingest(
    file: Path = typer.Argument(..., help="POS lines as .jsonl or .csv"),
    key: str = typer.Option(None, help="Idempotency key (default: derived from the file's bytes)"),
    batch_size: int = typer.Option(0, help="Lines per batch; 0 = the whole file is one batch"),
) -> None:
    """Ingest POS sale and return lines. Each batch is all or nothing, exactly once.

    The whole file is read and checked before the first batch is sent: a byte
    that is not UTF-8, a line that is not JSON or a bad field refuses the file,
    naming its line (CSV: row), field and reason. Problems only the database
    finds (an unknown store or SKU) refuse their batch, saying which batches
    were applied.

    A file is JSON Lines (.jsonl, one object per line) or CSV (.csv, header
    row). Fields (docs/data-formats.md has the details):

    store_id (or store), device, receipt, line (whole number >= 1), sku_id (or
    sku), qty (whole number 1-10000, units), unit_price (currency units, at
    most two decimals, e.g. 12.50), at (ISO 8601 with a UTC offset, e.g.
    2026-11-23T14:05:00+08:00, at most a day after the server's clock).
    Optional: kind (sale or return, default sale), serials (a list; in CSV
    ";"-separated), buyer (warranty-registration reference).

    (store_id, device, receipt, line) identifies a line: a line sent again is
    counted as a duplicate and not booked twice. Sales dated before their store's
    opening stock are warned about (import it with --as-of before the first sale).
    """
    from storenet.sales.file_ingest import ingest_pos_file

    engine = _engine(Settings.from_env())
    try:
        with _progress() as report:
            done = ingest_pos_file(engine, file, key=key, batch_size=batch_size, progress=report)
    except StorenetError as error:
        _fail(error)
    out.print_json(json.dumps({"batches": done.batches, **done.totals}))
    for warning in done.warnings:
        err.print(f"[yellow]warning[/]: {warning}", highlight=False)


@app.command("close-day")
def close_day_command(
    day: str = typer.Option(None, "--date", help="Day to close (default: yesterday, market time)"),
) -> None:
    """Append a day's sales to the Parquet history (rerunnable). A day after today
    (market time) is refused."""
    from zoneinfo import ZoneInfo

    from storenet.closing import close_day
    from storenet.errors import Problem, Refused

    settings = Settings.from_env()
    engine = _engine(settings)
    try:
        if day:
            when = date.fromisoformat(day)
        else:
            when = datetime.now(ZoneInfo(settings.market_tz)).date() - timedelta(days=1)
    except ValueError:
        _fail(Refused([Problem("--date", "must be a day as YYYY-MM-DD", value=day)]))
    try:
        result = unit_of_work(
            engine, lambda c: close_day(c, settings.history_dir, when, settings.market_tz)
        )
    except StorenetError as error:
        _fail(error)
    out.print_json(json.dumps(result))


@app.command()
def status(
    day: str = typer.Option(None, "--date", help="Day of the state (default: last closed day)"),
) -> None:
    """Print the network's state: stores, stock and days of cover, open discrepancies."""
    from storenet.cli_status import render_state
    from storenet.reports.state import network_state

    settings = Settings.from_env()
    engine = _engine(settings)
    with reading(engine) as conn:
        state = network_state(conn, settings.history_dir, date.fromisoformat(day) if day else None)
    render_state(out, state)


@app.command()
def demo(
    stores: int = typer.Option(300, help="Stores in the demo network"),
    skus: int = typer.Option(300, help="SKUs in the demo network"),
    days: int = typer.Option(365, help="Days of history"),
    weeks: int = typer.Option(4, min=1, help="Weeks of POS days to play after the history"),
    serve: bool = typer.Option(False, help="Then serve the console until Ctrl-C"),
) -> None:
    """Build a small network, play `weeks` of POS days through ingestion, the nightly
    close and the nightly plan of the whole chain (supplier deliveries and transfers
    arriving between days), show the state and stock by echelon, plan the next day's
    deliveries, and print the console's address with a one-time sign-in link."""
    from storenet.cli_status import render_demo_nights, render_state
    from storenet.cli_stock import echelon_table
    from storenet.demo import demo_sign_in_link, run_demo

    settings = Settings.from_env()
    try:
        with _progress() as report:
            result = run_demo(
                settings, stores=stores, skus=skus, days=days, pos_days=7 * weeks, progress=report
            )
    except StorenetError as error:
        _fail(error)
    render_state(out, result.state)
    render_demo_nights(out, result.summary, result.nights)
    out.print(echelon_table(result.echelons))
    from storenet.cli_plan import render_summary

    render_summary(out, result.plan)
    out.print(
        f"Review it with [bold]storenet plan show {result.plan['id']} --cut[/], "
        f"then [bold]storenet plan approve {result.plan['id']} --as NAME[/] and "
        f"[bold]storenet plan release {result.plan['id']} --as NAME[/], or in the console."
    )
    # The console is served over plain HTTP on loopback here: no Secure-only cookies.
    os.environ.setdefault("STORENET_COOKIE_SECURE", "false")
    service = Settings.from_env()
    link = demo_sign_in_link(_engine(settings), service.secret)
    address = f"http://{service.host}:{service.port}/console/"
    how = "" if serve else " after [bold]storenet serve[/] (or make demo)"
    out.print(f"\nConsole: [bold]{address}[/]{how}")
    out.print("Signed in as the demo HQ planner with this one-time link (24 hours):")
    # Plain print: a terminal-width wrap would break the link when copied.
    print(f"  {address}link?token={link}", flush=True)
    if serve:
        from storenet.cli_service import serve as serve_command

        serve_command(host=None, port=None, workers=None)


@ledger_app.command("verify")
def ledger_verify() -> None:
    """Rebuild balances from movements and compare; check conservation and that units
    in transit are what shipped transfers carry; exit 1 naming every difference."""
    from storenet.ledger.verify import conservation_errors, transit_errors, verify_balances

    engine = _engine(Settings.from_env())
    with reading(engine) as conn:
        mismatches = verify_balances(conn)
        unbalanced = conservation_errors(conn)
        transit = transit_errors(conn)
    for m in mismatches:
        err.print(f"mismatch: {m}", highlight=False)
    for sku, net in unbalanced.items():
        err.print(f"not conserved: {sku} nets to {net} over all locations", highlight=False)
    for t in transit:
        err.print(f"in transit: {t}", highlight=False)
    if mismatches or unbalanced or transit:
        err.print(
            f"[red]{len(mismatches)} mismatch(es), {len(unbalanced)} unconserved SKU(s), "
            f"{len(transit)} in-transit difference(s)[/]"
        )
        raise typer.Exit(1)
    out.print(
        "ledger verified: the balance projection equals the movements; every SKU nets to "
        "zero; what is in transit is what shipped transfers carry"
    )


@ledger_app.command("rebuild")
def ledger_rebuild() -> None:
    """Replace the balance projection with a rebuild from movements."""
    from storenet.ledger.verify import rebuild_balances

    engine = _engine(Settings.from_env())
    rows = unit_of_work(engine, rebuild_balances)
    out.print(f"rebuilt {rows} balance rows from movements")


@ledger_app.command("balance")
def ledger_balance(
    location: str = typer.Argument(..., help="Store or warehouse id"),
    sku: str = typer.Option(None, help="Only this SKU"),
    at: str = typer.Option(None, help="As of this time (ISO 8601, default now)"),
) -> None:
    """Balances at a location, now or as of any past time."""
    from storenet.ledger.locations import location_of
    from storenet.ledger.verify import balances_as_of
    from storenet.store.clock import as_utc

    engine = _engine(Settings.from_env())
    try:
        when = as_utc(_time_option(at, "--at", offset=False) if at else None, "--at")
        with reading(engine) as conn:
            rows = balances_as_of(conn, when, location_of(conn, location), sku)
    except StorenetError as error:
        _fail(error)
    table = Table(
        "sku",
        "on hand",
        "in transit",
        "reserved",
        "held",
        title=f"{location} as of {when:%Y-%m-%d %H:%M} UTC",
    )
    for (_, sku_id), b in sorted(rows.items()):
        table.add_row(sku_id, *(str(b[c]) for c in ("on_hand", "in_transit", "reserved", "held")))
    out.print(table)


def _register_groups() -> None:
    # Command groups that live in their own modules, to keep this file one screenful
    # per command; imported here, at the end, because they import helpers from here.
    from storenet import (
        cli_evaluate,
        cli_franchise,
        cli_plan,
        cli_purchasing,
        cli_recall,
        cli_service,
        cli_simulate,
        cli_standards,
        cli_stock,
    )

    cli_plan.register(app)
    cli_simulate.register(app)
    cli_evaluate.register(app)
    cli_service.register(app)
    cli_stock.register(app)
    cli_purchasing.register(app)
    cli_recall.register(app)
    cli_franchise.register(app)
    cli_standards.register(app)


_register_groups()


def main() -> None:  # pragma: no cover - console entry
    app(prog_name="storenet")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
