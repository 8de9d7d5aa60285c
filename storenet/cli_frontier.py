"""Drawing the simulator's frontier for `storenet simulate` and the circulation bench:
a matplotlib PNG and a self-contained HTML report. Drawing is the edge's; the planning
package computes the runs (`storenet.planning.simulate`) and never imports matplotlib.
"""

from __future__ import annotations

import html as html_lib
import io
from collections.abc import Sequence
from pathlib import Path

from storenet.planning.simulate.chain import ChainResult
from storenet.planning.simulate.engine import SimResult

COLOURS = {"storenet": "#1f77b4", "minmax": "#d62728", "statsforecast": "#2ca02c"}


def draw_frontier(
    curves: dict[str, list[SimResult]],
    png: Path,
    html: Path,
    defaults: Sequence[SimResult] = (),
    title: str = "Fill rate vs inventory days",
) -> None:
    """Draw each policy's frontier (x: inventory days, y: fill rate; one point per
    setting, labelled) to `png` and to a self-contained `html` (the same figure as
    inline SVG, plus a KPI table of every run; no script, no network). The runs at
    default settings (`defaults`) are drawn as larger markers. Needs matplotlib
    (the `sim` extra); raises ImportError naming it otherwise."""
    try:
        import matplotlib
    except ImportError as error:  # pragma: no cover - depends on the install
        raise ImportError(
            "drawing the frontier needs matplotlib: pip install 'storenet[sim]'"
        ) from error
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5), dpi=110)
    for name, runs in curves.items():
        points = sorted(
            (r.kpis() for r in runs), key=lambda k: (k["inventory_days"], k["fill_rate"])
        )
        xs = [k["inventory_days"] for k in points]
        ys = [k["fill_rate"] for k in points]
        colour = COLOURS.get(name)
        ax.plot(xs, ys, marker="o", label=name, color=colour)
        for k in points:
            ax.annotate(
                f"{k['setting']:g}",
                (k["inventory_days"], k["fill_rate"]),
                textcoords="offset points",
                xytext=(4, -10),
                fontsize=7,
                color=colour,
            )
    for run in defaults:
        k = run.kpis()
        ax.scatter(
            [k["inventory_days"]],
            [k["fill_rate"]],
            s=90,
            marker="*",
            color=COLOURS.get(run.policy),
            zorder=5,
            label=f"{run.policy} (default)",
        )
    ax.set_xlabel("inventory days (average on hand / average daily sales)")
    ax.set_ylabel("fill rate (units sold / units demanded)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    Path(png).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    svg = io.StringIO()
    fig.savefig(svg, format="svg", metadata={"Date": None})  # the same run, the same bytes
    plt.close(fig)
    runs = [*defaults, *(r for rs in curves.values() for r in rs)]
    Path(html).write_text(_html(title, svg.getvalue(), [r.kpis() for r in runs]))


def _html(title: str, svg: str, rows: list[dict]) -> str:
    svg = svg[svg.index("<svg") :]  # drop the XML prolog: the SVG sits inline
    columns = (
        "policy",
        "setting",
        "fill_rate",
        "inventory_days",
        "turnover",
        "stockout_rate",
        "units_moved",
        "orders_placed",
    )

    def cell(value: object) -> str:
        if isinstance(value, float):
            return f"{value:.4g}"
        return html_lib.escape("default" if value is None else str(value))

    head = "".join(f"<th>{c.replace('_', ' ')}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(row[c])}</td>" for c in columns) + "</tr>" for row in rows
    )
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html_lib.escape(title)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}</style>"
        f"</head><body><h1>{html_lib.escape(title)}</h1>\n{svg}\n"
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        "</body></html>\n"
    )


ECHELON_COLOURS = {
    "stores": "#1f77b4",
    "regional": "#ff7f0e",
    "central": "#2ca02c",
    "in_transit": "#9467bd",
}


def draw_echelons(result: ChainResult, png: Path, title: str = "Stock by echelon") -> None:
    """Draw a chain replay's stock by echelon over time to `png`: stores, regional and
    central warehouses and in transit stacked (units held at the end of each evening),
    the supplier orders still open as a dashed line, the end of the burn-in marked.
    Needs matplotlib (the `sim` extra); raises ImportError naming it otherwise."""
    try:
        import matplotlib
    except ImportError as error:  # pragma: no cover - depends on the install
        raise ImportError("drawing needs matplotlib: pip install 'storenet[sim]'") from error
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    days = result.days.astype("datetime64[D]").astype(object)
    fig, ax = plt.subplots(figsize=(9, 5), dpi=110)
    names = list(ECHELON_COLOURS)
    ax.stackplot(
        days,
        *(result.series[n] for n in names),
        labels=[n.replace("_", " ") for n in names],
        colors=[ECHELON_COLOURS[n] for n in names],
        alpha=0.8,
    )
    ax.plot(days, result.series["on_order"], "k--", lw=1, label="on order at suppliers")
    if 0 < result.burn_in < len(days):
        ax.axvline(days[result.burn_in], color="grey", lw=1, ls=":", label="end of burn-in")
    ax.set_ylabel("units")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    Path(png).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png)
    plt.close(fig)
