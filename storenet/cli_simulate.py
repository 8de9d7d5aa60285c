"""`storenet simulate`: replay demand against storenet's plan and its peers.

A thin edge over `storenet.planning.compare` (the runs) and `storenet.cli_frontier` (the
drawing); `register(app)` adds the command to the main Typer app.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

out = Console()
DEFAULT_POLICIES = "storenet,minmax,statsforecast"
err = Console(stderr=True)


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
        DEFAULT_POLICIES,
        help="Comma-separated: storenet, minmax, statsforecast (--chain: storenet, minmax, "
        "storenet_stores; default all three)",
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
    chain: bool = typer.Option(
        False,
        "--chain",
        help="Replay the whole chain (suppliers, central, regionals, stores) for the chain "
        "policies (storenet, minmax, storenet_stores); draw stock by echelon",
    ),
) -> None:
    """Replay demand day by day (lead times, warehouse supply, lost sales) for each
    policy; report the KPIs and draw the fill-rate vs inventory-days frontier. With
    --chain, replay the whole chain instead and draw stock by echelon over time."""
    from storenet.cli_frontier import draw_frontier
    from storenet.errors import StorenetError
    from storenet.planning import compare
    from storenet.planning.simulate.inputs import SimSettings, load

    try:
        names, skipped = ([], []) if chain else compare.choose_policies(policies.split(","))
    except (ValueError, StorenetError) as error:
        err.print(f"[bold red]error[/]: {error}")
        raise typer.Exit(2) from error
    for gone in skipped:
        err.print(f"[yellow]skipping {gone['policy']}[/]: {gone['reason']}")
    try:
        settings = SimSettings(
            days=days, lead_days=lead_days, supplier_lead_days=supplier_lead_days, demand=demand
        )
        split_day = date.fromisoformat(split) if split else None
    except ValueError as error:
        err.print(f"[bold red]error[/]: {error}")
        raise typer.Exit(2) from error

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
            sim = load(network, settings, split_day, progress=warm_up)
        except (FileNotFoundError, ValueError) as error:
            err.print(f"[bold red]error[/]: {error}")
            raise typer.Exit(2) from error
        replay = bar.add_task("replay", total=None)

        def step(stage: str, done: int, total: int) -> None:
            bar.update(replay, completed=done, total=total, description=stage)

        if chain:
            _chain(sim, network, policies, out_dir, step)
            return
        result = compare.compare(sim, names, sweep, step, skipped)
        bar.update(replay, description="replay")

    out_dir.mkdir(parents=True, exist_ok=True)
    title = f"Fill rate vs inventory days, {result.first_day}..{result.last_day}"
    draw_frontier(
        result.curves(),
        out_dir / "frontier.png",
        out_dir / "frontier.html",
        result.defaults(),
        title,
    )
    rows = [r.kpis() for r in result.results]
    report = {"network": str(network), **result.summary(), "runs": result.points()}
    (out_dir / "kpis.json").write_text(json.dumps(report, indent=2) + "\n")
    out.print(_table(rows, title))
    out.print(
        f"wrote {out_dir / 'frontier.png'}, {out_dir / 'frontier.html'}, {out_dir / 'kpis.json'}"
    )


def _chain(sim, network: Path, policies: str, out_dir: Path, step) -> None:  # type: ignore[no-untyped-def]
    """`simulate --chain`: each chain policy at its default settings, over the
    network's own suppliers and lanes (master files) or, where it has none, synthetic
    ones (stated in the output)."""
    from storenet.cli_frontier import draw_echelons
    from storenet.planning.simulate.chain import simulate_chain
    from storenet.planning.simulate.chain_inputs import (
        SupplierTerms,
        master_chain,
        synthetic_chain,
    )
    from storenet.planning.simulate.chain_policies import (
        CHAIN_POLICIES,
        chain_plan_available,
        make_chain_policy,
    )

    asked = [p.strip() for p in policies.split(",") if p.strip()]
    wanted = [p for p in CHAIN_POLICIES if p in asked or asked == DEFAULT_POLICIES.split(",")]
    if "storenet" in wanted and not chain_plan_available():
        err.print("[yellow]skipping storenet[/]: the multi-echelon plan is not installed")
        wanted.remove("storenet")
    if not wanted:
        wanted = ["minmax", "storenet_stores"]
    chain = master_chain(sim, network / "master")
    suppliers = "the network's own (master/supplier_items, lanes, warehouses)"
    if chain is None:
        terms = SupplierTerms()
        chain = synthetic_chain(sim, terms)
        suppliers = f"synthetic: {terms.describe()}"
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for name in wanted:
        result = simulate_chain(chain, make_chain_policy(name), step)
        draw_echelons(result, out_dir / f"echelons_{name}.png", f"Stock by echelon: {name}")
        rows.append(result.kpis())
    report = {"suppliers": suppliers, "runs": rows}
    (out_dir / "chain.json").write_text(json.dumps(report, indent=2, default=float) + "\n")
    table = Table(title="The whole chain", caption=f"suppliers: {suppliers}")
    columns = ("policy", "store fill", "network days", "store days", "bullwhip", "POs")
    for name in columns:
        table.add_column(name, justify="left" if name == "policy" else "right")
    for k in rows:
        table.add_row(
            k["policy"],
            f"{k['store_fill']:.4f}",
            f"{k['network_inventory_days']:.2f}",
            f"{k['store_inventory_days']:.2f}",
            f"{k['bullwhip']:.2f}",
            str(k["supplier_orders"]),
        )
    out.print(table)
    out.print(f"wrote {out_dir / 'chain.json'} and {out_dir}/echelons_*.png")


def register(app: typer.Typer) -> None:
    """Add `simulate` to `app`."""
    app.command("simulate")(simulate_command)
