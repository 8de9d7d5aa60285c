"""The nightly cycle at 1,000 / 3,000 / 12,000 stores with the reference assortment.

    python bench/plan_scale.py --json /tmp/plan_scale.json
    python bench/plan_scale.py --stores 1000 3000   # a quicker run

For each size: generate the network (2,000 SKUs, 21 days of history, seed 1; not
timed), then in a fresh process: load the network and stock, learn the first 20 days
(warm-up, not timed), and time one night: the daily update with the last day's sales,
then forecast, targets, orders, scarce allocation and rebalancing (`nightly_plan`).
The night's CPU time (all threads) is printed beside its wall time, with the load
average: on a shared machine the wall time says more about the neighbours. Peak RSS
is the measuring process's own high-water mark (network, history, state and
plan all included). The growth slope is the log-log fit of night time on stores.

Results: plan_<N>_stores_s, plan_<N>_stores_peak_rss_gb, plan_growth_slope.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from record import write_json  # bench/record.py

SKUS, DAYS, SEED = 2000, 21, 1


def measure(folder: Path) -> dict:
    """One night on the network in `folder`; runs in its own process."""
    from storenet.planning import demand
    from storenet.planning.cycle import nightly_plan
    from storenet.planning.history import read_history
    from storenet.planning.network import from_master
    from storenet.planning.source import stock_from_master

    network = from_master(folder / "master")
    stock = stock_from_master(network, folder / "master")
    history = read_history(network, folder / "history")
    first, last = history.day.min(), history.day.max()
    days = list(history.days(first, last))
    state = demand.fit(network, days[:-1], first - np.timedelta64(1, "D"))

    load_before = os.getloadavg()[0]
    cpu_started = time.process_time()
    started = time.perf_counter()
    state = demand.update_day(state, network, days[-1])
    updated = time.perf_counter()
    plan = nightly_plan(network, state, stock)
    done = time.perf_counter()
    cpu = time.process_time() - cpu_started
    return {
        "night_cpu_s": cpu,
        "load_average": max(load_before, os.getloadavg()[0]),
        "pairs": network.n_pairs,
        "update_s": updated - started,
        "plan_s": done - updated,
        "night_s": done - started,
        "stages": plan.seconds,
        "requested": int(plan.request.sum()),
        "allocated": int(plan.allocated.sum()),
        "moves": int(plan.moves.units.sum()),
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, nargs="+", default=[1000, 3000, 12000])
    parser.add_argument("--json", type=Path, help="write results here")
    parser.add_argument("--work", type=Path, help="folder for generated networks (kept)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return

    from rich.console import Console
    from rich.table import Table

    from storenet.datagen.build import NetworkSpec, generate

    console = Console()
    work = args.work or Path(tempfile.mkdtemp(prefix="plan_scale_"))
    rows = []
    for stores in args.stores:
        folder = work / f"stores_{stores}"
        if not (folder / "master" / "opening_stock.parquet").exists():
            with console.status(f"generating {stores:,} stores x {SKUS:,} SKUs"):
                generate(NetworkSpec(stores=stores, skus=SKUS, days=DAYS, seed=SEED), folder)
        with console.status(f"planning {stores:,} stores"):
            out = subprocess.run(
                [sys.executable, __file__, "--measure", str(folder)],
                check=True,
                capture_output=True,
                text=True,
            )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["stores"] = stores
        rows.append(result)

    table = Table(title="Nightly cycle (one night, after warm-up)")
    for column in (
        "stores",
        "pairs",
        "update s",
        "plan s",
        "night s",
        "night CPU s",
        "load avg",
        "peak RSS GB",
        "stages s",
    ):
        table.add_column(column, justify="right")
    for r in rows:
        stages = ", ".join(f"{k} {v:.2f}" for k, v in r["stages"].items())
        table.add_row(
            f"{r['stores']:,}",
            f"{r['pairs']:,}",
            f"{r['update_s']:.2f}",
            f"{r['plan_s']:.2f}",
            f"{r['night_s']:.2f}",
            f"{r['night_cpu_s']:.2f}",
            f"{r['load_average']:.1f}",
            f"{r['peak_rss_gb']:.2f}",
            stages,
        )
    console.print(table)
    results = []
    for r in rows:
        results.append(
            {"name": f"plan_{r['stores']}_stores_s", "value": round(r["night_s"], 3), "unit": "s"}
        )
        results.append(
            {
                "name": f"plan_{r['stores']}_stores_cpu_s",
                "value": round(r["night_cpu_s"], 3),
                "unit": "s",
            }
        )
        results.append(
            {
                "name": f"plan_{r['stores']}_stores_load_average",
                "value": round(r["load_average"], 2),
                "unit": "load",
            }
        )
        results.append(
            {
                "name": f"plan_{r['stores']}_stores_peak_rss_gb",
                "value": round(r["peak_rss_gb"], 3),
                "unit": "GB",
            }
        )
    if len(rows) >= 2:
        slope = float(
            np.polyfit(
                np.log([r["stores"] for r in rows]), np.log([r["night_s"] for r in rows]), 1
            )[0]
        )
        console.print(f"log-log growth slope of night time on stores: {slope:.2f}")
        results.append({"name": "plan_growth_slope", "value": round(slope, 3), "unit": "ratio"})
    if args.json:
        write_json(args.json, "plan_scale", results)


if __name__ == "__main__":
    main()
