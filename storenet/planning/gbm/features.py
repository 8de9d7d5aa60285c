"""The global model's feature rows: what is known at a forecast origin.

A row is (series, origin o, horizon day h): features known at o (recent means,
same-weekday means, days since the last sale, store and store x dept levels,
hierarchy codes) and of the target day o + h (weekday, month, event, SNAP day of the
series' region, relative price where known). No column after the origin is read.
"""

from __future__ import annotations

import numpy as np

from storenet.planning.gbm.panel import DayEvents, SeriesPanel

FEATURES = (
    "mean_7", "mean_28", "mean_91", "mean_364", "same_weekday_4", "same_weekday_12",
    "days_since_sale", "zero_share_28", "age", "store_mean_28", "store_dept_mean_28",
    "item_mean_28", "h", "weekday", "month", "mday", "event", "event_kind", "snap",
    "price_ratio", "store", "dept", "item",
)  # fmt: skip
CATEGORICAL = ("weekday", "event", "event_kind", "store", "dept", "item")
EXTRA_FEATURES = (
    "std_28", "max_28", "last_year", "trend_28_91", "days_to_event", "days_from_event",
)  # fmt: skip
"""Optional features (`GbmSettings.extra`), computed by `extra_features`."""


def _window_mean(csum: np.ndarray, o: int, k: int) -> np.ndarray:
    lo = max(o + 1 - k, 0)
    return (csum[:, o + 1] - csum[:, lo]) / (o + 1 - lo)


def _target_days(panel: SeriesPanel, origin: int, horizon: int) -> np.ndarray:
    cols = origin + 1 + np.arange(horizon)
    return np.datetime64(panel.first_day, "D") + cols.astype("timedelta64[D]")


def features(panel: SeriesPanel, events: DayEvents | None, origin: int, horizon: int) -> np.ndarray:
    """Feature matrix [series * horizon, len(FEATURES)] for forecasts made at column
    `origin` (inclusive) of `panel` for days origin+1..origin+horizon; rows are
    series-major (series 0, h = 1..horizon; series 1; ...). Uses no column after
    `origin`; without `events`, no day has an event or a SNAP day."""
    units = panel.units[:, : origin + 1]
    n = units.shape[0]
    csum = np.concatenate([np.zeros((n, 1)), np.cumsum(units, axis=1)], axis=1)
    store, dept, item = panel.store, panel.dept, panel.item
    mean_28 = _window_mean(csum, origin, 28)

    def group_mean(codes: np.ndarray) -> np.ndarray:
        _, dense = np.unique(codes, return_inverse=True)
        return (np.bincount(dense, mean_28) / np.bincount(dense))[dense]

    sold = units > 0
    last = np.where(sold.any(1), origin - (sold.shape[1] - 1 - np.argmax(sold[:, ::-1], 1)), 0)
    first = np.where(sold.any(1), sold.argmax(1), origin + 1)
    per_series = {
        "mean_7": _window_mean(csum, origin, 7),
        "mean_28": mean_28,
        "mean_91": _window_mean(csum, origin, 91),
        "mean_364": _window_mean(csum, origin, 364),
        "days_since_sale": np.where(sold.any(1), origin - last + 0.0, 9999.0),
        "zero_share_28": (units[:, -28:] == 0).mean(1),
        "age": (origin - first).astype(np.float64),
        "store_mean_28": group_mean(store),
        "store_dept_mean_28": group_mean(store * 100 + dept),
        "item_mean_28": group_mean(item),
        "store": store,
        "dept": dept,
        "item": item,
    }
    target_cols = origin + 1 + np.arange(horizon)
    target_days = _target_days(panel, origin, horizon)
    weekday = ((target_days.astype(np.int64) + 3) % 7).astype(np.float64)
    month = target_days.astype("datetime64[M]").astype(np.int64) % 12 + 1.0
    mday = (target_days - target_days.astype("datetime64[M]")).astype(np.int64) + 1.0
    event = np.zeros(horizon)
    kind = np.zeros(horizon)
    snap = np.zeros((n, horizon))
    if events is not None:
        codes, kinds = events.lookup(target_days)
        event, kind = codes.astype(np.float64), kinds.astype(np.float64)
        if panel.region is not None and events.snap.shape[0] > 0:
            last_day = len(events.event) - 1
            at = np.clip((target_days - events.first_day).astype(np.int64), 0, last_day)
            known = panel.region >= 0
            snap[known] = events.snap[panel.region[known]][:, at]
    # Same weekday: the last 4 / 12 weeks' values of the target's weekday, known at o.
    same4 = np.zeros((n, horizon))
    same12 = np.zeros((n, horizon))
    for j, col in enumerate(target_cols):
        back = col - 7 * np.ceil((col - origin) / 7).astype(int)  # latest same weekday <= o
        lags = back - 7 * np.arange(12)
        lags = lags[lags >= 0]
        vals = units[:, lags] if lags.size else np.zeros((n, 1))
        same4[:, j] = vals[:, :4].mean(1)
        same12[:, j] = vals.mean(1)
    price_ratio = np.full((n, horizon), np.nan)
    if panel.price is not None and panel.price.shape[1] > origin:
        known_price = panel.price[:, : origin + 1]
        window = known_price[:, -28:]
        seen = (~np.isnan(window)).sum(1)
        ref = np.where(seen > 0, np.nansum(window, 1) / np.maximum(seen, 1), np.nan)
        # Prices are set ahead (weekly), so the last known price stands for the horizon.
        price_ratio[:] = (known_price[:, -1] / ref)[:, None]
    per_day = {
        "h": np.broadcast_to(np.arange(1.0, horizon + 1), (n, horizon)),
        "weekday": np.broadcast_to(weekday, (n, horizon)),
        "month": np.broadcast_to(month, (n, horizon)),
        "mday": np.broadcast_to(mday, (n, horizon)),
        "event": np.broadcast_to(event, (n, horizon)),
        "event_kind": np.broadcast_to(kind, (n, horizon)),
        "snap": snap,
        "same_weekday_4": same4,
        "same_weekday_12": same12,
        "price_ratio": price_ratio,
    }
    out = np.empty((n * horizon, len(FEATURES)))
    for k, name in enumerate(FEATURES):
        if name in per_series:
            out[:, k] = np.repeat(per_series[name], horizon)
        else:
            out[:, k] = np.asarray(per_day[name]).reshape(-1)
    return out


