"""The whole chain replayed: storenet's multi-echelon plan against decoupled min/max
at every node (issue 14).

    python bench/chain.py --json /tmp/chain.json                        # synthetic only
    python bench/chain.py --data DIR/sales_train_subset.csv.gz --calendar DIR/calendar.csv \\
        --stores CA_1,CA_2,TX_1 --json /tmp/chain.json

Chains (supplier -> central -> regional -> store; every fifth SKU supplier -> regional):

- **Real sales** (M5 wide layout, `--data`): each state's stores behind one regional
  warehouse, one central warehouse above them, one synthetic supplier per department
  (`SupplierTerms`, printed with the results: the data has no suppliers); recorded
  sales replayed as demand (the data has no stock-outs: demand on empty days is
  unknown, so fill is of recorded sales). Series with no sale in the 8 weeks before a
  window's split are left out (no policy here has a launch plan for them).
- **A synthetic network** (`storenet.datagen`, seeded, small), its true demand, its
  regional warehouses under an appended central one, one synthetic supplier per
  category on the same terms.

Never tuned on what is reported. Each data set is replayed on two disjoint windows of
days: the *tuning* window (the `--days` days before the report window) and the
*report* window (the last `--days` days). Everything chosen is chosen on the tuning
window: the min/max warehouses' safety factor and days of cover (`WAREHOUSE_GRID`:
the pair with the fewest network inventory days at the first store factor reaching
`--fill`), and the min/max stores' factor (that first setting); storenet's supplier-
order smoothing, warehouse holding costs and sole-store push (`tune_plan`: among
`chain_policies.PLAN_GRID`, the fewest network inventory days at min/max's tuning
fill + `REACH_MARGIN` among the settings whose bullwhip ratio there is below 1.5;
`--plan` gives them instead). storenet_stores runs under the
same min/max warehouses. The sweeps are fixed in advance
(`chain_policies.CHAIN_SWEEPS`). On the report window: min/max at the chosen factors
gives the store fill F; storenet's and storenet-stores' network inventory days at F
are interpolated along their frontiers (as bench/circulation.py does); storenet's
bullwhip ratio is its first sweep run filling at least F.

Results: `chain_days_reduction_vs_minmax` (1 - storenet days / min/max days at F),
`chain_days_reduction_vs_minmax_at_target_fill` (secondary: both frontiers of the
report window interpolated at exactly `--fill`; nothing is chosen from them),
`chain_store_fill` (F), `chain_bullwhip_storenet`, `chain_bullwhip_minmax`, and the
same with a `synthetic_` prefix for the synthetic network; the M5 names are the
headline (without `--data` the synthetic network's results take them). Charts: stock
by echelon over time per policy (`--out`).
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
# The min/max warehouses' (safety factor, days of cover) pairs tried on the tuning
# window: the peer gets its best warehouses, not a strawman's.
WAREHOUSE_GRID = tuple((f, c) for f in (0.5, 1.0, 2.0, 3.0) for c in (7.0, 14.0, 28.0))
BULLWHIP_GOAL = 1.5  # issue 14: storenet's bullwhip ratio below this (and below min/max's)
# storenet's plan settings are compared at min/max's tuning fill plus this (`tune_plan`).
REACH_MARGIN = 0.01
PLAN_KEYS = (
    "order_smoothing",
    "order_lag_cycles",
    "regional_holding",
    "central_holding",
    "sole_store_push",
)


def m5_input(args, window_end: int, settings, terms):  # type: ignore[no-untyped-def]
    """ChainInput of the M5 panel replaying the `settings.days` days up to column
    `window_end` (inclusive)."""
    from storenet.datasets.m5 import read_calendar
    from storenet.evaluation.models import m5_network, storenet_settings
    from storenet.planning.history import HistoryFrame
    from storenet.planning.simulate.chain_inputs import synthetic_chain
    from storenet.planning.simulate.inputs import prepare

    panel = args.panel
    panel = replace(
        panel, units=panel.units[:, : window_end + 1], days=panel.days[: window_end + 1]
    )
    split = panel.days[-1] - np.timedelta64(settings.days, "D")
    at = panel.day_index(split)
    panel = panel.take(np.flatnonzero(panel.units[:, max(0, at - 55) : at + 1].sum(axis=1) > 0))
    warm = replace(panel, units=panel.units[:, : at + 1], days=panel.days[: at + 1])
    network, pair = m5_network(warm)
    # One regional warehouse per state (the network's regions), a central above them.
    network = replace(
        network,
        warehouses=[*(f"RW-{r}" for r in network.regions), "CENTRAL"],
        store_warehouse=network.store_region.astype(np.int32),
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
    closing = np.full(network.n_pairs, -1, np.int64)
    empty = np.zeros((len(network.warehouses), network.n_skus), np.int64)
    sim = prepare(network, history, settings, split, closing, empty, None, demand_settings)
    what = f"{network.n_stores} stores, {network.n_pairs} series, {network.n_skus} SKUs"
    return synthetic_chain(sim, terms, args.chain_settings), what


def synthetic_input(args, window_end: int, settings, terms):  # type: ignore[no-untyped-def]
    """ChainInput of a small generated network, replaying the `settings.days` days
    that end `window_end` days before its history ends (0 = the last days)."""
    from storenet.datagen import NetworkSpec, generate
    from storenet.planning.simulate.chain_inputs import master_chain, synthetic_chain
    from storenet.planning.simulate.inputs import load

    folder = Path(args.work) / f"chain_{args.synthetic_stores}x{args.synthetic_skus}_{args.seed}"
    if not (folder / "master" / "stores.parquet").exists():
        generate(
            NetworkSpec(
                stores=args.synthetic_stores, skus=args.synthetic_skus, days=730, seed=args.seed
            ),
            folder,
        )
    last = pl.scan_parquet(sorted((folder / "history").glob("month=*/*.parquet")))
    last_day = np.datetime64(last.select(pl.col("day").max()).collect().item(), "D")
    split = last_day - np.timedelta64(window_end + settings.days, "D")
    # The generator's warehouse stock is the stock at the END of its history: the
    # chain opens on its own stated state instead (chain_inputs).
    sim = load(folder, settings, split=split.astype(object), warehouse=np.zeros((1, 1)))
    what = f"{args.synthetic_stores} stores x {args.synthetic_skus} SKUs, seed {args.seed}"
    if args.synthetic_suppliers == "generated":
        chain = master_chain(sim, folder / "master", args.chain_settings)
        if chain is None:
            raise SystemExit(
                f"{folder}: generated before suppliers existed; delete it to regenerate"
            )
        return chain, what + ", the generator's suppliers"
    return synthetic_chain(sim, terms, args.chain_settings), what


def replay(chain, name: str, setting: float, wh: tuple, log, label: str, plan=None):  # type: ignore[no-untyped-def]
    from storenet.planning.simulate.chain import simulate_chain
    from storenet.planning.simulate.chain_policies import make_chain_policy

    started = time.perf_counter()
    result = simulate_chain(chain, make_chain_policy(name, setting, *wh, plan=plan))
    k = result.kpis()
    smooth = (
        ""
        if plan is None
        else f", smoothing {plan.order_smoothing:g}/{plan.order_lag_cycles:g}, holding "
        f"{plan.regional_holding:g}/{plan.central_holding:g}"
        + (", sole-store push" if plan.sole_store_push else "")
    )
    log(
        f"{label} {name} {setting:g} (warehouses {wh[0]:g}, {wh[1]:g} d{smooth}): "
        f"fill {k['store_fill']:.4f}, "
        f"network days {k['network_inventory_days']:.2f}, bullwhip {k['bullwhip']:.2f}, "
        f"{k['supplier_orders']} POs ({time.perf_counter() - started:.1f} s)"
    )
    return result


def operating_point(runs: list, fill: float):  # type: ignore[no-untyped-def]
    """The first min/max run (by factor) filling at least `fill`, else the best."""
    runs = sorted(runs, key=lambda r: r.setting)
    return next((r for r in runs if r.kpis()["store_fill"] >= fill), runs[-1])


def tune(chain, args, log) -> dict:  # type: ignore[no-untyped-def]
    """Choose the min/max factors on the tuning window (see the module doc)."""
    from storenet.planning.simulate.chain_policies import CHAIN_SWEEPS

    best = None
    for wf in WAREHOUSE_GRID:
        runs = [replay(chain, "minmax", f, wf, log, "tune") for f in CHAIN_SWEEPS["minmax"]]
        point = operating_point(runs, args.fill)
        k = point.kpis()
        key = (
            k["store_fill"] < args.fill,
            k["network_inventory_days"] if k["store_fill"] >= args.fill else -k["store_fill"],
        )
        if best is None or key < best[0]:
            best = (key, wf, point.setting, k)
    _, wf, factor, k = best
    return {
        "warehouse_factor": wf[0],
        "warehouse_cover_days": wf[1],
        "store_factor": factor,
        "tuning_fill": k["store_fill"],
        "tuning_network_days": k["network_inventory_days"],
    }


def plan_settings(chosen: dict | None):  # type: ignore[no-untyped-def]
    """storenet's PlanSettings for a chosen (or given) plan entry, None = defaults."""
    from storenet.planning.cycle import PlanSettings

    if not chosen:
        return None
    return PlanSettings(
        order_smoothing=chosen["order_smoothing"],
        order_lag_cycles=chosen["order_lag_cycles"],
        regional_holding=chosen["regional_holding"],
        central_holding=chosen["central_holding"],
        sole_store_push=bool(chosen.get("sole_store_push", 0.0)),
    )


