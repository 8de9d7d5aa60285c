"""How fast stock circulates under each policy, at matched fill rates (issue 3).

    python bench/circulation.py --json /tmp/circulation.json
    python bench/circulation.py --data DIR/sales.csv.gz --calendar DIR/calendar.csv \\
        --stores CA_1 TX_1 --end-day d_1913 --json /tmp/circulation.json

Two replays, each policy swept along its frontier (storenet's service level, the
min/max safety factor, the statsforecast order-up-to multiplier when installed):

- **Real sales** (M5 wide layout or a long CSV/Parquet of store, sku, date,
  quantity): the last `--days` days before `--end-day`, recorded sales taken as
  demand (nothing else is known), one distribution centre that never runs short,
  stores on a weekly review with a 2-day lead; series with no sale in the 8 weeks
  before the replay (new or dormant listings, for which no policy has a launch plan)
  are left out. The demand model learns the market's own events from the calendar,
  only from days before the replay.
- **A synthetic network** from `storenet generate` (seeded), its true demand replayed,
  warehouses that never run short (the network grows during the year).

Reported per replay: fill rate, inventory days and stock-out rate of each policy at
the min/max rule's operating point (its first setting filling at least `--fill`,
97% by default), and the inventory days storenet and statsforecast need for that same
fill rate (interpolated along their frontiers). Results: `m5_days_reduction_vs_minmax`,
`m5_days_reduction_vs_statsforecast`, `m5_fill_rate`, and the same with `synthetic_`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
from record import write_json  # bench/record.py

ROOT = Path(__file__).resolve().parents[1]
M5 = ROOT.parent / "shared" / "data" / "m5"
SWEEPS = {
    "storenet": (0.50, 0.65, 0.80, 0.90, 0.95, 0.98, 0.99, 0.995, 0.998),
    "minmax": (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0),
    "statsforecast": (1.0, 1.5, 2.0, 2.5, 3.0, 4.0),
}


def real_sales_input(args: argparse.Namespace, settings, progress):  # type: ignore[no-untyped-def]
    """SimInput of a sales panel: the network of its hierarchy with one warehouse."""
    from storenet.datasets.m5 import load_panel, parse_day, read_calendar
    from storenet.evaluation.models import m5_network, storenet_settings
    from storenet.planning.history import HistoryFrame
    from storenet.planning.simulate.inputs import prepare

    panel = load_panel(args.data, args.calendar, stores=args.stores or None)
    end = parse_day(args.end_day, panel.days[0]) if args.end_day else panel.days[-1]
    last = panel.day_index(end)
    panel = replace(panel, units=panel.units[:, : last + 1], days=panel.days[: last + 1])
    split = panel.days[-1] - np.timedelta64(settings.days, "D")
    # Series that sold nothing in the 8 weeks before the replay are new or dormant
    # listings: no policy here has a launch plan for them, so they would only add the
    # same lost sales to every policy. Chosen from days before the split only.
    at = panel.day_index(split)
    panel = panel.take(np.flatnonzero(panel.units[:, max(0, at - 55) : at + 1].sum(axis=1) > 0))
    warm = replace(
        panel,
        units=panel.units[:, : panel.day_index(split) + 1],
        days=panel.days[: panel.day_index(split) + 1],
    )
    network, pair = m5_network(warm)
    # One distribution centre serves every store.
    network = replace(
        network, warehouses=["DC"], store_warehouse=np.zeros(network.n_stores, np.int32)
    )
    calendar = read_calendar(args.calendar) if args.calendar else None
    demand_settings = storenet_settings(warm, calendar)
    rows, cols = np.nonzero(panel.units > 0)
    order = np.lexsort((pair[rows], cols))
    history = HistoryFrame(
        day=panel.days[cols[order]],
        pair=pair[rows[order]].astype(np.int64),
        units=panel.units[rows[order], cols[order]].astype(np.int64),
        stockout=np.zeros(order.size, bool),
        demand=np.full(order.size, -1, np.int64),
        dropped_rows=0,
    )
    # The data says nothing of the distribution centre: it is taken never to run short,
    # so the replay compares store policies only (the synthetic replay has real
    # warehouses with limited supply).
    warehouse = np.full((1, network.n_skus), 10**9, np.int64)
    closing = np.full(network.n_pairs, -1, np.int64)
    sim = prepare(network, history, settings, split, closing, warehouse, progress, demand_settings)
    return sim, f"{len(panel.series['store'].unique())} stores, {panel.n_series} series"


def synthetic_input(args: argparse.Namespace, settings, progress):  # type: ignore[no-untyped-def]
    from storenet.datagen import NetworkSpec, generate
    from storenet.planning.simulate.inputs import load

    folder = Path(args.work) / f"synthetic_{args.synthetic_stores}_{args.seed}"
    if not (folder / "master" / "stores.parquet").exists():
        generate(
            NetworkSpec(
                stores=args.synthetic_stores, skus=args.synthetic_skus, days=730, seed=args.seed
            ),
            folder,
        )
    # As for the real sales: warehouses that never run short, so the replay compares
    # store policies; the generated network grows during the year (stores opening), and
    # a fixed warehouse base stock would starve every policy alike.
    n_skus = len(pl.read_parquet(folder / "master" / "skus.parquet", columns=["id"]))
    n_wh = len(pl.read_parquet(folder / "master" / "warehouses.parquet", columns=["id"]))
    unlimited = np.full((n_wh, n_skus), 10**9, np.int64)
    sim = load(folder, settings, warehouse=unlimited, progress=progress)
    return sim, f"{args.synthetic_stores} stores x {args.synthetic_skus} SKUs, seed {args.seed}"


def compare(curves: dict, fill: float) -> dict:
    """Each policy at the min/max rule's operating point (see the module doc)."""
    from storenet.planning.simulate.frontier import days_at

    minmax = sorted(curves["minmax"], key=lambda r: r.setting)
    point = next((r for r in minmax if r.kpis()["fill_rate"] >= fill), minmax[-1])
    k = point.kpis()
    out = {
        "minmax_setting": point.setting,
        "fill_rate": k["fill_rate"],
        "minmax_days": k["inventory_days"],
        "minmax_stockout_rate": k["stockout_rate"],
    }
    for name in ("storenet", "statsforecast"):
        if name in curves:
            days = days_at(curves[name], k["fill_rate"])
            out[f"{name}_days"] = days
            near = min(curves[name], key=lambda r: abs(r.kpis()["fill_rate"] - k["fill_rate"]))
            out[f"{name}_stockout_rate"] = near.kpis()["stockout_rate"]
    out["days_reduction_vs_minmax"] = 1 - out["storenet_days"] / out["minmax_days"]
    if "statsforecast_days" in out:
        out["days_reduction_vs_statsforecast"] = (
            1 - out["storenet_days"] / out["statsforecast_days"]
        )
    return out