def extra_features(
    panel: SeriesPanel,
    events: DayEvents | None,
    origin: int,
    horizon: int,
    names: tuple[str, ...],
) -> np.ndarray:
    """Columns of EXTRA_FEATURES `names` [series * horizon, len(names)], rows as in
    `features`; uses no column of `panel` after `origin` (event days are known ahead).

    `std_28`, `max_28`: of the last 28 days; `last_year`: mean of the target's
    weekday a year before (days target - 371, - 364, - 357; NaN before the data);
    `trend_28_91`: mean_28 / mean_91 (NaN when mean_91 = 0); `days_to_event`,
    `days_from_event`: days from the target day to the next / since the last named
    event (capped at 60). Raises ValueError naming an unknown feature."""
    units = panel.units[:, : origin + 1]
    n = units.shape[0]
    last28 = units[:, -28:]
    target_cols = origin + 1 + np.arange(horizon)
    out = np.empty((n * horizon, len(names)))
    for k, name in enumerate(names):
        if name == "std_28":
            col = np.repeat(last28.std(1), horizon)
        elif name == "max_28":
            col = np.repeat(last28.max(1), horizon)
        elif name == "trend_28_91":
            m28 = last28.mean(1)
            m91 = units[:, -91:].mean(1)
            with np.errstate(invalid="ignore", divide="ignore"):
                col = np.repeat(np.where(m91 > 0, m28 / np.where(m91 > 0, m91, 1), np.nan), horizon)
        elif name == "last_year":
            vals = np.full((n, horizon), np.nan)
            for j, c in enumerate(target_cols):
                lags = c - 364 + np.array([-7, 0, 7])
                lags = lags[(lags >= 0) & (lags <= origin)]
                if lags.size:
                    vals[:, j] = units[:, lags].mean(1)
            col = vals.reshape(-1)
        elif name in ("days_to_event", "days_from_event"):
            per_day = np.full(horizon, 60.0)
            if events is not None:
                target_days = _target_days(panel, origin, horizon)
                at = (target_days - events.first_day).astype(np.int64)
                ev = events.named_days()
                for j, a in enumerate(at):
                    if name == "days_to_event":
                        nxt = ev[ev >= a]
                        per_day[j] = min(nxt[0] - a, 60) if nxt.size else 60
                    else:
                        prv = ev[ev <= a]
                        per_day[j] = min(a - prv[-1], 60) if prv.size else 60
            col = np.broadcast_to(per_day, (n, horizon)).reshape(-1)
        else:
            raise ValueError(f"unknown extra feature {name!r}; known: {EXTRA_FEATURES}")
        out[:, k] = col
    return out
