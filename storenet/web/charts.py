"""Chart.js configurations for the console's charts, built from service results.

Every chart is aggregated before it reaches the browser (days, regions, map squares),
so it stays light at 12,000 stores. Series differ by dash and marker shape as well as
colour, so colour is never the only carrier of meaning.
"""

from __future__ import annotations

import math

from storenet.reports.overview import MapCell, Trend

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442"]
FORMAT_STYLE = {
    "flagship": (PALETTE[0], "rectRot"),
    "direct": (PALETTE[1], "triangle"),
    "franchise": (PALETTE[2], "circle"),
}


def line_chart(
    labels: list[str],
    series: list[tuple[str, list, str]],
    *,
    y_title: str,
    y2: tuple[str, list] | None = None,
    percent: bool = False,
) -> dict:
    """A line chart over `labels`: each series (name, values, axis id "y"/"y2")."""
    datasets = []
    for i, (name, values, axis) in enumerate(series):
        datasets.append(
            {
                "label": name,
                "data": values,
                "yAxisID": axis,
                "borderColor": PALETTE[i % len(PALETTE)],
                "backgroundColor": PALETTE[i % len(PALETTE)],
                "borderDash": [] if i == 0 else [6, 3 * i],
                "pointStyle": ["circle", "rect", "triangle", "rectRot"][i % 4],
                "pointRadius": 2 if len(labels) > 40 else 3,
                "spanGaps": True,
            }
        )
    scales: dict = {
        "x": {"ticks": {"maxTicksLimit": 12}},
        "y": {"title": {"display": True, "text": y_title}, "beginAtZero": True},
    }
    if percent:
        scales["y"]["ticks"] = {"format": {"style": "percent"}}
    if y2 is not None:
        scales["y2"] = {
            "position": "right",
            "title": {"display": True, "text": y2[0]},
            "grid": {"drawOnChartArea": False},
            "beginAtZero": True,
            "ticks": {"format": {"style": "percent"}} if y2[1] == "percent" else {},
        }
    return {
        "type": "line",
        "data": {"labels": labels, "datasets": datasets},
        "options": {
            "animation": False,
            "maintainAspectRatio": False,
            "scales": scales,
            "plugins": {"legend": {"labels": {"usePointStyle": True}}},
        },
    }


def trend_chart(trend: Trend) -> dict:
    """Inventory days (left axis) with fill rate and stock-out rate (right, %)."""
    return line_chart(
        trend.days,
        [
            ("Inventory days", trend.inventory_days, "y"),
            ("Fill rate (estimated)", trend.fill_rate_est, "y2"),
            ("Stock-out rate", trend.stockout_rate, "y2"),
        ],
        y_title="days of cover",
        y2=("share", "percent"),
    )


def map_chart(cells: list[MapCell], colour: str) -> dict:
    """Stores on a longitude/latitude plane, one bubble per map square (area ~ stores).
    `colour` "format": one series per main format, each with its own marker shape;
    "stockout": one series per stock-out band, marker shape and label name the band."""
    groups: dict[str, dict] = {}

    def add(name: str, colour_hex: str, shape: str, cell: MapCell) -> None:
        g = groups.setdefault(
            name,
            {
                "label": name,
                "data": [],
                "backgroundColor": colour_hex + "b0",
                "borderColor": colour_hex,
                "pointStyle": shape,
            },
        )
        g["data"].append(
            {
                "x": round(cell.lon, 2),
                "y": round(cell.lat, 2),
                "r": round(3 + 2.5 * math.sqrt(cell.stores), 1),
                "stores": cell.stores,
                "stockout": None if math.isnan(cell.stockout_rate) else cell.stockout_rate,
            }
        )

    bands = [
        (0.02, "stock-outs under 2%", PALETTE[2], "circle"),
        (0.05, "stock-outs 2-5%", PALETTE[1], "triangle"),
        (math.inf, "stock-outs 5% or more", PALETTE[5], "rectRot"),
    ]
    for cell in cells:
        if colour == "stockout":
            rate = 0.0 if math.isnan(cell.stockout_rate) else cell.stockout_rate
            _, name, hex_, shape = next(b for b in bands if rate < b[0])
            add(name, hex_, shape, cell)
        else:
            hex_, shape = FORMAT_STYLE.get(cell.main_format, (PALETTE[3], "star"))
            add(f"mostly {cell.main_format}", hex_, shape, cell)
    return {
        "type": "bubble",
        "data": {"datasets": list(groups.values())},
        "options": {
            "animation": False,
            "maintainAspectRatio": False,
            "scales": {
                "x": {"title": {"display": True, "text": "longitude"}},
                "y": {"title": {"display": True, "text": "latitude"}},
            },
            "plugins": {
                "tooltip": {"storenet": "map"},
                "legend": {"labels": {"usePointStyle": True}},
            },
        },
    }


def openings_chart(openings: list[tuple[str, int, int | None]]) -> dict:
    """Stores opened per month (bars) against the expansion target (a dashed line)."""
    labels = [m for m, _, _ in openings]
    datasets: list[dict] = [
        {
            "type": "bar",
            "label": "Stores opened",
            "data": [n for _, n, _ in openings],
            "backgroundColor": PALETTE[0],
        }
    ]
    if any(t is not None for _, _, t in openings):
        datasets.append(
            {
                "type": "line",
                "label": "Expansion target",
                "data": [t for _, _, t in openings],
                "borderColor": PALETTE[5],
                "backgroundColor": PALETTE[5],
                "borderDash": [6, 4],
                "pointStyle": "rect",
            }
        )
    return {
        "type": "bar",
        "data": {"labels": labels, "datasets": datasets},
        "options": {
            "animation": False,
            "maintainAspectRatio": False,
            "scales": {"y": {"beginAtZero": True, "title": {"display": True, "text": "stores"}}},
        },
    }
