"""`storenet evaluate`: backtest demand models on real sales and write a report.

A thin edge: parse, load the panel, run the backtest with a Rich progress bar,
print the score table and write the report folder.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

out = Console()
err = Console(stderr=True)


def evaluate_command(
    data: Path = typer.Option(..., "--data", help="Sales: M5 wide CSV(.gz) or long CSV/Parquet"),
    calendar: Path | None = typer.Option(None, "--calendar", help="M5 calendar.csv (events)"),
    prices: Path | None = typer.Option(None, "--prices", help="M5 weekly sell prices"),
    weights: Path | None = typer.Option(
        None, "--weights", help="Official M5 weights file (also scored, renormalised)"
    ),
    cutoffs: str = typer.Option(
        "d_1829,d_1857,d_1885", help="Comma-separated cut-off days (ISO dates or d_N)"
    ),
    stores: str = typer.Option("", help="Comma-separated store ids (default: all)"),
    horizon: int = typer.Option(28, help="Days forecast after each cut-off"),
    models: str = typer.Option(
        "snaive,storenet,autoets,gbm",
        help="Comma-separated: snaive, storenet, autoets, croston, adida, tsb, gbm",
    ),
    history_days: int = typer.Option(
        730, help="Days before each cut-off that storenet and statsforecast learn from"
    ),
    series: str = typer.Option("", help="Series ids to chart (default: the 4 heaviest)"),
    report: Path | None = typer.Option(None, "--report", help="Folder for the report"),
) -> None:
    """Fit each model on the data up to each cut-off, score the next HORIZON days
    (WRMSSE by level, scaled pinball loss, 7-day coverage) and report."""
    from storenet.datasets import m5
    from storenet.evaluation import backtest
    from storenet.evaluation import models as models_mod
    from storenet.evaluation import report as report_mod

    available = models_mod.registry(history_days)
    names = [m.strip() for m in models.split(",") if m.strip()]
    unknown = [m for m in names if m not in available]
    if unknown:
        err.print(
            f"[bold red]error[/]: unknown or unavailable model(s) {', '.join(unknown)}; "
            f"available: {', '.join(available)} (statsforecast and lightgbm are optional)"
        )
        raise typer.Exit(2)
    if any(n in ("autoets", "croston", "adida", "tsb") for n in names) and not (
        models_mod.statsforecast_available()
    ):
        err.print("[yellow]statsforecast is not installed: its models are skipped[/]")
        names = [n for n in names if n not in ("autoets", "croston", "adida", "tsb")]
    try:
        panel = m5.load_panel(
            data, calendar, prices, [s.strip() for s in stores.split(",") if s.strip()] or None
        )
        events = m5.read_calendar(calendar) if calendar else None
        first = events.days[0] if events is not None else panel.days[0]
        days = [m5.parse_day(c, first) for c in cutoffs.split(",") if c.strip()]
        official = m5.read_official_weights(weights, panel) if weights else None
    except (FileNotFoundError, ValueError, KeyError) as error:
        err.print(f"[bold red]error[/]: {error}")
        raise typer.Exit(2) from error

    with Progress(
        TextColumn("{task.description:<32}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    ) as bar:
        task = bar.add_task("backtest", total=len(days) * len(names))

        def step(stage: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=stage)

        try:
            result = backtest.run_backtest(
                panel, {n: available[n] for n in names}, days, horizon, events, official, step
            )
        except (ValueError, KeyError) as error:
            err.print(f"[bold red]error[/]: {error}")
            raise typer.Exit(2) from error

    rows = report_mod.summary(result)
    table = Table(title=f"{panel.n_series} series, cut-offs {', '.join(map(str, days))}")
    for key in ("model", "wrmsse_store_x_item", "wrmsse_store", "spl", "coverage95", "seconds"):
        table.add_column(key, justify="right")
    for row in rows:
        table.add_row(
            row["model"],
            *(
                f"{row[k]:.4f}" if k != "seconds" else f"{row[k]:.1f}"
                for k in ("wrmsse_store_x_item", "wrmsse_store", "spl", "coverage95", "seconds")
            ),
        )
    out.print(table)
    if report is not None:
        written = report_mod.write_report(
            result, report, [s.strip() for s in series.split(",") if s.strip()] or None
        )
        out.print(f"wrote {', '.join(str(p) for p in written)}")


def register(app: typer.Typer) -> None:
    """Add the `evaluate` command to `app`."""
    app.command("evaluate")(evaluate_command)
