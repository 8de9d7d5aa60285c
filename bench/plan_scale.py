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

Results: plan_<N>_stores_s, plan_<N>_stores_peak_rss_gb, plan_growth_slope. The night
is the whole chain (`chain_plan`: stores, warehouses, supplier orders), the tree and
the open orders read from the master files.

`--end-to-end` times the whole night as `storenet plan` runs it, database to draft:
the reference network (`--e2e-stores`, default 12,000) is generated and imported into
SQLite (and into `--pg URL`, an empty PostgreSQL database), a warm-up night fits the
demand state (not timed), then a night is timed in a fresh process: read network,
stock, on order and lead times; learn the new day; plan every echelon; write the
draft. With `--work` kept, a rerun reuses the databases and times a night for the
next day without a plan, from the same warm state. Results:
night_end_to_end_<N>_stores_s and _peak_rss_gb (SQLite), night_end_to_end_<N>_stores_pg_s
(PostgreSQL), with their CPU seconds and the load average.

    python bench/plan_scale.py --end-to-end --work /tmp/e2e \
        --pg postgresql+psycopg://postgres@127.0.0.1:5432/night --json /tmp/night.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
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
    from storenet.planning.chain.plan import chain_plan
    from storenet.planning.cycle import PlanSettings
    from storenet.planning.demand.update import fit, update_day
    from storenet.planning.history import read_history
    from storenet.planning.network import from_master
    from storenet.planning.source import chain_stock_from_master, tree_from_master

    network = from_master(folder / "master")
    ps = PlanSettings()
    tree = tree_from_master(network, folder / "master", ps.lead_days, ps.review_days)
    stock = chain_stock_from_master(network, tree, folder / "master")
    history = read_history(network, folder / "history")
    first, last = history.day.min(), history.day.max()
    days = list(history.days(first, last))
    state = fit(network, days[:-1], first - np.timedelta64(1, "D"))

    load_before = os.getloadavg()[0]
    cpu_started = time.process_time()
    started = time.perf_counter()
    state = update_day(state, network, days[-1])
    updated = time.perf_counter()
    plan = chain_plan(network, tree, state, stock, ps)
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
        "requested": int(plan.stores.request.sum()),
        "allocated": int(plan.stores.allocated.sum()),
        "moves": int(plan.stores.moves.units.sum()),
        "upstream_lines": len(plan.upstream),
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9,
    }


def night_end_to_end(home: Path, db_url: str, day: str) -> dict:
    """One whole night as `storenet plan` runs it, in this process: read the network,
    the stock, on order and lead times from the database, learn the days of history
    since the saved demand state, plan every echelon, write the draft (store and
    upstream lines) and save the state. Wall time, CPU time and peak RSS."""
    from datetime import date

    from storenet.planning.service import run_plan
    from storenet.settings import Settings
    from storenet.store.engine import open_engine

    settings = Settings.from_env({"STORENET_HOME": str(home), "STORENET_DB": db_url})
    engine = open_engine(db_url)
    load_before = os.getloadavg()[0]
    cpu_started = time.process_time()
    started = time.perf_counter()
    header, _ = run_plan(settings, engine, date.fromisoformat(day))
    seconds = time.perf_counter() - started
    return {
        "night_s": seconds,
        "night_cpu_s": time.process_time() - cpu_started,
        "load_average": max(load_before, os.getloadavg()[0]),
        "lines": header["lines"],
        "summary": {k: v for k, v in header["summary"].items() if k != "exceptions"},
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9,
    }


def build_reference(home: Path, db_url: str, stores: int, console) -> str:  # type: ignore[no-untyped-def]
    """Generate `stores` x SKUS with DAYS of history into `home` and import it into
    `db_url` (once: a database that has stores already is reused). Returns the last
    day of history (ISO)."""
    from datetime import date, timedelta

    from sqlalchemy import text

    from storenet.demo import build_network
    from storenet.settings import Settings
    from storenet.store.engine import open_engine
    from storenet.store.migrate import migrate

    end = date(2026, 10, 25)
    engine = open_engine(db_url)
    migrate(engine)
    with engine.connect() as conn:
        known = conn.execute(text("SELECT COUNT(*) FROM stores")).scalar()
    if not known:
        settings = Settings.from_env({"STORENET_HOME": str(home), "STORENET_DB": db_url})
        with console.status(f"building the reference network in {db_url.split('@')[-1]}"):
            build_network(settings, engine, stores=stores, skus=SKUS, days=DAYS, seed=SEED, end=end)
    engine.dispose()
    return (end - timedelta(days=0)).isoformat()


