"""The plan's gbm demand model (`storenet plan --model gbm`): training and nightly cost.

    python bench/plan_gbm.py --json /tmp/plan_gbm.json         # 1,000 / 3,000 / 12,000
    python bench/plan_gbm.py --stores 250 1000 --threads 1     # a quicker run

For each size: generate the network (2,000 SKUs, `--days` (400) days of history, seed
1; not timed), then, each in a fresh process so each has its own peak RSS:

- training (`gbm_demand.train`, the weekly step): one pass over the history from the
  earliest origin's window, the dense panel of the sample (whole stores, at most
  `--sample-pairs` pairs), LightGBM on sample x 9 horizon days x up to 52 origins rows;
- the nightly forecast (`gbm_demand.forecast`) of every pair: the 364-day window read
  month by month, features and prediction in chunks of whole stores (storenet's mean
  for the blend is given as ones: computing it is the storenet plan's own cost).

Wall and CPU seconds are printed with the load average (on a shared machine the CPU
time says more). Peak RSS is the measuring process's high-water mark (network,
history window, model). Extrapolation to the reference network (7 million pairs) is a
least-squares line of seconds (and GB) on pairs over the measured sizes.

Training's history reads are timed apart (they grow with the network; the rest works
on the fixed sample): its 7-million-pair figure is the sample's part as measured plus
the reads scaled on pairs.

Results: gbm_train_s (wall, at the largest size), gbm_predict_s_per_million_pairs
(wall; slope of the line), gbm_peak_gb (the larger of the two steps' peaks at the
largest size); also gbm_<step>_<N>_stores_{s,cpu_s,read_s,peak_gb,load_average},
gbm_predict_cpu_s_per_million_pairs, gbm_predict_read_s_per_million_pairs,
gbm_train_read_s, gbm_train_rows, gbm_train_sample_pairs and, extrapolated,
gbm_predict_s_7m_pairs, gbm_train_s_7m_pairs, gbm_predict_peak_gb_7m_pairs.
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
from dataclasses import replace
from pathlib import Path

import numpy as np
from record import write_json  # bench/record.py

SKUS, SEED, HORIZON, REFERENCE_PAIRS = 2000, 1, 9, 7_000_000


def settings(sample_pairs: int, threads: int):
    from storenet.planning.gbm_demand import PlanGbmSettings

    base = PlanGbmSettings(sample_pairs=sample_pairs)
    return replace(base, model=replace(base.model, threads=threads))


def measure(folder: Path, step: str, sample_pairs: int, threads: int) -> dict:
    """One step ("train" or "forecast") on the network in `folder`; own process."""
    import polars as pl

    from storenet.planning import gbm_demand
    from storenet.planning.network import from_master

    network = from_master(folder / "master")
    history = folder / "history"
    through = (
        pl.scan_parquet(sorted(history.glob("month=*/*.parquet")))
        .select(pl.col("day").max())
        .collect()
        .item()
    )
    s = settings(sample_pairs, threads)
    path = folder / "gbm_model.json"
    # Reading the history grows with the network; the rest of training does not
    # (fixed sample): time the reads apart to extrapolate each part on its own.
    read = {"s": 0.0, "cpu_s": 0.0}
    real_read = gbm_demand.read_history

    def timed_read(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return real_read(*args, **kwargs)
        finally:
            read["s"] += time.perf_counter() - wall
            read["cpu_s"] += time.process_time() - cpu

    gbm_demand.read_history = timed_read
    load_before = os.getloadavg()[0]
    cpu_started = time.process_time()
    started = time.perf_counter()
    out: dict = {"pairs": network.n_pairs}
    if step == "train":
        model = gbm_demand.train(network, history, through, HORIZON, s)
        gbm_demand.save_model(path, model)
        out["rows"] = model.rows
        out["sample_pairs"] = model.sample_pairs
    else:
        model = gbm_demand.load_model(path)
        f = gbm_demand.forecast(network, history, through, model, np.ones(network.n_pairs), s)
        out["expected_demand"] = float(f.mean.sum())
    out["s"] = time.perf_counter() - started
    out["read_s"] = read["s"]
    out["read_cpu_s"] = read["cpu_s"]
    out["cpu_s"] = time.process_time() - cpu_started
    out["load_average"] = max(load_before, os.getloadavg()[0])
    out["peak_gb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
    return out


def line_at(xs: list[float], ys: list[float], at: float) -> tuple[float, float]:
    """(slope, value at `at`) of the least-squares line; one point: through zero."""
    if len(xs) == 1:
        return ys[0] / xs[0], ys[0] / xs[0] * at
    slope, intercept = np.polyfit(xs, ys, 1)
    return float(slope), float(slope * at + intercept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stores", type=int, nargs="+", default=[1000, 3000, 12000])
    parser.add_argument("--days", type=int, default=400, help="days of generated history")
    parser.add_argument("--sample-pairs", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=2, help="LightGBM threads")
    parser.add_argument("--json", type=Path, help="write results here")
    parser.add_argument("--work", type=Path, help="folder for generated networks (kept)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--step", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.step, args.sample_pairs, args.threads)))
        return

    from rich.console import Console
    from rich.table import Table

    from storenet.datagen.build import NetworkSpec, generate

    console = Console()
    work = args.work or Path(tempfile.mkdtemp(prefix="plan_gbm_"))
    rows = []
    for stores in args.stores:
        folder = work / f"stores_{stores}_days_{args.days}"
        if not (folder / "master" / "opening_stock.parquet").exists():
            with console.status(f"generating {stores:,} stores x {SKUS:,} SKUs x {args.days} days"):
                generate(NetworkSpec(stores=stores, skus=SKUS, days=args.days, seed=SEED), folder)
        row: dict = {"stores": stores}
        for step in ("train", "forecast"):
            with console.status(f"{step} at {stores:,} stores"):
                out = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--measure",
                        str(folder),
                        "--step",
                        step,
                        "--sample-pairs",
                        str(args.sample_pairs),
                        "--threads",
                        str(args.threads),
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                )
            row[step] = json.loads(out.stdout.strip().splitlines()[-1])
        row["pairs"] = row["forecast"]["pairs"]
        rows.append(row)

    table = Table(title="gbm demand for the plan (training weekly, forecast nightly)")
    columns = ("stores", "pairs", "step", "wall s", "CPU s", "read s", "load avg", "peak RSS GB")
    for column in columns:
        table.add_column(column, justify="right")
    for r in rows:
        for step in ("train", "forecast"):
            m = r[step]
            table.add_row(
                f"{r['stores']:,}",
                f"{r['pairs']:,}",
                step,
                f"{m['s']:.1f}",
                f"{m['cpu_s']:.1f}",
                f"{m['read_s']:.1f}",
                f"{m['load_average']:.1f}",
                f"{m['peak_gb']:.2f}",
            )
    console.print(table)

    results = []

    def add(name: str, value: float, unit: str) -> None:
        results.append({"name": name, "value": round(float(value), 3), "unit": unit})

    for r in rows:
        for step, label in (("train", "train"), ("forecast", "predict")):
            m = r[step]
            add(f"gbm_{label}_{r['stores']}_stores_s", m["s"], "s")
            add(f"gbm_{label}_{r['stores']}_stores_cpu_s", m["cpu_s"], "s")
            add(f"gbm_{label}_{r['stores']}_stores_read_s", m["read_s"], "s")
            add(f"gbm_{label}_{r['stores']}_stores_peak_gb", m["peak_gb"], "GB")
            add(f"gbm_{label}_{r['stores']}_stores_load_average", m["load_average"], "load")
    pairs = [r["pairs"] for r in rows]
    last = rows[-1]
    add("gbm_train_s", last["train"]["s"], "s")
    add("gbm_train_rows", last["train"]["rows"], "rows")
    add("gbm_train_sample_pairs", last["train"]["sample_pairs"], "pairs")
    slope, at_ref = line_at(pairs, [r["forecast"]["s"] for r in rows], REFERENCE_PAIRS)
    add("gbm_predict_s_per_million_pairs", slope * 1e6, "s")
    cpu_slope, _ = line_at(pairs, [r["forecast"]["cpu_s"] for r in rows], REFERENCE_PAIRS)
    add("gbm_predict_cpu_s_per_million_pairs", cpu_slope * 1e6, "s")
    add("gbm_predict_s_7m_pairs", at_ref, "s")
    # Training: the sample's part as measured at the largest size, plus the history
    # read scaled on pairs (the same days).
    t = last["train"]
    add("gbm_train_read_s", t["read_s"], "s")
    train_ref = t["s"] - t["read_s"] + t["read_s"] * REFERENCE_PAIRS / last["pairs"]
    add("gbm_train_s_7m_pairs", train_ref, "s")
    add(
        "gbm_predict_read_s_per_million_pairs",
        last["forecast"]["read_s"] / last["pairs"] * 1e6,
        "s",
    )
    _, peak_ref = line_at(pairs, [r["forecast"]["peak_gb"] for r in rows], REFERENCE_PAIRS)
    add("gbm_predict_peak_gb_7m_pairs", peak_ref, "GB")
    add("gbm_peak_gb", max(last["train"]["peak_gb"], last["forecast"]["peak_gb"]), "GB")
    for item in results:
        if not item["name"].split("_")[2].isdigit():
            console.print(f"{item['name']}: {item['value']:,} {item['unit']}")
    if args.json:
        write_json(
            args.json,
            "plan_gbm",
            results,
            settings={
                "days": args.days,
                "skus": SKUS,
                "sample_pairs": args.sample_pairs,
                "threads": args.threads,
                "horizon": HORIZON,
            },
        )


if __name__ == "__main__":
    main()