def tune_plan(chain, chosen: dict, args, log) -> dict:  # type: ignore[no-untyped-def]
    """Choose storenet's plan settings on the tuning window, by the rule fixed before
    the report run: for each (order_smoothing, order_lag_cycles, regional_holding,
    central_holding) of `PLAN_GRID`, storenet's frontier over `SMOOTHING_LEVELS`; at
    min/max's tuning fill (its chosen factors) + `REACH_MARGIN` its network inventory
    days (interpolated) and the bullwhip ratio of its leanest run filling that much.
    The margin: the report window's comparison fill (min/max's there) is not known
    when choosing, and in earlier runs it lay 1.1-1.5 points above the tuning fill; a
    setting cheap at the tuning fill whose frontier ends just above it would have no
    figure there. Chosen: the fewest days among the settings whose bullwhip is below
    `BULLWHIP_GOAL`; if none, the lowest bullwhip. A frontier that never reaches the
    fill counts as infinite days."""
    from storenet.planning.simulate.chain_policies import PLAN_GRID, SMOOTHING_LEVELS
    from storenet.planning.simulate.frontier import first_crossing

    fill = chosen["tuning_fill"] + REACH_MARGIN
    tried = []
    for values in PLAN_GRID:
        entry = dict(zip(PLAN_KEYS, values))
        plan = plan_settings(entry)
        runs = [
            replay(chain, "storenet", s, (1.0, 14.0), log, "tune", plan) for s in SMOOTHING_LEVELS
        ]
        points = [(r.kpis()["network_inventory_days"], r.kpis()["store_fill"]) for r in runs]
        days = first_crossing(points, fill)
        reach = sorted(runs, key=lambda r: r.kpis()["network_inventory_days"])
        at = next((r for r in reach if r.kpis()["store_fill"] >= fill), reach[-1])
        tried.append(
            {
                **entry,
                "days_at_tuning_fill": days if days == days else float("inf"),
                "bullwhip": at.kpis()["bullwhip"],
                "best_fill": max(p[1] for p in points),
                "frontier": [
                    {
                        "setting": r.setting,
                        "fill": p[1],
                        "network_days": p[0],
                        "bullwhip": r.kpis()["bullwhip"],
                    }
                    for r, p in zip(runs, points)
                ],
            }
        )
    below = [t for t in tried if t["bullwhip"] < BULLWHIP_GOAL]
    best = (
        min(below, key=lambda t: t["days_at_tuning_fill"])
        if below
        else min(tried, key=lambda t: t["bullwhip"])
    )
    return {
        **{k: best[k] for k in PLAN_KEYS},
        "tuning_fill": chosen["tuning_fill"],
        "evaluated_at_fill": fill,
        "tried": tried,
    }


