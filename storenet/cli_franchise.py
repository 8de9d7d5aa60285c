"""`storenet targets ...` and `storenet rewards ...`: the franchise relationship from
the command line (storenet.franchise).

Commands that change something act as the user named by `--as` (or
STORENET_OPERATOR), checked against the policy and audited under that name, as the API
would. `targets import` is all or nothing and idempotent (the same file again changes
nothing); `rewards close-period` is idempotent (closing a closed period again changes
nothing); `rewards overdue` is the daily digest of rewards past their due day.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from storenet.cli_errors import fail
from storenet.errors import Problem, Refused, StorenetError

targets_app = typer.Typer(
    help="Sales targets per store and franchisee, versioned.", no_args_is_help=True
)
rewards_app = typer.Typer(
    help="Franchise rewards, owed to paid; the overdue digest.", no_args_is_help=True
)

AS = typer.Option(
    None,
    "--as",
    envvar="STORENET_OPERATOR",
    help="The user you act as (role checked, audited under this name; STORENET_OPERATOR)",
)
TODAY = typer.Option(None, help="The market day to act on (YYYY-MM-DD; default today)")


def register(app: typer.Typer) -> None:
    """Add the `targets` and `rewards` command groups to `app`."""
    app.add_typer(targets_app, name="targets")
    app.add_typer(rewards_app, name="rewards")


def _day(text: str | None, field: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Refused([Problem(field, "must be a date YYYY-MM-DD", value=text)]) from None


@targets_app.command("import")
def import_targets(
    file: Path = typer.Argument(
        ..., help="CSV: scope,subject,period,metric,amount[,category,currency]"
    ),
    operator: str = AS,
) -> None:
    """Set the file's targets (target.write): all or nothing; unchanged ones are left
    alone, changed ones get a new version."""
    from storenet.accounts.operator import run_as
    from storenet.cli import _engine, out
    from storenet.franchise.target_files import read_targets
    from storenet.franchise.targets import set_targets
    from storenet.settings import Settings

    try:
        if not file.is_file():
            raise Refused([Problem("file", "is not a readable file", value=str(file))])
        targets = read_targets(file.read_bytes(), file.name)
        done = run_as(
            _engine(Settings.from_env()),
            operator,
            "target.write",
            "cli targets import",
            lambda conn, who: set_targets(conn, targets, who.username),
        )
    except StorenetError as error:
        fail(error)
    out.print(f"{done['set']} target(s) set, {done['unchanged']} unchanged", highlight=False)


@rewards_app.command("close-period")
def close_period_cmd(
    period: str = typer.Option(..., help="The period: a month 2026-11 or a quarter 2026-Q4"),
    program: list[str] = typer.Option(None, help="Program id (repeatable; default: every one)"),
    today: str = TODAY,
    operator: str = AS,
) -> None:
    """Close the period (reward.close): compute each eligible franchisee's reward under
    the terms it accepted, owed from now. Closing again changes nothing."""
    from sqlalchemy import select

    from storenet.accounts.operator import run_as
    from storenet.cli import _engine, err, out
    from storenet.franchise.rewards import close_period
    from storenet.settings import Settings
    from storenet.store.schema import incentive_programs

    settings = Settings.from_env()

    def work(conn, who):  # type: ignore[no-untyped-def]
        ids = program or list(
            conn.execute(
                select(incentive_programs.c.id).order_by(incentive_programs.c.id)
            ).scalars()
        )
        if not ids:
            raise Refused([Problem("program", "there is no incentive program")])
        return [close_period(conn, p, period, settings.market_tz, who.username, day) for p in ids]

    try:
        day = _day(today, "today")
        closed = run_as(
            _engine(settings), operator, "reward.close", "cli rewards close-period", work
        )
    except StorenetError as error:
        fail(error)
    for c in closed:
        state = "already closed, nothing changed" if c["already_closed"] else "closed"
        out.print(
            f"{c['program']} {c['period']} (terms v{c['terms_version']}): {state}; "
            f"{len(c['rewards'])} reward(s) owed",
            highlight=False,
        )
        for r in c["rewards"]:
            out.print(f"  {r}", highlight=False)
        for s in c["skipped"]:
            err.print(f"  skipped {s['franchisee']}: {s['why']}", highlight=False)


@rewards_app.command("overdue")
def overdue(
    as_json: bool = typer.Option(False, "--json", help="Print the digest as JSON"),
    today: str = TODAY,
) -> None:
    """The daily digest of rewards past their due day, not yet paid. Exit code 0 even
    when some are overdue (the digest is a report); 2 on an error."""
    from storenet.cli import _engine, out
    from storenet.franchise.reward_lists import overdue_digest
    from storenet.franchise.rewards import market_today
    from storenet.settings import Settings
    from storenet.store.engine import reading

    settings = Settings.from_env()
    try:
        day = _day(today, "today") or market_today(settings.market_tz)
        with reading(_engine(settings)) as conn:
            digest = overdue_digest(conn, day)
    except StorenetError as error:
        fail(error)
    if as_json:
        print(json.dumps(digest, default=str, indent=2))
        return
    totals = ", ".join(f"{v} {c}" for c, v in sorted(digest["by_currency"].items())) or "nothing"
    out.print(f"{digest['count']} reward(s) overdue on {day}: {totals}", highlight=False)
    if digest["rewards"]:
        table = Table("reward", "franchisee", "amount", "status", "due", "days overdue")
        for r in digest["rewards"]:
            table.add_row(
                r["id"],
                r["franchisee_id"],
                f"{r['amount']} {r['currency']}",
                r["status"],
                str(r["due_on"]),
                str(r["days_overdue"]),
            )
        out.print(table)


@rewards_app.command("approve")
def approve(
    reward_id: str = typer.Argument(..., help="Reward id (RW-...)"), operator: str = AS
) -> None:
    """Approve an owed (or resolved) reward (reward.approve; not its preparer)."""
    _transition(reward_id, "approve", operator, {})


@rewards_app.command("pay")
def pay(
    reward_id: str = typer.Argument(..., help="Reward id (RW-...)"),
    reference: str = typer.Option(..., help="The payment's reference (bank transfer id)"),
    paid_on: str = typer.Option(..., help="The day it was paid (YYYY-MM-DD)"),
    operator: str = AS,
) -> None:
    """Mark an approved reward paid (reward.pay)."""
    _transition(reward_id, "pay", operator, {"reference": reference, "paid_on": paid_on})


def _transition(reward_id: str, action: str, operator: str | None, given: dict) -> None:
    """One transition as `operator`, in its own transaction; a refusal (conflict, four
    eyes, role) is audited too (reward_states.transition_audited)."""
    from storenet.accounts.operator import operator as principal
    from storenet.cli import _engine, out
    from storenet.franchise import reward_states as rs
    from storenet.settings import Settings

    def work(conn, who):  # type: ignore[no-untyped-def]
        if action == "approve":
            return rs.approve_reward(conn, reward_id, who.username)
        paid = _day(given["paid_on"], "paid-on")
        return rs.pay_reward(conn, reward_id, who.username, given["reference"], paid)

    engine = _engine(Settings.from_env())
    try:
        done = rs.transition_audited(
            engine,
            action,
            reward_id,
            operator or "anonymous",
            lambda conn: work(conn, principal(conn, operator, f"reward.{action}")),
        )
    except StorenetError as error:
        fail(error)
    out.print(f"{done['id']}: {done['status']}", highlight=False)
