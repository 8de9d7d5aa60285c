"""`storenet simulate`: replay demand against storenet's plan and its peers.

A thin edge over `storenet.planning.simulate`; `register(app)` adds the command to the
main Typer app.
"""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

out = Console()
err = Console(stderr=True)


def _clean(value: object) -> object:
    """JSON has no NaN: a KPI without a denominator is written as null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _table(rows: list[dict], title: str) -> Table:
    table = Table(
        title=title,
        caption="fill: fill rate; inv days: inventory days; turns: turnover; out rate: "
        "stock-out rate; moved: units moved store to store; orders: order lines placed",
    )
    for name in (
        "policy",
        "setting",
        "fill",
        "inv days",
        "turns",
        "out rate",
        "moved",
        "orders",
        "s",
    ):
        table.add_column(name, justify="left" if name == "policy" else "right")
    for k in rows:
        table.add_row(
            k["policy"],
            "default" if k["setting"] is None else f"{k['setting']:g}",
            f"{k['fill_rate']:.4f}",
            f"{k['inventory_days']:.2f}",
            f"{k['turnover']:.3f}",
            f"{k['stockout_rate']:.4f}",
            str(k["units_moved"]),
            str(k["orders_placed"]),
            f"{k['seconds']:.2f}",
        )
    return table


def simulate_command(
    network: Path = typer.Option(
        ..., "--network", help="Generated network folder (master/ and history/)"
    ),
    days: int = typer.Option(28, help="Days to replay after the split"),
    out_dir: Path = typer.Option(..., "--out", help="Folder for frontier.png/.html, kpis.json"),
    policies: str = typer.Option(
        "storenet,minmax,statsforecast", help="Comma-separated: storenet, minmax, statsforecast"
    ),
    sweep: bool = typer.Option(
        False, "--sweep", help="Sweep service level / safety factor / multiplier for the frontier"
    ),
    split: str = typer.Option(
        "", help="Last warm-up day (YYYY-MM-DD); default: DAYS days before history ends"
    ),
    demand: str = typer.Option(
        "true", help="'true': the generator's demand where known; 'sales': recorded units"
    ),
    lead_days: int = typer.Option(2, help="Warehouse-to-store lead time, days"),
    supplier_lead_days: int = typer.Option(14, help="Supplier-to-warehouse lead time, days"),
) -> None:
    """Replay demand day by day (lead times, warehouse supply, lost sales) for each
    policy; report the KPIs and draw the fill-rate vs inventory-days frontier."""
    from storenet.planning import simulate as sim_mod

    names = [p.strip() for p in policies.split(",") if p.strip()]
    unknown = [p for p in names if p not in sim_mod.POLICIES]
    if unknown or not names:
        err.print(
            f"[bold red]error[/]: unknown policy {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(sim_mod.POLICIES)}"
        )
        raise typer.Exit(2)
    skipped = []
    if "statsforecast" in names and not sim_mod.statsforecast_available():
        reason = "statsforecast is not installed (pip install 'storenet[peers]')"
        err.print(f"[yellow]skipping statsforecast[/]: {reason}")
        skipped.append({"policy": "statsforecast", "reason": reason})
        names.remove("statsforecast")
    try:
        settings = sim_mod.SimSettings(
            days=days, lead_days=lead_days, supplier_lead_days=supplier_lead_days, demand=demand
        )
        split_day = date.fromisoformat(split) if split else None
    except ValueError as error:
        err.print(f"[bold red]error[/]: {error}")
        raise typer.Exit(2) from error

    runs = [(name, None) for name in names]
    if sweep:
        runs += [(name, value) for name in names for value in sim_mod.SWEEPS[name]]
    with Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    ) as bar:
        warm = bar.add_task("warm-up", total=None)

        def warm_up(stage: str, done: int, total: int) -> None:
            bar.update(warm, completed=done, total=total)

        try:
            sim = sim_mod.load(network, settings, split_day, progress=warm_up)
        except (FileNotFoundError, ValueError) as error:
            err.print(f"[bold red]error[/]: {error}")
            raise typer.Exit(2) from error
        replay = bar.add_task("replay", total=len(runs) * days)
        results = []
        for i, (name, value) in enumerate(runs):

            def step(stage: str, done: int, total: int, base: int = i * days) -> None:
                bar.update(replay, completed=base + done, description=stage)

            results.append(sim_mod.simulate(sim, sim_mod.make_policy(name, value), step))
        bar.update(replay, description="replay")

    defaults = [r for r, (_, v) in zip(results, runs) if v is None]
    curves: dict[str, list] = {}
    for r, (name, value) in zip(results, runs):
        if value is not None:
            curves.setdefault(name, []).append(r)
    out_dir.mkdir(parents=True, exist_ok=True)
    title = f"Fill rate vs inventory days, {sim.days[0]}..{sim.days[-1]}"
    sim_mod.draw_frontier(
        curves, out_dir / "frontier.png", out_dir / "frontier.html", defaults, title
    )
    rows = [r.kpis() for r in results]
    report = {
        "network": str(network),
        "split": str(sim.split),
        "first_day": str(sim.days[0]),
        "last_day": str(sim.days[-1]),
        "settings": vars(settings),
        "demand_source": (
            "the generator's true demand where the history has it, else recorded units"
            if demand == "true"
            else "recorded units (censored on stock-out days)"
        ),
        "start_stock": {
            "store_units": int(sim.on_hand.sum()),
            "pairs_from_closing_on_hand": int((sim.start_source == 0).sum()),
            "pairs_from_storenet_target": int((sim.start_source == 1).sum()),
            "pairs_inactive": int((sim.start_source == 2).sum()),
            "warehouse_units": int(sim.warehouse.sum()),
        },
        "runs": [{k: _clean(v) for k, v in row.items()} for row in rows],
        "skipped": skipped,
    }
    (out_dir / "kpis.json").write_text(json.dumps(report, indent=2) + "\n")
    out.print(_table(rows, title))
    out.print(
        f"wrote {out_dir / 'frontier.png'}, {out_dir / 'frontier.html'}, {out_dir / 'kpis.json'}"
    )


def register(app: typer.Typer) -> None:
    """Add `simulate` to `app`."""
    app.command("simulate")(simulate_command)
