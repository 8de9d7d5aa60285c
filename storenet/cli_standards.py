"""`storenet standards ...`: store standards from the command line (storenet.standards).

`overdue` is the daily digest of corrective actions still open after their due date
(the market's day, Settings.market_tz, unless `--on` says another): every store's, or
with `--as NAME` only the stores that user sees (checked against standards.read).
`--json` prints the rows for a script or a mailer.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from storenet.cli_errors import fail
from storenet.errors import Problem, Refused, StorenetError

standards_app = typer.Typer(
    help="Store standards: audits, scores and corrective actions.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add the `standards` command group to `app`."""
    app.add_typer(standards_app, name="standards")


def _day(text: str | None, market_tz: str) -> date:
    if text is None:
        return datetime.now(ZoneInfo(market_tz)).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Refused([Problem("on", "must be a date YYYY-MM-DD", value=text)]) from None


@standards_app.command("overdue")
def overdue(
    as_json: bool = typer.Option(False, "--json", help="Print the overdue actions as JSON"),
    on: str = typer.Option(None, "--on", help="The market day to judge on (YYYY-MM-DD)"),
    operator: str = typer.Option(
        None, "--as", help="Only the stores this user sees (role checked: standards.read)"
    ),
    limit: int = typer.Option(1000, min=1, max=100_000, help="At most this many rows"),
) -> None:
    """Corrective actions open after their due date, earliest due first."""
    from storenet.accounts.operator import operator as as_user
    from storenet.cli import _engine, out
    from storenet.settings import Settings
    from storenet.standards import actions, corrective
    from storenet.store.engine import reading

    try:
        settings = Settings.from_env()
        today = _day(on, settings.market_tz)
        with reading(_engine(settings)) as conn:
            if operator is None:
                rows = corrective.list_actions(
                    conn, None, today=today, only_overdue=True, limit=limit
                )
            else:
                who = as_user(conn, operator, "standards.read")
                rows = actions.list_actions(conn, who, today=today, only_overdue=True, limit=limit)
    except StorenetError as error:
        fail(error)
    rows = rows[:limit]
    if as_json:
        print(json.dumps({"on": today, "overdue": rows}, default=str, indent=2))
        return
    if not rows:
        out.print(f"No corrective action overdue on {today}.", highlight=False)
        return
    table = Table("store", "item", "section", "due", "days late", "opened by audit")
    for r in rows:
        table.add_row(
            f"{r['store_id']} {r['store_name']}",
            f"{r['text']} ({r['item_code']})",
            r["section"],
            str(r["due_on"]),
            str((today - r["due_on"]).days),
            r["opened_by_audit"],
        )
    out.print(table)
    out.print(f"{len(rows):,} corrective action(s) overdue on {today}.", highlight=False)
