"""The network overview: KPIs for a scope and window, their trend, a map and openings.

Reads the daily figures the close writes (`region_days` for whole regions, `store_days`
for a set of stores), so the cost does not grow with history or with pairs: the
network-wide page reads regions x days rows. KPIs use the one definition each of
DESIGN section 4 (storenet.planning.kpi). Scope: `regions` (None = all) for roles that
see whole regions, or `stores` for roles that see some stores (franchise owners, store
managers); exactly one of the two applies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from sqlalchemy import Connection, and_, func, select

from storenet.closing import FIGURES
from storenet.planning import kpi
from storenet.store.schema import (
    expansion_targets,
    region_days,
    regions,
    store_days,
    stores,
)

SUMS = FIGURES  # the daily figures the close writes
MAP_CELL_DEGREES = 1.0


@dataclass
class Kpis:
    """The KPIs of one scope over one window (NaN where there is nothing to measure)."""

    inventory_days: float
    fill_rate_est: float
    stockout_rate: float
    sell_through: float
    aged_units: int
    aged_share: float
    units_sold: int
    revenue_cents: int

    @classmethod
    def from_sums(cls, days: dict[str, np.ndarray]) -> Kpis:
        """KPIs from day series of the summed figures (arrays in day order); aged stock
        is the last day's."""
        sold = days["units_sold"]
        demanded = sold + days["lost_units_est"]
        on_hand = days["on_hand_units"]
        aged = int(days["aged_units"][-1]) if len(sold) else 0
        last_on_hand = float(on_hand[-1]) if len(sold) else 0.0
        return cls(
            inventory_days=kpi.inventory_days(on_hand, sold),
            fill_rate_est=kpi.fill_rate(sold, demanded),
            stockout_rate=kpi.stockout_rate(days["stockout_pairs"], days["listed_pairs"]),
            sell_through=kpi.sell_through(sold, days["received_units"]),
            aged_units=aged,
            aged_share=aged / last_on_hand if last_on_hand > 0 else float("nan"),
            units_sold=int(sold.sum()),
            revenue_cents=int(days["revenue_cents"].sum()),
        )


@dataclass
class Trend:
    """Daily KPIs of the whole scope, one entry per closed day (charts)."""

    days: list[str] = field(default_factory=list)
    inventory_days: list[float | None] = field(default_factory=list)
    fill_rate_est: list[float | None] = field(default_factory=list)
    stockout_rate: list[float | None] = field(default_factory=list)
    units_sold: list[int] = field(default_factory=list)


@dataclass
class MapCell:
    """Stores within one square of the map (MAP_CELL_DEGREES on a side)."""

    lat: float
    lon: float
    stores: int
    formats: dict[str, int]
    stockout_rate: float

    @property
    def main_format(self) -> str:
        return max(self.formats, key=lambda f: (self.formats[f], f))


@dataclass
class Overview:
    """Everything the overview page shows for one scope."""

    last_day: date | None
    window_days: int
    total: Kpis | None
    rows: list[tuple[str, str, Kpis]]  # (id, name, KPIs): per region, or per store
    rows_are: str  # "region" or "store"
    trend: Trend
    cells: list[MapCell]
    openings: list[tuple[str, int, int | None]]  # (month, opened, target)


def network_overview(
    conn: Connection,
    *,
    regions_seen: set[str] | None,
    stores_seen: set[str] | None,
    window_days: int = 28,
    trend_days: int = 90,
    months: int = 18,
) -> Overview:
    """The overview of what the caller may see: whole regions (`regions_seen`, None =
    all) when `stores_seen` is None, else those stores only. KPIs over the last
    `window_days` closed days, trend over the last `trend_days`, openings over the last
    `months` months."""
    by_store = stores_seen is not None
    table = store_days if by_store else region_days
    key = table.c.store_id if by_store else table.c.region_id
    scope = _scope(key, stores_seen if by_store else regions_seen)
    last = conn.execute(select(func.max(table.c.day)).where(*scope)).scalar()
    trend = Trend()
    total = None
    rows: list[tuple[str, str, Kpis]] = []
    if last is not None:
        first_trend = last - timedelta(days=trend_days - 1)
        first_window = last - timedelta(days=window_days - 1)
        daily = conn.execute(
            select(table.c.day, *[func.sum(table.c[s]) for s in SUMS])
            .where(table.c.day >= first_trend, *scope)
            .group_by(table.c.day)
            .order_by(table.c.day)
        ).all()
        series = {s: np.array([r[i + 1] or 0 for r in daily], float) for i, s in enumerate(SUMS)}
        in_window = np.array([r[0] >= first_window for r in daily])
        total = Kpis.from_sums({s: v[in_window] for s, v in series.items()})
        trend = _trend(daily, series)
        rows = _rows(conn, table, key, scope, first_window, by_store)
    return Overview(
        last_day=last,
        window_days=window_days,
        total=total,
        rows=rows,
        rows_are="store" if by_store else "region",
        trend=trend,
        cells=_map_cells(conn, regions_seen, stores_seen, last),
        openings=_openings(conn, regions_seen, stores_seen, last, months),
    )


def _scope(key, seen: set[str] | None) -> list:  # type: ignore[no-untyped-def]
    return [] if seen is None else [key.in_(sorted(seen))]


