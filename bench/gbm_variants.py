"""The gbm's variants on the M5 selection set only (issue 17 item 2, 2026-12-08).

    OMP_WAIT_POLICY=PASSIVE PYTHONPATH=. .venv/bin/python bench/gbm_variants.py \
        --cutoffs 0,1,2,3 --boosters B0,B1,B2 --out /tmp/gbm_variants.jsonl

Trains, per selection cut-off (indices into the protocol's selection cut-offs; the
report set is never computed), up to three boosters on the same rows, mirroring
`storenet.planning.gbm.model.fit_predict`'s default path: B0 the current features, B1
stacked (storenet's replayed mean for the row's target day as a feature), B2 offset
(storenet's log mean as init score). Each booster's mean is scored at every blend
share, with the level correction at store or store x dept, and with two per-horizon
share schedules, the dispersion refitted for each, by the bench's `backtest.score`.
One JSON row per (cut-off, variant, level) is appended to --out; docs/accuracy.md
("The gbm against storenet's level") has the rule and the results.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from storenet.datasets import m5
from storenet.evaluation import backtest, metrics, protocol
from storenet.evaluation import gbm as adapter
from storenet.evaluation.forecast import Forecast
from storenet.evaluation.gaps import fill_unknown
from storenet.evaluation.metrics import M5_QUANTILES
from storenet.planning.gbm.features import CATEGORICAL, FEATURES, features
from storenet.planning.gbm.model import nb_from_latest_origin
from storenet.planning.gbm.settings import GbmSettings, booster_params

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "m5" / "sales_train_subset.csv.gz"
CAL = ROOT.parent / "shared" / "data" / "m5" / "calendar.csv"
SHARES = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)


def level_correct(g: np.ndarray, target: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """g [series, h] scaled per group and day so each group's sum equals target's."""
    # As run on 2026-12-08 (the model's own option was removed after: it failed its rule).
    _, dense = np.unique(groups, return_inverse=True)
    k = dense.max() + 1
    out = np.empty_like(g)
    for j in range(g.shape[1]):
        sg = np.bincount(dense, g[:, j], k)
        st = np.bincount(dense, target[:, j], k)
        out[:, j] = g[:, j] * (st / np.maximum(sg, 1e-12))[dense]
    return out


def all_variants(history, calendar, horizon, boosters):
    import lightgbm as lgb

    t0 = time.perf_counter()
    history = fill_unknown(history)
    panel = adapter.series_panel(history, calendar)
    events = adapter.day_events(calendar)
    replay = adapter.storenet_replay(history, calendar)
    s = GbmSettings()
    t = panel.units.shape[1]
    n = panel.n_series
    last_origin = t - 1 - horizon
    origins = [o for o in (last_origin - 7 * k for k in range(s.origins)) if o >= 56]
    wanted = sorted({*origins, last_origin, t - 1})
    sn = replay.means(panel.units, panel.first_day, wanted, horizon)
    t_sn = time.perf_counter() - t0
    keep = [k for k, name in enumerate(FEATURES) if name not in s.drop]
    names0 = [FEATURES[k] for k in keep]
    base = {o: features(panel, events, o, horizon)[:, keep] for o in wanted}
    y = np.concatenate([panel.units[:, o + 1 : o + 1 + horizon].reshape(-1) for o in origins])
    print(f"  replay {t_sn:.0f}s, features {time.perf_counter() - t0 - t_sn:.0f}s", flush=True)
    g = {}  # booster -> (g_hold, g_final)
    for b in boosters:
        t1 = time.perf_counter()
        stack, offset = b == "B1", b == "B2"
        names = names0 + (["storenet_mean"] if stack else [])

        def feats(o, stack=stack):
            x = base[o]
            return np.column_stack([x, sn[o].reshape(-1)]) if stack else x

        x = np.vstack([feats(o) for o in origins])
        init = None
        if offset:
            init = np.concatenate([np.log(np.maximum(sn[o].reshape(-1), 1e-3)) for o in origins])
        data = lgb.Dataset(
            x, y, init_score=init, feature_name=names,
            categorical_feature=[c for c in CATEGORICAL if c in names], free_raw_data=True,
        )  # fmt: skip
        booster = lgb.train(booster_params(s, "tweedie", s.seed), data, num_boost_round=s.rounds)
        del x, data

        def mean(o, booster=booster, feats=feats, offset=offset):
            raw = booster.predict(feats(o), raw_score=True)
            m = np.exp(raw)
            if offset:
                m = m * np.maximum(sn[o].reshape(-1), 1e-3)
            return np.maximum(m, 1e-6).reshape(n, horizon)

        g[b] = (mean(last_origin), mean(t - 1))
        print(f"  {b} trained {time.perf_counter() - t1:.0f}s", flush=True)
    snh, snf = np.maximum(sn[last_origin], 1e-6), np.maximum(sn[t - 1], 1e-6)
    store = panel.store
    sdept = panel.store * 1000 + panel.dept
    hh = np.arange(horizon) / (horizon - 1)
    out = {}
    for b, (gh, gf) in g.items():
        posts = {
            "": (gh, gf),
            "LCs": (level_correct(gh, snh, store), level_correct(gf, snf, store)),
            "LCsd": (level_correct(gh, snh, sdept), level_correct(gf, snf, sdept)),
        }
        for post, (ph, pf) in posts.items():
            for w in SHARES:
                mh, mf = (1 - w) * ph + w * snh, (1 - w) * pf + w * snf
                out[f"{b}{'_' + post if post else ''}_w{w:.1f}"] = (mh, mf)
        for label, (a, z) in {"up": (0.3, 0.7), "down": (0.7, 0.3)}.items():
            w = a + (z - a) * hh
            out[f"{b}_sched_{label}"] = ((1 - w) * gh + w * snh, (1 - w) * gf + w * snf)
    forecasts = {}
    for name, (mh, mf) in out.items():
        f = nb_from_latest_origin(panel, last_origin, mh, mf, s.bands)
        forecasts[name] = Forecast(
            name, f.mean, f.day_quantiles(M5_QUANTILES), f.week_quantile(0.9),
            f.week_quantile(0.95), 0.0,
        )  # fmt: skip
    print(f"  all variants {time.perf_counter() - t0:.0f}s", flush=True)
    return forecasts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cutoffs", default="0,1,2,3", help="indices into the selection cut-offs")
    ap.add_argument("--boosters", default="B0,B1,B2")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    panel = m5.load_panel(DATA, CAL, None, None)
    calendar = m5.read_calendar(CAL)
    split = protocol.split_for(
        "m5", panel.series["store"].unique().to_list(), panel.days, ["gbm"], 28, 365, 8, None
    )
    sel = split.selection
    print("selection stores", sel.stores, "cutoffs", [str(c) for c in sel.cutoffs], flush=True)
    rows = np.flatnonzero(panel.series["store"].is_in(list(sel.stores)).to_numpy())
    panel = panel.take(rows)
    horizon = 28
    for i in [int(k) for k in args.cutoffs.split(",")]:
        cutoff = sel.cutoffs[i]
        print(f"cut-off {cutoff} ({time.strftime('%H:%M:%S')})", flush=True)
        c = panel.day_index(cutoff)
        history = backtest.cut(panel, cutoff)
        weights = metrics.sales_weights(history.units, None)
        origin = backtest.Origin(
            cutoff=panel.days[c], history=history,
            actual=panel.units[:, c + 1 : c + 1 + horizon].copy(), weights=weights,
        )  # fmt: skip
        fc = all_variants(history, calendar, horizon, args.boosters.split(","))
        with open(args.out, "a") as fh:
            for f in fc.values():
                for r in backtest.score(origin, f):
                    fh.write(json.dumps(r) + "\n")
        print(f"  scored ({time.strftime('%H:%M:%S')})", flush=True)


if __name__ == "__main__":
    main()