def report(chain, chosen: dict, args, log, label: str) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    """The report window's figures at the chosen settings; also the runs to draw."""
    from storenet.planning.simulate.chain_policies import CHAIN_SWEEPS
    from storenet.planning.simulate.frontier import first_crossing

    wf = (chosen["warehouse_factor"], chosen["warehouse_cover_days"])
    # min/max's whole frontier on this window (its chosen warehouses): the headline
    # uses only the run at the chosen store factor; the frontier gives the secondary
    # figure at exactly `--fill`, where both curves are interpolated.
    sweep = [replay(chain, "minmax", f, wf, log, label) for f in CHAIN_SWEEPS["minmax"]]
    minmax = next(r for r in sweep if r.setting == chosen["store_factor"])
    mk = minmax.kpis()
    fill = mk["store_fill"]
    minmax_points = [(r.kpis()["network_inventory_days"], r.kpis()["store_fill"]) for r in sweep]
    out = {
        "store_fill": fill,
        "minmax_days": mk["network_inventory_days"],
        "minmax_bullwhip": mk["bullwhip"],
        "minmax_supplier_orders": mk["supplier_orders"],
        "minmax_store_days": mk["store_inventory_days"],
        "minmax_days_at_target_fill": first_crossing(minmax_points, args.fill),
        "minmax_frontier": [
            {
                "setting": r.setting,
                "fill": p[1],
                "network_days": p[0],
                "bullwhip": r.kpis()["bullwhip"],
            }
            for r, p in zip(sweep, minmax_points)
        ],
    }
    drawn = {"minmax": minmax}
    plan = plan_settings(chosen.get("plan"))
    for name in args.policies:
        if name == "minmax":
            continue
        runs = [
            replay(chain, name, s, wf, log, label, plan if name == "storenet" else None)
            for s in CHAIN_SWEEPS[name]
        ]
        points = [(r.kpis()["network_inventory_days"], r.kpis()["store_fill"]) for r in runs]
        days = first_crossing(points, fill)
        reach = sorted(runs, key=lambda r: r.kpis()["network_inventory_days"])
        at = next((r for r in reach if r.kpis()["store_fill"] >= fill), reach[-1])
        k = at.kpis()
        out[f"{name}_days"] = days
        out[f"{name}_days_reduction_vs_minmax"] = 1 - days / out["minmax_days"]
        at_target = first_crossing(points, args.fill)
        out[f"{name}_days_at_target_fill"] = at_target
        out[f"{name}_days_reduction_at_target_fill"] = (
            1 - at_target / out["minmax_days_at_target_fill"]
        )
        out[f"{name}_bullwhip"] = k["bullwhip"]
        out[f"{name}_supplier_orders"] = k["supplier_orders"]
        out[f"{name}_setting_at_fill"] = at.setting
        out[f"{name}_frontier"] = [
            {
                "setting": r.setting,
                "fill": p[1],
                "network_days": p[0],
                "bullwhip": r.kpis()["bullwhip"],
            }
            for r, p in zip(runs, points)
        ]
        drawn[name] = at
    return out, drawn