def _trend(daily: list, series: dict[str, np.ndarray]) -> Trend:
    def clean(x: float) -> float | None:
        return None if math.isnan(x) else round(x, 4)

    trend = Trend()
    for i, row in enumerate(daily):
        one = {s: v[i : i + 1] for s, v in series.items()}
        trend.days.append(row[0].isoformat())
        trend.inventory_days.append(
            clean(kpi.inventory_days(one["on_hand_units"], one["units_sold"]))
        )
        trend.fill_rate_est.append(
            clean(kpi.fill_rate(one["units_sold"], one["units_sold"] + one["lost_units_est"]))
        )
        trend.stockout_rate.append(
            clean(kpi.stockout_rate(one["stockout_pairs"], one["listed_pairs"]))
        )
        trend.units_sold.append(int(one["units_sold"][0]))
    return trend


def _rows(conn, table, key, scope, first_window, by_store):  # type: ignore[no-untyped-def]
    """Per region (or per store) KPIs over the window, sorted by name."""
    daily = conn.execute(
        select(key, table.c.day, *[table.c[s] for s in SUMS])
        .where(table.c.day >= first_window, *scope)
        .order_by(key, table.c.day)
    ).all()
    names_of = stores if by_store else regions
    names = (
        dict(
            conn.execute(
                select(names_of.c.id, names_of.c.name).where(
                    *_scope(names_of.c.id, {r[0] for r in daily})
                )
            ).all()
        )
        if daily
        else {}
    )
    grouped: dict[str, list] = {}
    for r in daily:
        grouped.setdefault(r[0], []).append(r)
    out = []
    for ident, group in grouped.items():
        sums = {s: np.array([g[i + 2] or 0 for g in group], float) for i, s in enumerate(SUMS)}
        out.append((ident, names.get(ident, ident), Kpis.from_sums(sums)))
    return sorted(out, key=lambda r: (r[1], r[0]))


def _stores_in_scope(q, regions_seen: set[str] | None, stores_seen: set[str] | None):  # type: ignore[no-untyped-def]
    """`q` (over `stores`) kept to the caller's stores, else their regions."""
    if stores_seen is not None:
        return q.where(stores.c.id.in_(sorted(stores_seen)))
    if regions_seen is not None:
        return q.where(stores.c.region_id.in_(sorted(regions_seen)))
    return q


def _map_cells(
    conn: Connection, regions_seen: set[str] | None, stores_seen: set[str] | None, last: date | None
) -> list[MapCell]:
    """Open stores binned into squares of MAP_CELL_DEGREES, with their formats and the
    last closed day's stock-out rate: a few hundred marks for 12,000 stores."""
    q = (
        select(
            stores.c.lat,
            stores.c.lon,
            stores.c.format,
            store_days.c.listed_pairs,
            store_days.c.stockout_pairs,
        )
        .select_from(
            stores.outerjoin(
                store_days, and_(store_days.c.store_id == stores.c.id, store_days.c.day == last)
            )
        )
        .where(stores.c.status == "open", stores.c.lat.is_not(None), stores.c.lon.is_not(None))
    )
    q = _stores_in_scope(q, regions_seen, stores_seen)
    cells: dict[tuple[int, int], dict] = {}
    for lat, lon, fmt, listed, out in conn.execute(q):
        k = (math.floor(lat / MAP_CELL_DEGREES), math.floor(lon / MAP_CELL_DEGREES))
        c = cells.setdefault(k, {"n": 0, "formats": {}, "listed": 0, "out": 0})
        c["n"] += 1
        c["formats"][fmt] = c["formats"].get(fmt, 0) + 1
        c["listed"] += listed or 0
        c["out"] += out or 0
    return [
        MapCell(
            lat=(k[0] + 0.5) * MAP_CELL_DEGREES,
            lon=(k[1] + 0.5) * MAP_CELL_DEGREES,
            stores=c["n"],
            formats=c["formats"],
            stockout_rate=kpi.stockout_rate(np.array([c["out"]]), np.array([c["listed"]])),
        )
        for k, c in sorted(cells.items())
    ]


def _openings(
    conn: Connection,
    regions_seen: set[str] | None,
    stores_seen: set[str] | None,
    last: date | None,
    months: int,
) -> list[tuple[str, int, int | None]]:
    """Stores opened per month in scope, with the brand's expansion target for the
    month (network-wide scope only: targets are set for the whole network)."""
    end = last or date.today()
    first = _month_start(end, months - 1)
    q = select(stores.c.opened_on).where(stores.c.opened_on >= first, stores.c.opened_on <= end)
    q = _stores_in_scope(q, regions_seen, stores_seen)
    opened: dict[str, int] = {}
    for (day,) in conn.execute(q):
        opened[f"{day:%Y-%m}"] = opened.get(f"{day:%Y-%m}", 0) + 1
    targets: dict[str, int] = {}
    if regions_seen is None and stores_seen is None:
        targets = {
            f"{m:%Y-%m}": n
            for m, n in conn.execute(
                select(expansion_targets.c.month, expansion_targets.c.stores).where(
                    expansion_targets.c.month >= first, expansion_targets.c.month <= end
                )
            )
        }
    out = []
    for i in range(months):
        m = f"{_month_start(end, months - 1 - i):%Y-%m}"
        out.append((m, opened.get(m, 0), targets.get(m)))
    return out


def _month_start(day: date, back: int) -> date:
    """The first day of the month `back` months before `day`'s month."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)
