"""A backtest as a report: a score table, charts (PNG) and one self-contained HTML page.

`write_report(result, folder)` writes `scores.csv` (every cut-off x model x level),
`summary.json` (means over cut-offs), `scores.png` (WRMSSE by model and level),
`series.png` (forecast vs actual for chosen series), `calibration.png` (share of
days at or below each forecast quantile against its level) and `report.html`,
which embeds the PNGs as data URIs: no network needed to open it.
"""

from __future__ import annotations

import base64
import csv
import html
import json
from pathlib import Path

import numpy as np

from storenet.evaluation import metrics, protocol
from storenet.evaluation.backtest import BacktestResult

LEVELS = ("total", "state", "store", "category", "dept", "store_x_dept", "store_x_item")


def summary(result: BacktestResult) -> list[dict]:
    """One row per model: scores averaged over cut-offs, and the summed fit time."""
    models = list(dict.fromkeys(r["model"] for r in result.rows))
    levels = [lv for lv in LEVELS if any(r["level"] == lv for r in result.rows)]
    out = []
    for model in models:
        row: dict = {"model": model}
        for level in levels:
            row[f"wrmsse_{level}"] = result.mean_score(model, level)
        for metric in ("wrmsse_official_weights", "spl", "coverage90", "coverage95"):
            row[metric] = result.mean_score(model, "store_x_item", metric)
        row["seconds"] = result.seconds(model)
        out.append(row)
    return out


def calibration(result: BacktestResult, model: str) -> np.ndarray | None:
    """Share of scored (series, day) actuals at or below each of the model's M5
    quantiles, pooled over cut-offs ([9]), or None without quantiles."""
    hits, count = np.zeros(len(metrics.M5_QUANTILES)), 0
    for origin in result.origins:
        f = origin.forecasts.get(model)
        if f is None or f.quantiles is None:
            return None
        scored = np.isfinite(metrics.naive_scale(origin.history.units))
        hits += (origin.actual[scored][None] <= f.quantiles[:, scored]).sum(axis=(1, 2))
        count += origin.actual[scored].size
    return hits / max(count, 1)


def _plots(result: BacktestResult, folder: Path, series: list[str] | None) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = summary(result)
    levels = [lv for lv in LEVELS if f"wrmsse_{lv}" in rows[0]]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(rows)
    for k, row in enumerate(rows):
        values = [row[f"wrmsse_{lv}"] for lv in levels]
        ax.bar(np.arange(len(levels)) + k * width, values, width, label=row["model"])
    ax.set_xticks(np.arange(len(levels)) + 0.4 - width / 2, levels)
    ax.set_ylabel("WRMSSE (mean over cut-offs)")
    ax.set_title("Score by model and level (lower is better)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    scores = folder / "scores.png"
    fig.savefig(scores, dpi=110)
    plt.close(fig)

    origin = result.origins[-1]
    ids = origin.history.series["id"].to_list()
    if series:
        chosen = [ids.index(s) for s in series if s in ids]
    else:
        chosen = list(np.argsort(-origin.weights)[:4])
    fig, axes = plt.subplots(len(chosen), 1, figsize=(10, 2.6 * len(chosen)), squeeze=False)
    h = origin.actual.shape[1]
    for ax, i in zip(axes[:, 0], chosen):
        past = origin.history.units[i, -56:]
        ax.plot(np.arange(-len(past) + 1, 1), past, color="0.5", lw=1, label="history")
        ax.plot(np.arange(1, h + 1), origin.actual[i], color="black", lw=1.5, label="actual")
        for name, f in origin.forecasts.items():
            ax.plot(np.arange(1, h + 1), f.mean[i], lw=1, label=name)
        f = origin.forecasts.get("storenet")
        if f is not None and f.quantiles is not None:
            ax.fill_between(
                np.arange(1, h + 1), f.quantiles[1, i], f.quantiles[7, i], alpha=0.15,
                label="storenet 2.5-97.5%",
            )  # fmt: skip
        ax.set_title(f"{ids[i]} (cut-off {origin.cutoff})", fontsize=9)
    axes[0, 0].legend(fontsize=7, ncol=4)
    fig.tight_layout()
    charts = folder / "series.png"
    fig.savefig(charts, dpi=100)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1)
    for row in rows:
        cal = calibration(result, row["model"])
        if cal is not None:
            ax.plot(metrics.M5_QUANTILES, cal, marker="o", label=row["model"])
    ax.set_xlabel("quantile level")
    ax.set_ylabel("share of days at or below the quantile")
    ax.set_title("Calibration (daily, level 12)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    calib = folder / "calibration.png"
    fig.savefig(calib, dpi=110)
    plt.close(fig)
    return [scores, charts, calib]


def write_report(
    result: BacktestResult, folder: Path, series: list[str] | None = None, title: str = ""
) -> list[Path]:
    """Write the report files into `folder` (created); returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = summary(result)
    table = folder / "scores.csv"
    with table.open("w", newline="") as fh:
        keys = list(dict.fromkeys(k for r in result.rows for k in r))
        writer = csv.DictWriter(fh, fieldnames=keys)
        writer.writeheader()
        writer.writerows(result.rows)
    (folder / "summary.json").write_text(json.dumps(rows, indent=2) + "\n")
    images = _plots(result, folder, series)
    head = list(rows[0])
    cells = "".join(f"<th>{html.escape(k)}</th>" for k in head)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(r[k])}</td>" for k in head) + "</tr>" for r in rows)
    figures = "".join(
        f'<figure><img alt="{p.stem}" src="data:image/png;base64,'
        f'{base64.b64encode(p.read_bytes()).decode()}"></figure>'
        for p in images
    )
    cutoffs = ", ".join(str(o.cutoff) for o in result.origins)
    page = folder / "report.html"
    page.write_text(
        "<!doctype html><meta charset=utf-8><title>storenet evaluate</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}img{max-width:100%}"
        "</style>"
        f"<h1>Forecast accuracy {html.escape(title)}</h1><p>cut-offs: {cutoffs}; "
        "scores are means over cut-offs; wrmsse_store_x_item is level 12; spl is the "
        "level-12 weighted scaled pinball loss; coverage is of 7-day demand.</p>"
        f"<table><tr>{cells}</tr>{body}</table>{figures}"
    )
    return [table, folder / "summary.json", *images, page]


def write_split(folder: Path, split: protocol.Split, flagged: dict[str, list[str]]) -> Path:
    """Write `split.json` into `folder`: which stores and cut-offs each set holds, the
    tuning records the report was checked against, and any flagged report cells (a
    figure from such a cell is not a clean report figure). Returns its path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "dataset": split.dataset,
        "horizon": split.horizon,
        **{
            part.name: {"stores": list(part.stores), "cutoffs": [str(c) for c in part.cutoffs]}
            for part in (split.selection, split.report)
        },
        "tuned_on": {
            model: {
                "dataset": c.dataset,
                "stores": list(c.stores) or "all",
                "cutoffs": list(c.cutoffs),
                "horizon": c.horizon,
                "note": c.note,
            }
            for model, c in protocol.CHOSEN_ON.items()
        },  # fmt: skip
        "flagged_report_cells": flagged,
    }
    path = folder / "split.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return "" if np.isnan(value) else f"{value:.4f}"
    return html.escape(str(value))