def finite(value):  # type: ignore[no-untyped-def]
    """`value` with every NaN (a figure that does not exist: a frontier that never
    reaches the fill) and infinity (an order_lag_cycles without bound) as None, so the
    JSON is standard."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    if isinstance(value, float) and (value != value or value in (float("inf"), -float("inf"))):
        return None
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="M5 sales (wide CSV); omit: synthetic only")
    parser.add_argument("--calendar", type=Path, default=M5 / "calendar.csv")
    parser.add_argument("--stores", default="", help="comma-separated M5 stores (default all)")
    parser.add_argument("--days", type=int, default=182, help="days per window (tune, report)")
    parser.add_argument(
        "--burn-in",
        type=int,
        default=0,
        help="days left out of the KPIs (default: the longest supplier lead time a line "
        "can draw plus a week, in whole weeks)",
    )
    parser.add_argument("--fill", type=float, default=0.97)
    parser.add_argument("--policies", default="storenet,minmax,storenet_stores")
    parser.add_argument("--synthetic-stores", type=int, default=40)
    parser.add_argument("--synthetic-skus", type=int, default=60)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument(
        "--synthetic-suppliers",
        choices=["synthetic", "generated"],
        default="synthetic",
        help="the synthetic network's suppliers: the stated SupplierTerms (default, as "
        "for M5) or the generator's own (supplier_items, lanes)",
    )
    parser.add_argument("--skip-synthetic", action="store_true")
    parser.add_argument(
        "--plan",
        default="",
        help="T/B/RH/CH[/P]: run storenet at order_smoothing T, order_lag_cycles B, "
        "regional_holding RH, central_holding CH and sole_store_push P (1 = on; default 0) "
        "(e.g. 1/inf/0.6/0.4, the order-up-to) instead of choosing them on the tuning "
        "window (PLAN_GRID)",
    )
    parser.add_argument(
        "--minmax",
        default="",
        help="WF/WC/SF: the min/max warehouses' factor and cover days and the stores' "
        "factor, as `tune` chose them on the tuning window in an earlier run (saves its "
        "108 replays; the tuning window is still replayed once at them)",
    )
    parser.add_argument("--out", type=Path, default=Path("var/bench/chain"))
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "storenet_chain")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from rich.console import Console
    from rich.table import Table

    from storenet.cli_frontier import draw_echelons
    from storenet.planning.simulate.chain_inputs import ChainSettings, SupplierTerms
    from storenet.planning.simulate.inputs import SimSettings

    console = Console(stderr=True)
    args.policies = [p.strip() for p in args.policies.split(",") if p.strip()]
    terms = SupplierTerms()
    if not args.burn_in:
        # The opening state is an assumption: leave out the days until the first
        # orders of the replay can all have arrived, plus a review week.
        longest = max(terms.lead_means) * (1 + 2 * terms.lead_sd_share)
        args.burn_in = int(np.ceil((longest + 7) / 7) * 7)
    args.chain_settings = ChainSettings(burn_in_days=args.burn_in)
    console.log(f"synthetic supplier terms: {terms.describe()}")
    plans = []
    if args.data:
        from storenet.datasets.m5 import load_panel

        stores = [s.strip() for s in args.stores.split(",") if s.strip()]
        args.panel = load_panel(args.data, args.calendar, stores=stores or None)
        last = len(args.panel.days) - 1
        plans.append(("m5", m5_input, "sales", last - args.days, last))
    if not args.skip_synthetic:
        plans.append(("synthetic", synthetic_input, "true", args.days, 0))

    results, rows, runs_doc = [], [], {}
    for label, builder, demand_source, tune_end, report_end in plans:
        settings = SimSettings(days=args.days, demand=demand_source)
        with console.status(f"{label}: warming up (tuning window)"):
            tuning, what = builder(args, tune_end, settings, terms)
        console.log(f"{label}: {what}; tuning window {tuning.sim.days[0]}..{tuning.sim.days[-1]}")
        if args.minmax:
            # Chosen earlier by `tune` on this same tuning window (deterministic): one
            # replay at those factors gives the tuning fill.
            wf, wc, sf = (float(x) for x in args.minmax.split("/"))
            k = replay(tuning, "minmax", sf, (wf, wc), console.log, "tune").kpis()
            chosen = {
                "warehouse_factor": wf,
                "warehouse_cover_days": wc,
                "store_factor": sf,
                "tuning_fill": k["store_fill"],
                "tuning_network_days": k["network_inventory_days"],
                "given": True,
            }
        else:
            chosen = tune(tuning, args, console.log)
        if args.plan:
            given = [float(x) for x in args.plan.split("/")]
            chosen["plan"] = dict(zip(PLAN_KEYS, given + [0.0] * (len(PLAN_KEYS) - len(given))))
        elif "storenet" in args.policies:
            chosen["plan"] = tune_plan(tuning, chosen, args, console.log)
        console.log(
            f"{label}: chosen on the tuning window: "
            f"{ {k: v for k, v in chosen.items() if k != 'plan'} }, storenet plan "
            + (
                "/".join(f"{chosen['plan'][k]:g}" for k in PLAN_KEYS)
                if "plan" in chosen
                else "defaults"
            )
        )
        with console.status(f"{label}: warming up (report window)"):
            reporting, _ = builder(args, report_end, settings, terms)
        console.log(f"{label}: report window {reporting.sim.days[0]}..{reporting.sim.days[-1]}")
        figures, drawn = report(reporting, chosen, args, console.log, label)
        for name, run in drawn.items():
            draw_echelons(
                run,
                args.out / f"echelons_{label}_{name}.png",
                f"Stock by echelon: {label}, {name} {run.setting:g}",
            )
        prefix = "" if label == "m5" or not args.data else "synthetic_"
        results += [
            {
                "name": f"{prefix}chain_days_reduction_vs_minmax",
                "value": round(figures.get("storenet_days_reduction_vs_minmax", float("nan")), 4),
                "unit": "fraction",
            },
            {
                "name": f"{prefix}chain_store_fill",
                "value": round(figures["store_fill"], 4),
                "unit": "fraction",
            },
            {
                "name": f"{prefix}chain_bullwhip_storenet",
                "value": round(figures.get("storenet_bullwhip", float("nan")), 3),
                "unit": "ratio",
            },
            {
                "name": f"{prefix}chain_days_reduction_vs_minmax_at_target_fill",
                "value": round(
                    figures.get("storenet_days_reduction_at_target_fill", float("nan")), 4
                ),
                "unit": "fraction",
            },
            {
                "name": f"{prefix}chain_bullwhip_minmax",
                "value": round(figures["minmax_bullwhip"], 3),
                "unit": "ratio",
            },
        ]
        rows.append((label, what, figures))
        runs_doc[label] = {
            "data": what,
            "tuning_window": f"{tuning.sim.days[0]}..{tuning.sim.days[-1]}",
            "report_window": f"{reporting.sim.days[0]}..{reporting.sim.days[-1]}",
            "burn_in_days": args.burn_in,
            "chosen_on_tuning_window": chosen,
            "report": figures,
        }

    table = Table(
        title="Network inventory days at min/max's store fill "
        f"(report window; target {args.fill:.0%})"
    )
    for column in (
        "data",
        "store fill",
        "min/max days",
        "storenet days",
        "storenet stores days",
        "vs min/max",
        "bullwhip storenet",
        "bullwhip min/max",
        "POs storenet",
        "POs min/max",
    ):
        table.add_column(column, justify="right")
    for label, what, f in rows:
        table.add_row(
            f"{label} ({what})",
            f"{f['store_fill']:.4f}",
            f"{f['minmax_days']:.2f}",
            f"{f.get('storenet_days', float('nan')):.2f}",
            f"{f.get('storenet_stores_days', float('nan')):.2f}",
            f"{f.get('storenet_days_reduction_vs_minmax', float('nan')):+.1%}",
            f"{f.get('storenet_bullwhip', float('nan')):.2f}",
            f"{f['minmax_bullwhip']:.2f}",
            str(f.get("storenet_supplier_orders", "")),
            str(f["minmax_supplier_orders"]),
        )
    Console().print(table)
    for label, doc in runs_doc.items():
        print(
            f"{label}: chosen on the tuning window {doc['tuning_window']} "
            f"{doc['chosen_on_tuning_window']}; reported on {doc['report_window']} "
            f"(first {doc['burn_in_days']} days left out of the KPIs)"
        )
    print(f"supplier terms (synthetic): {terms.describe()}")
    print(f"charts: {args.out}/echelons_*.png")
    if args.json:
        write_json(
            args.json,
            "chain",
            finite(results),
            command=" ".join(sys.argv),
            supplier_terms=terms.describe(),
            runs=finite(runs_doc),
        )


if __name__ == "__main__":
    sys.exit(main())
