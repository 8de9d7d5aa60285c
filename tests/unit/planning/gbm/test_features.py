"""The global model's features from plain arrays: nothing after the origin is read,
SNAP and event days follow the series' region and the calendar."""

import numpy as np

from storenet.planning.gbm.features import EXTRA_FEATURES, FEATURES, extra_features, features
from storenet.planning.gbm.panel import DayEvents, SeriesPanel

FIRST = np.datetime64("2025-01-01")


def panel(days: int = 200, seed: int = 0) -> SeriesPanel:
    """4 series in 2 stores x 2 departments; regions 0, 1, -1 (no SNAP known), 0."""
    rng = np.random.default_rng(seed)
    units = rng.poisson([[3.0], [1.0], [0.5], [2.0]], size=(4, days)).astype(float)
    return SeriesPanel(
        units=units,
        first_day=FIRST,
        store=np.array([0.0, 0.0, 1.0, 1.0]),
        dept=np.array([0.0, 1.0, 0.0, 1.0]),
        item=np.array([0.0, 1.0, 0.0, 1.0]),
        region=np.array([0, 1, -1, 0]),
    )


def events(days: int = 260) -> DayEvents:
    """Code 0 = no event, 1 = a feast every 30 days; region 0's SNAP days are the
    1st-10th of each month, region 1 has none."""
    grid = FIRST + np.arange(days)
    event = np.zeros(days, np.int64)
    event[::30] = 1
    dom = (grid - grid.astype("datetime64[M]")).astype(int) + 1
    snap = np.stack([dom <= 10, np.zeros(days, bool)])
    return DayEvents(FIRST, event, event.copy(), 0, 0, snap)


def test_features_of_an_origin_ignore_every_later_day():
    p = panel()
    later = SeriesPanel(p.units.copy(), p.first_day, p.store, p.dept, p.item, p.region, p.price)
    later.units[:, 121:] += 5
    x = features(p, events(), 120, 28)
    assert x.shape == (4 * 28, len(FEATURES))
    np.testing.assert_array_equal(x, features(later, events(), 120, 28))
    np.testing.assert_array_equal(
        extra_features(p, events(), 120, 28, EXTRA_FEATURES),
        extra_features(later, events(), 120, 28, EXTRA_FEATURES),
    )


def test_snap_and_event_days_follow_the_region_and_the_calendar():
    x = features(panel(), events(), 120, 28).reshape(4, 28, len(FEATURES))
    snap, event = x[:, :, FEATURES.index("snap")], x[:, :, FEATURES.index("event")]
    target = FIRST + 121 + np.arange(28)
    dom = (target - target.astype("datetime64[M]")).astype(int) + 1
    assert np.array_equal(snap[0], (dom <= 10).astype(float))
    assert np.array_equal(snap[3], snap[0])  # the same region
    assert not snap[1].any() and not snap[2].any()  # no SNAP days; no region known
    assert np.array_equal(event[0], ((121 + np.arange(28)) % 30 == 0).astype(float))
    # Without events, no day is an event or a SNAP day.
    bare = features(panel(), None, 120, 28).reshape(4, 28, len(FEATURES))
    assert not bare[:, :, FEATURES.index("snap")].any()
    assert not bare[:, :, FEATURES.index("event")].any()
