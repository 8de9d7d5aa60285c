"""storenet variants on the protocol's selection sets only (issue 17, SPL work).

    PYTHONPATH=. .venv/bin/python bench/storenet_variants.py \
        --variants 'defaults;delta=0.97,kappa=2.5' --json /tmp/variants.json

Each variant is a list of DemandSettings overrides (`name=value`, comma-separated;
`defaults` = none). Both datasets (M5 with its calendar, the store-item data) are cut
by `protocol.split_for` exactly as `bench/accuracy.py --protocol` cuts them, and only
the selection part is run: the report part is never computed here. Prints, per
dataset and variant, L12 WRMSSE, L12 SPL, 90% / 95% coverage of 7-day demand, the
seconds, and the daily calibration of the nine quantiles (share of known days at or
below each, and strictly below each, weighted as SPL weighs series), plus the
selection score of the rule in docs/accuracy.md (mean SPL relative to the first
variant). Variants differing only in FORECAST_ONLY settings share one fit per
cut-off, so their seconds are the forecast's alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATA = ROOT.parent.parent / "shared" / "data"
DATASETS = {
    "m5": (DATA / "m5" / "sales_train_subset.csv.gz", DATA / "m5" / "calendar.csv"),
    "store_item": (DATA / "store_item_demand" / "train.csv.gz", None),
}


def parse_variant(text: str) -> dict[str, float]:
    """'delta=0.97,kappa=2.5' -> {'delta': 0.97, 'kappa': 2.5}; 'defaults' -> {}."""
    out: dict[str, float] = {}
    for item in text.split(","):
        item = item.strip()
        if not item or item == "defaults":
            continue
        key, value = item.split("=")
        out[key.strip()] = float(value)
    return out


FORECAST_ONLY = ("rate_drift",)
"""Settings that change only the predictive distribution, not what the state learns:
variants that differ only in these share one fit per cut-off."""


def variant_model(overrides: dict[str, float], cache: dict):
    """A backtest model for storenet with `overrides`, sharing fits through `cache`."""
    from dataclasses import replace

    from storenet.evaluation.forecast import Forecast
    from storenet.evaluation.models import WARMUP_DAYS, fit_storenet, forecast_storenet

    fit_over = {k: v for k, v in overrides.items() if k not in FORECAST_ONLY}
    at_forecast = {k: v for k, v in overrides.items() if k in FORECAST_ONLY}

    def run(history, calendar, horizon):
        started = time.perf_counter()
        key = (str(history.days[-1]), history.n_series, tuple(sorted(fit_over.items())))
        if not any(k[:2] == key[:2] for k in cache):
            cache.clear()  # a new cut-off: the old fits are done with
        if key not in cache:
            cache[key] = fit_storenet(history, calendar, WARMUP_DAYS, **fit_over)
        network, pair, state = cache[key]
        settings = replace(state.settings, **at_forecast)
        view = replace(state, settings=settings)
        _, _, mean, q, w90, w95 = forecast_storenet(network, pair, view, horizon)
        return Forecast("storenet", mean, q, w90, w95, time.perf_counter() - started)

    return run


def calibration(result, model: str) -> list[float]:
    """Share of known (series, day) at or below each daily quantile, series weighted
    by their level-12 weights (the SPL's), averaged over cut-offs."""
    from storenet.evaluation import metrics

    shares = []
    for origin in result.origins:
        f = origin.forecasts[model]
        if f.quantiles is None:
            return []
        known = np.isfinite(origin.actual)
        ok = np.isfinite(metrics.naive_scale(origin.history.units, 1))
        w = metrics.normalise(origin.weights, ok)
        row = []
        for below in (origin.actual[None] <= f.quantiles, origin.actual[None] < f.quantiles):
            per_series = (below & known[None]).sum(2) / np.maximum(known.sum(1), 1)[None]
            row.append((per_series * w[None]).sum(1))
        shares.append(np.concatenate(row))
    return list(np.mean(shares, axis=0))


def main() -> None:
    from storenet.datasets import m5
    from storenet.evaluation import backtest, protocol, report

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="defaults", help="';'-separated")
    parser.add_argument("--datasets", default="m5,store_item")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    variants = [v.strip() for v in args.variants.split(";") if v.strip()]
    records = []
    for dataset in args.datasets.split(","):
        data, cal = DATASETS[dataset]
        panel = m5.load_panel(data, cal, None, None)
        events = m5.read_calendar(cal) if cal else None
        name = m5.dataset_name(data)
        split = protocol.split_for(
            name, panel.series["store"].unique().to_list(), panel.days, ["storenet"]
        )
        cache: dict = {}
        models = {v: variant_model(parse_variant(v), cache) for v in variants}
        started = time.strftime("%H:%M:%S")
        run = backtest.run_protocol(panel, models, split, events, sets=("selection",))
        result = run.parts["selection"]
        rows = {r["model"]: r for r in report.summary(result)}
        print(f"\n== {dataset} selection ({started}-{time.strftime('%H:%M:%S')}) ==")
        for v in variants:
            r = rows[v]
            cal_v = calibration(result, v)
            rec = {
                "dataset": dataset,
                "variant": v,
                "l12": r["wrmsse_store_x_item"],
                "spl": r["spl"],
                "cov90": r["coverage90"],
                "cov95": r["coverage95"],
                "seconds": r["seconds"],
                "calibration": cal_v,
                "levels": {k: r[f"wrmsse_{k}"] for k in ("store", "total")},
            }
            records.append(rec)
            print(
                f"  {v:<40} L12 {rec['l12']:.4f} SPL {rec['spl']:.4f} "
                f"cov90 {rec['cov90']:.3f} cov95 {rec['cov95']:.3f} {rec['seconds']:.0f}s"
            )
            print("      <=q " + " ".join(f"{c:.3f}" for c in cal_v[:9]))
            print("      < q " + " ".join(f"{c:.3f}" for c in cal_v[9:]))
    base = {r["dataset"]: r for r in records if r["variant"] == variants[0]}
    print("\nscore (mean SPL relative to the first variant), eligibility:")
    for v in variants:
        mine = [r for r in records if r["variant"] == v]
        score = np.mean([r["spl"] / base[r["dataset"]]["spl"] for r in mine])
        ok = all(
            0.93 <= r["cov95"] <= 0.97 and r["l12"] <= base[r["dataset"]]["l12"] * 1.005
            for r in mine
        )
        print(f"  {v:<40} {score:.4f} {'eligible' if ok else 'NOT eligible'}")
    if args.json:
        args.json.write_text(json.dumps(records, indent=1))


if __name__ == "__main__":
    main()
