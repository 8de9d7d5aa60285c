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
        help="Comma-separated: snaive, storenet, autoets, croston, adida, tsb, gbm, gbm_alone, mlf",
    ),
    history_days: int = typer.Option(
        730, help="Days before each cut-off that storenet and statsforecast learn from"
    ),
    series: str = typer.Option("", help="Series ids to chart (default: the 4 heaviest)"),
    report: Path | None = typer.Option(None, "--report", help="Folder for the report"),
    use_protocol: bool = typer.Option(
        False,
        "--protocol",
        help="Split stores and cut-offs into a selection set and a disjoint report set "
        "(ignores --cutoffs and --stores)",
    ),
    per_part: int = typer.Option(8, "--per-part", help="Cut-offs in each set (--protocol)"),
    min_history: int = typer.Option(
        365, "--min-history", help="Days of history before the first cut-off (--protocol)"
    ),
    last_cutoff: str = typer.Option(
        "", "--last-cutoff", help="Latest cut-off (--protocol; default: the latest untuned one)"
    ),
    flag_tuned: bool = typer.Option(
        False,
        "--flag-tuned",
        help="Flag report figures on data a model was tuned on instead of refusing",
    ),
    only: str = typer.Option(
        "",
        "--only",
        help="Run one set of the protocol: 'selection' while choosing settings, so the "
        "report set stays unseen",
    ),
    dataset: str = typer.Option(
        "", "--dataset", help="Name of the data for tuning records (default: m5 or the file name)"
    ),
) -> None:
    """Fit each model on the data up to each cut-off, score the next HORIZON days
    (WRMSSE by level, scaled pinball loss, 7-day coverage) and report."""
    from storenet.datasets import m5
    from storenet.evaluation import backtest, peers, protocol
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
        peers.statsforecast_available()
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

    dataset = dataset or m5.dataset_name(data)
    split = None
    if use_protocol:
        if only not in ("", "selection", "report"):
            err.print(f"[bold red]error[/]: --only: 'selection' or 'report', not {only!r}")
            raise typer.Exit(2)
        try:
            split = protocol.split_for(
                dataset,
                panel.series["store"].unique().to_list(),
                panel.days,
                names,
                horizon,
                min_history,
                per_part,
                m5.parse_day(last_cutoff, first) if last_cutoff else None,
            )
        except ValueError as error:
            err.print(f"[bold red]error[/]: {error}")
            raise typer.Exit(2) from error
    with Progress(
        TextColumn("{task.description:<32}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    ) as bar:
        count = (
            sum(len(p.cutoffs) for p in (split.selection, split.report) if only in ("", p.name))
            if split
            else len(days)
        )
        task = bar.add_task("backtest", total=count * len(names))

        def step(stage: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=stage)

        chosen = {n: available[n] for n in names}
        try:
            if split is not None:
                run = backtest.run_protocol(
                    panel,
                    chosen,
                    split,
                    events,
                    official,
                    step,
                    flag_tuned,
                    (only,) if only else ("selection", "report"),
                )
                parts = run.parts
                flagged = run.flagged
            else:
                parts = {
                    "ad hoc": backtest.run_backtest(
                        panel, chosen, days, horizon, events, official, step
                    )
                }
                flagged = protocol.ad_hoc_overlap(
                    names, dataset, panel.series["store"].unique().to_list(), days, horizon
                )
        except (ValueError, KeyError) as error:
            err.print(f"[bold red]error[/]: {error}")
            raise typer.Exit(2) from error

    keys = ("wrmsse_store_x_item", "wrmsse_store", "wrmsse_total", "spl", "coverage95")
    for name, result in parts.items():
        cutoff_days = sorted({r["cutoff"] for r in result.rows})
        stores_seen = sorted(result.origins[0].history.series["store"].unique().to_list())
        table = Table(
            title=f"{name} set: {result.origins[0].history.n_series} series of "
            f"{', '.join(stores_seen)}; cut-offs {', '.join(cutoff_days)}"
        )
        for key in ("model", *keys, "seconds"):
            table.add_column(key, justify="right")
        for row in report_mod.summary(result):
            mark = " (tuned here)" if name != "selection" and row["model"] in flagged else ""
            table.add_row(
                row["model"] + mark,
                *(f"{row[k]:.4f}" for k in keys),
                f"{row['seconds']:.1f}",
            )
        out.print(table)
    if flagged:
        err.print(
            "[yellow]flagged[/]: "
            + "; ".join(f"{m} was tuned on {len(c)} of these cells" for m, c in flagged.items())
        )
    if report is not None:
        written = []
        for name, result in parts.items():
            folder = report if len(parts) == 1 else report / name
            written += report_mod.write_report(
                result,
                folder,
                [s.strip() for s in series.split(",") if s.strip()] or None,
                title=f"({name} set)",
            )
        if split is not None:
            written.append(report_mod.write_split(report, split, flagged))
        out.print(f"wrote {', '.join(str(p) for p in written)}")


def register(app: typer.Typer) -> None:
    """Add the `evaluate` command to `app`."""
    app.command("evaluate")(evaluate_command)