def planned_days(url: str) -> set[str]:
    """The delivery days (ISO) that have a plan in the database at `url`."""
    from sqlalchemy import select

    from storenet.store.engine import open_engine
    from storenet.store.schema import plans

    engine = open_engine(url)
    with engine.connect() as conn:
        days = {d.isoformat() for d in conn.execute(select(plans.c.for_day)).scalars()}
    engine.dispose()
    return days


def end_to_end(args: argparse.Namespace, console) -> list[dict]:  # type: ignore[no-untyped-def]
    """The whole night on SQLite and, with --pg, on PostgreSQL, each in a fresh process.

    The first run on a database has a warm-up night for the history's last day (fits
    the demand state through the day before; not timed), whose state is kept. Every
    timed night starts from that state, so it learns exactly one new day, and plans
    a delivery day that has no plan yet (a night writes a new draft; replanning a
    day would also delete the old draft's lines): rerunning the bench on kept
    databases (`--work`) times a night like the first."""
    from datetime import date, timedelta

    work = args.work or Path(tempfile.mkdtemp(prefix="plan_scale_"))
    targets = [("sqlite", f"sqlite:///{work / 'e2e_sqlite' / 'storenet.db'}")]
    if args.pg:
        targets.append(("pg", args.pg))
    results = []
    for name, url in targets:
        home = work / f"e2e_{name}"
        home.mkdir(parents=True, exist_ok=True)
        last = build_reference(home, url, args.e2e_stores, console)
        state = home / "planning" / "demand.npz"
        warm = home / "planning" / "demand_warm.npz"
        if not warm.exists():
            with console.status(f"{name}: warm-up night for {last}"):
                subprocess.run(
                    [sys.executable, __file__, "--night", str(home), url, last],
                    check=True,
                    capture_output=True,
                    text=True,
                )
            shutil.copyfile(state, warm)
        taken = planned_days(url)
        day = date.fromisoformat(last) + timedelta(days=1)
        while day.isoformat() in taken:
            day += timedelta(days=1)
        shutil.copyfile(warm, state)
        with console.status(f"{name}: the night before {day}"):
            out = subprocess.run(
                [sys.executable, __file__, "--night", str(home), url, day.isoformat()],
                check=True,
                capture_output=True,
                text=True,
            )
        timed = json.loads(out.stdout.strip().splitlines()[-1])
        timed["day"] = day.isoformat()
        console.print(f"{name}: {json.dumps(timed)}")
        suffix = "" if name == "sqlite" else "_pg"
        n = args.e2e_stores
        results.append(
            {
                "name": f"night_end_to_end_{n}_stores{suffix}_s",
                "value": round(timed["night_s"], 2),
                "unit": "s",
            }
        )
        results.append(
            {
                "name": f"night_end_to_end_{n}_stores{suffix}_peak_rss_gb",
                "value": round(timed["peak_rss_gb"], 3),
                "unit": "GB",
            }
        )
        results.append(
            {
                "name": f"night_end_to_end_{n}_stores{suffix}_cpu_s",
                "value": round(timed["night_cpu_s"], 2),
                "unit": "s",
            }
        )
        results.append(
            {
                "name": f"night_end_to_end_{n}_stores{suffix}_load_average",
                "value": round(timed["load_average"], 2),
                "unit": "load",
            }
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, nargs="+", default=[1000, 3000, 12000])
    parser.add_argument("--json", type=Path, help="write results here")
    parser.add_argument("--work", type=Path, help="folder for generated networks (kept)")
    parser.add_argument(
        "--end-to-end",
        action="store_true",
        help="time the whole night (database to draft) instead of the compute alone",
    )
    parser.add_argument("--e2e-stores", type=int, default=12000, help="stores, --end-to-end")
    parser.add_argument("--pg", help="also on this (empty) PostgreSQL database, --end-to-end")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--night", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    if args.night:
        home, url, day = args.night
        print(json.dumps(night_end_to_end(Path(home), url, day)))
        return

    from rich.console import Console
    from rich.table import Table

    from storenet.datagen.build import NetworkSpec, generate

    console = Console()
    if args.end_to_end:
        results = end_to_end(args, console)
        if args.json:
            write_json(args.json, "plan_scale", results)
        return
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