def run(label: str, sim, policies: list[str], out_dir: Path, console, fill: float) -> dict:  # type: ignore[no-untyped-def]
    from rich.progress import Progress

    from storenet.cli_frontier import draw_frontier
    from storenet.planning.simulate.engine import simulate
    from storenet.planning.simulate.policies import make_policy

    curves: dict[str, list] = {}
    with Progress(console=console, transient=True) as bar:
        total = sum(len(SWEEPS[p]) for p in policies)
        task = bar.add_task(f"{label}: replaying", total=total)
        for name in policies:
            curves[name] = []
            for setting in SWEEPS[name]:
                started = time.perf_counter()
                curves[name].append(simulate(sim, make_policy(name, setting)))
                bar.advance(task)
                console.log(
                    f"{label} {name} {setting:g}: fill {curves[name][-1].kpis()['fill_rate']:.4f}, "
                    f"days {curves[name][-1].kpis()['inventory_days']:.2f} "
                    f"({time.perf_counter() - started:.1f} s)"
                )
    out_dir.mkdir(parents=True, exist_ok=True)
    title = f"Fill rate vs inventory days: {label}, {sim.days[0]}..{sim.days[-1]}"
    draw_frontier(
        curves, out_dir / f"frontier_{label}.png", out_dir / f"frontier_{label}.html", title=title
    )
    return compare(curves, fill)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=M5 / "sales_train_subset.csv.gz")
    parser.add_argument("--calendar", type=Path, default=M5 / "calendar.csv")
    parser.add_argument("--stores", nargs="*", default=[])
    parser.add_argument("--end-day", default="", help="last day (ISO or d_N; default: last)")
    parser.add_argument("--days", type=int, default=365, help="days replayed")
    parser.add_argument("--fill", type=float, default=0.97)
    parser.add_argument("--synthetic-stores", type=int, default=200)
    parser.add_argument("--synthetic-skus", type=int, default=150)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--skip", choices=["m5", "synthetic"], action="append", default=[])
    parser.add_argument("--out", type=Path, default=Path("var/bench/circulation"))
    parser.add_argument(
        "--work", type=Path, default=Path(tempfile.gettempdir()) / "storenet_circulation"
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from rich.console import Console
    from rich.table import Table

    from storenet.planning.simulate.inputs import SimSettings
    from storenet.planning.simulate.policies import statsforecast_available

    console = Console(stderr=True)
    policies = ["storenet", "minmax"] + (["statsforecast"] if statsforecast_available() else [])
    if "statsforecast" not in policies:
        console.print("statsforecast is not installed: that peer is skipped")
    results, rows = [], []
    for label, builder, demand_source in (
        ("m5", real_sales_input, "sales"),
        ("synthetic", synthetic_input, "true"),
    ):
        if label in args.skip:
            continue
        settings = SimSettings(days=args.days, demand=demand_source)
        with console.status(f"{label}: warming up the demand model"):
            sim, what = builder(args, settings, None)
        console.log(
            f"{label}: {what}, {sim.network.n_pairs:,} pairs, replay {sim.days[0]}..{sim.days[-1]}"
        )
        figures = run(label, sim, policies, args.out, console, args.fill)
        rows.append((label, what, figures))
        results.append(
            {
                "name": f"{label}_days_reduction_vs_minmax",
                "value": round(figures["days_reduction_vs_minmax"], 4),
                "unit": "fraction",
            }
        )
        if "days_reduction_vs_statsforecast" in figures:
            results.append(
                {
                    "name": f"{label}_days_reduction_vs_statsforecast",
                    "value": round(figures["days_reduction_vs_statsforecast"], 4),
                    "unit": "fraction",
                }
            )
        results.append(
            {
                "name": f"{label}_fill_rate",
                "value": round(figures["fill_rate"], 4),
                "unit": "fraction",
            }
        )

    table = Table(
        title=f"Inventory days at the min/max rule's fill rate (first setting >= {args.fill:.0%})"
    )
    for column in (
        "data",
        "fill",
        "min/max days",
        "storenet days",
        "statsforecast days",
        "vs min/max",
        "vs statsforecast",
    ):
        table.add_column(column, justify="right")
    for label, what, f in rows:
        table.add_row(
            f"{label} ({what})",
            f"{f['fill_rate']:.4f}",
            f"{f['minmax_days']:.2f}",
            f"{f['storenet_days']:.2f}",
            f"{f.get('statsforecast_days', float('nan')):.2f}",
            f"{f['days_reduction_vs_minmax']:+.1%}",
            f"{f.get('days_reduction_vs_statsforecast', float('nan')):+.1%}",
        )
    Console().print(table)
    print(f"charts: {args.out}/frontier_*.png and .html")
    if args.json:
        write_json(args.json, "circulation", results)


if __name__ == "__main__":
    sys.exit(main())
