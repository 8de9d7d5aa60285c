"""`storenet plan`: run the nightly plan, read its lines, edit, approve, release.

A thin edge: parse, call one service function, render with Rich.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import NoReturn, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection

from storenet.accounts.principal import Principal
from storenet.errors import Problem, Refused, StorenetError

T = TypeVar("T")

plan_app = typer.Typer(
    help="The nightly distribution plan: run it, read it, approve and release it.",
    invoke_without_command=True,
)


def register(app: typer.Typer) -> None:
    """Add the `plan` command group to `app`."""
    app.add_typer(plan_app, name="plan")


def render_summary(console: Console, header: dict) -> None:
    """The plan's headline figures as a table."""
    s = header["summary"]
    table = Table(title=f"{header['id']} ({header['status']})", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    rows = [
        ("pairs planned", f"{s['pairs']:,}"),
        ("expected demand over the horizon (units)", f"{s['expected_demand']:,.0f}"),
        ("replenishment lines requested", f"{s['lines_requested']:,}"),
        ("units requested", f"{s['units_requested']:,}"),
        ("units allocated", f"{s['units_allocated']:,}"),
        ("lines cut by scarce stock", f"{s['lines_cut']:,}"),
        ("units cut", f"{s['units_cut']:,}"),
        ("scarce warehouse x SKU groups", f"{s['scarce_groups']:,}"),
        ("store-to-store moves", f"{s['rebalance_moves']:,}"),
        ("units rebalanced", f"{s['rebalance_units']:,}"),
        ("expected margin from rebalancing", f"{s['rebalance_value']:,.2f}"),
    ]
    # Plans made before the chain have no upstream figures.
    if "po_lines" in s:
        rows += [
            ("supplier order lines", f"{s['po_lines']:,}"),
            ("units ordered from suppliers", f"{s['po_units']:,}"),
            ("warehouse transfer lines", f"{s['wh_transfer_lines']:,}"),
            ("units moved between warehouses", f"{s['wh_transfer_units']:,}"),
        ]
    if "transfers" in s:
        rows.append(("transfers released", f"{s['transfers']:,}"))
    for what, value in rows:
        table.add_row(what, value)
    seconds = ", ".join(f"{k} {v:.2f} s" for k, v in s["seconds"].items())
    table.caption = f"planned in: {seconds}"
    console.print(table)


def render_lines(console: Console, lines: list[dict]) -> None:
    """Plan lines with their explanations, narrow enough for an 80-column terminal: the
    route (source>store), units planned and asked for, the forecast over lead time +
    review, the quantile at the service level (q@lvl), the inventory position and the
    target, and why the line is what it is (`_why`)."""
    table = Table(
        title="plan lines",
        box=None,
        header_style="bold underline",
        pad_edge=False,
        padding=(0, 1),
        collapse_padding=True,
    )
    for column, justify in (
        ("#", "right"),
        ("route", "left"),
        ("SKU", "left"),
        ("qty", "right"),
        ("asked", "right"),
        ("fcst", "right"),
        ("q@lvl", "right"),
        ("pos", "right"),
        ("tgt", "right"),
    ):
        table.add_column(column, justify=justify, no_wrap=True)
    table.add_column("why", overflow="fold")
    for line in lines:
        table.add_row(
            str(line["line_no"]),
            f"{line['source_id']}>{line['store_id']}",
            line["sku_id"],
            str(line["qty"]),
            str(line["requested"]),
            f"{line['forecast_mean']:.1f}",
            f"{line['forecast_quantile']}@{line['service_level']:.0%}",
            str(line["position"]),
            str(line["target"]),
            _why(line),
        )
    console.print(table)


def _why(line: dict) -> str:
    """Short: "move +3.21" (a rebalancing move and its expected gain), "cut, lvl 81%"
    (scarce stock, the service level the water-filling fell to), "cut (minimums)"."""
    if line["kind"] == "rebalance":
        value = line.get("value")
        return "move" + (f" {value:+.2f}" if value is not None else "")
    if not line["cut_reason"]:
        return ""
    why = "cut" if line["cut_reason"] == "scarce stock" else "cut (minimums)"
    level = line.get("water_level")
    return why + (f", lvl {level:.0%}" if level is not None else "")


def _fail(error: StorenetError) -> NoReturn:
    Console(stderr=True).print(f"[bold red]error[/]: {error}", highlight=False)
    raise typer.Exit(2)


@plan_app.callback()
def plan(
    ctx: typer.Context,
    day: str = typer.Option(
        None, "--date", help="Delivery day (default: the day after the last day of history)"
    ),
    model: str = typer.Option(
        "storenet",
        "--model",
        help="Demand forecast: storenet (the demand model) or gbm (global LightGBM, "
        "retrained weekly on a sample of stores)",
    ),
) -> None:
    """Run the nightly plan and save it as a draft (when no subcommand is given)."""
    if ctx.invoked_subcommand is not None:
        return
    from storenet.cli import _engine, _progress, out
    from storenet.planning.service import MODELS, run_plan
    from storenet.settings import Settings

    if model not in MODELS:
        _fail(Refused([Problem("--model", f"must be one of {', '.join(MODELS)}", value=model)]))
    settings = Settings.from_env()
    try:
        when = date.fromisoformat(day) if day else None
    except ValueError:
        _fail(Refused([Problem("--date", "must be a date YYYY-MM-DD", value=day)]))
    try:
        with _progress() as report:
            header, _ = run_plan(settings, _engine(settings), when, progress=report, model=model)
    except StorenetError as error:
        _fail(error)
    render_summary(out, header)


@plan_app.command("show")
def show(
    plan_id: str = typer.Argument(..., help="Plan id, e.g. plan-2026-11-23, or latest"),
    store: str = typer.Option(None, help="Only this store's lines"),
    cut: bool = typer.Option(False, help="Only lines cut by scarce stock"),
    limit: int = typer.Option(30, help="Lines to show"),
    offset: int = typer.Option(0, help="Lines to skip"),
    as_json: bool = typer.Option(
        False, "--json", help="Print the plan's header and summary figures as JSON, no lines"
    ),
) -> None:
    """Show a plan's summary and lines with their explanations."""
    from storenet.cli import _engine, out
    from storenet.planning.documents import get_plan, latest_plan_id, read_lines
    from storenet.settings import Settings
    from storenet.store.engine import reading

    settings = Settings.from_env()
    try:
        with reading(_engine(settings)) as conn:
            if plan_id == "latest":
                plan_id = latest_plan_id(conn)
            header = get_plan(conn, plan_id)
            lines = read_lines(
                conn, plan_id, store_id=store, cut_only=cut, limit=limit, offset=offset
            )
    except StorenetError as error:
        _fail(error)
    if as_json:
        # Plain print: Rich would wrap long lines and break the JSON for a pipe.
        print(json.dumps(header, default=str, indent=2, sort_keys=True))
        return
    render_summary(out, header)
    render_lines(out, lines)


def _operator_option() -> typer.models.OptionInfo:
    return typer.Option(
        None,
        "--as",
        "--by",
        envvar="STORENET_OPERATOR",
        help="The user account you act as: its role is checked and the change audited "
        "under its name, as over the API",
    )


def _decide(username: str | None, what: str, decide: Callable[[Connection, Principal], T]) -> T:
    """Run `decide(conn, who)` in one transaction as the operator `username` doing
    plan.write (storenet.accounts.operator.run_as: a denial is audited, as the service
    audits it); a refusal is printed and exits 2."""
    from storenet.accounts.operator import run_as
    from storenet.cli import _engine
    from storenet.settings import Settings

    try:
        return run_as(_engine(Settings.from_env()), username, "plan.write", what, decide)
    except StorenetError as error:
        _fail(error)


@plan_app.command("edit")
def edit(
    plan_id: str = typer.Argument(...),
    line: int = typer.Argument(..., help="Line number"),
    qty: int = typer.Argument(..., help="New quantity"),
    operator: str = _operator_option(),
) -> None:
    """Change a draft line's quantity (plan.write, audited)."""
    from storenet.cli import out
    from storenet.planning.decisions import edit_plan_line

    row = _decide(
        operator,
        f"storenet plan edit {plan_id} {line}",
        lambda conn, who: edit_plan_line(conn, who, plan_id, line, qty),
    )
    render_lines(out, [row])
    for warning in row.get("warnings", []):
        out.print(f"[yellow]warning[/]: {warning} (approval refuses this until it is fixed)")


@plan_app.command("approve")
def approve(plan_id: str = typer.Argument(...), operator: str = _operator_option()) -> None:
    """Approve a draft plan (plan.write, audited)."""
    from storenet.cli import out
    from storenet.planning.decisions import approve as approve_plan

    done = _decide(
        operator,
        f"storenet plan approve {plan_id}",
        lambda conn, who: approve_plan(conn, who, plan_id),
    )
    render_summary(out, done.header)


@plan_app.command("release")
def release(plan_id: str = typer.Argument(...), operator: str = _operator_option()) -> None:
    """Release an approved plan into the ledger as shipped transfers, once (plan.write,
    audited)."""
    from storenet.cli import out
    from storenet.planning.decisions import release as release_plan

    done = _decide(
        operator,
        f"storenet plan release {plan_id}",
        lambda conn, who: release_plan(conn, who, plan_id),
    )
    render_summary(out, done.header)


@plan_app.command("reopen")
def reopen(
    plan_id: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="Why the plan goes back to draft"),
    operator: str = _operator_option(),
) -> None:
    """Take an approved plan back to draft to fix it (plan.write, audited with the
    reason)."""
    from storenet.cli import out
    from storenet.planning.decisions import reopen as reopen_plan

    done = _decide(
        operator,
        f"storenet plan reopen {plan_id}",
        lambda conn, who: reopen_plan(conn, who, plan_id, reason),
    )
    render_summary(out, done.header)


@plan_app.command("cancel")
def cancel(
    plan_id: str = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="Why the plan is cancelled"),
    operator: str = _operator_option(),
) -> None:
    """Cancel a draft or approved plan (plan.write, audited with the reason); its day can
    then be planned again."""
    from storenet.cli import out
    from storenet.planning.decisions import cancel as cancel_plan

    done = _decide(
        operator,
        f"storenet plan cancel {plan_id}",
        lambda conn, who: cancel_plan(conn, who, plan_id, reason),
    )
    render_summary(out, done.header)
