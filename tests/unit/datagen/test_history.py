"""The history shows what the model puts in, measured with significance margins.

Calendar effects are measured on daily demand (the history's `demand` column: sales are
censored by stock-outs, which festivals cause on purpose) of the stores open and the
SKUs past their launch weeks all around the event, less the network's weekday
profile, as log ratios to a linear trend fitted on the ordinary days within four
weeks of the event. The spread of the
ordinary days around that trend is the yardstick for "significant".
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from scipy import stats

from storenet import calendar
from tests.unit.datagen.conftest import Built


@pytest.fixture(scope="module")
def daily(small: Built) -> pl.DataFrame:
    """Network demand per day, with its log ratio to the mean of ordinary days within
    three weeks (which takes out the network's growth) and the weekday."""
    totals = small.history.group_by("day").agg(pl.col("demand").sum()).sort("day")
    days = totals["day"].to_numpy().astype("datetime64[D]")
    units = totals["demand"].to_numpy().astype(float) + 1.0  # no log(0) on a quiet day
    ordinary = calendar.event_multipliers(days) == 1.0
    ratio = np.empty(len(units))
    for i in range(len(units)):  # 400 days, not pairs
        near = np.arange(max(0, i - 21), min(len(units), i + 22))
        near = near[ordinary[near] & (near != i)]
        ratio[i] = units[i] / units[near].mean()
    return totals.with_columns(
        log_ratio=pl.Series(np.log(ratio)),
        ordinary=pl.Series(ordinary),
        weekday=pl.Series(calendar.weekdays(days)),
    )


def event_effect(
    small: Built, daily: pl.DataFrame, first: date, last: date, margin: int = 28
) -> tuple[np.ndarray, np.ndarray]:
    """Log ratios to the trend for the event days first..last, and for the ordinary
    days within `margin` days of it (the yardstick)."""
    lo, hi = first - timedelta(days=margin), last + timedelta(days=margin)
    # Only stores open all along and SKUs past their launch weeks: an opening or a
    # launch spike is a step no trend can take out.
    stores = small.master["stores"].filter(
        (pl.col("opened_on") <= lo) & (pl.col("closed_on").is_null() | (pl.col("closed_on") > hi))
    )
    skus = small.master["skus"].filter(pl.col("launch_on") <= lo - timedelta(days=28))
    profile = (
        daily.filter(pl.col("ordinary")).group_by("weekday").agg(factor=pl.col("log_ratio").mean())
    )
    demand = (
        small.history.filter(pl.col("day").is_between(lo, hi))
        .join(stores.select(store_id="id"), on="store_id")
        .join(skus.select(sku_id="id"), on="sku_id")
        .group_by("day")
        .agg(pl.col("demand").sum())
    )
    window = (
        pl.DataFrame({"day": pl.date_range(lo, hi, eager=True)})
        .join(demand, on="day", how="left")
        .join(daily.select("day", "weekday", "ordinary"), on="day")
        .join(profile, on="weekday")
        .sort("day")
        .with_columns(
            value=(pl.col("demand").fill_null(0) + 1).log() - pl.col("factor"),
            t=pl.int_range(pl.len()),
        )
    )
    base = window.filter(pl.col("ordinary"))
    trend = stats.linregress(base["t"].to_numpy(), base["value"].to_numpy())
    residual = window["value"].to_numpy() - (trend.intercept + trend.slope * window["t"].to_numpy())
    event = window["day"].is_between(first, last).to_numpy()
    return residual[event], residual[window["ordinary"].to_numpy()]


def test_weekends_sell_more_than_weekdays(daily: pl.DataFrame):
    # given
    ordinary = daily.filter(pl.col("ordinary"))
    # when
    weekend = ordinary.filter(pl.col("weekday") >= 5)["log_ratio"].to_numpy()
    midweek = ordinary.filter(pl.col("weekday") <= 3)["log_ratio"].to_numpy()
    test = stats.ttest_ind(weekend, midweek, equal_var=False, alternative="greater")
    # then
    assert np.exp(weekend.mean() - midweek.mean()) > 1.25
    assert test.pvalue < 1e-8


@pytest.mark.parametrize("day", [date(2026, 6, 18), date(2026, 11, 11)])
def test_double_11_and_618_stand_far_above_the_surrounding_weeks(
    small: Built, daily: pl.DataFrame, day: date
):
    # given / when
    event, ordinary = event_effect(small, daily, day, day)
    z = (event[0] - ordinary.mean()) / ordinary.std()
    # then
    assert np.exp(event[0] - ordinary.mean()) > 3.0
    assert z > 5.0


def test_the_double_11_ramp_builds_over_the_days_before(small: Built, daily: pl.DataFrame):
    # given
    first, last = date(2026, 10, 22), date(2026, 11, 10)
    # when
    ramp, _ = event_effect(small, daily, first, last)
    trend = stats.linregress(np.arange(len(ramp)), ramp)
    # then
    assert trend.slope > 0
    assert trend.pvalue < 1e-3


def test_the_spring_festival_week_is_a_dip(small: Built, daily: pl.DataFrame):
    # given
    first, last = date(2026, 2, 16), date(2026, 2, 23)
    # when
    dip, ordinary = event_effect(small, daily, first, last)
    test = stats.ttest_ind(dip, ordinary, equal_var=False, alternative="less")
    # then
    assert np.exp(dip.mean() - ordinary.mean()) < 0.7
    assert test.pvalue < 1e-3


def test_golden_week_lifts_sales(small: Built, daily: pl.DataFrame):
    # given
    first, last = date(2026, 10, 1), date(2026, 10, 7)
    # when
    week, ordinary = event_effect(small, daily, first, last)
    test = stats.ttest_ind(week, ordinary, equal_var=False, alternative="greater")
    # then
    assert np.exp(week.mean() - ordinary.mean()) > 1.2
    assert test.pvalue < 0.01


def relative_demand(small: Built) -> pl.DataFrame:
    """Demand per listed pair-day of each SKU on each day, divided by the same for the
    SKUs in mid life (launched 90+ days before, no successor yet): the calendar and
    the network's growth cancel, the life cycle stays."""
    skus = small.master["skus"].select(sku_id="id", launch_on="launch_on", eol_on="eol_on")
    listed = small.listed_pair_days().group_by("sku_id", "day").agg(pairs=pl.len())
    demand = small.history.group_by("sku_id", "day").agg(pl.col("demand").sum())
    per_pair = (
        listed.join(demand, on=["sku_id", "day"], how="left")
        .with_columns(pl.col("demand").fill_null(0))
        .join(skus, on="sku_id")
        .with_columns(age=(pl.col("day") - pl.col("launch_on")).dt.total_days())
    )
    mid_life = per_pair.filter((pl.col("age") >= 90) & pl.col("eol_on").is_null())
    level = mid_life.group_by("day").agg(mid=pl.col("demand").sum() / pl.col("pairs").sum())
    return per_pair.join(level, on="day").with_columns(
        relative=pl.col("demand") / pl.col("pairs") / pl.col("mid")
    )


def test_a_phone_or_wearable_launch_spikes_then_decays(small: Built):
    # given
    rel = relative_demand(small)
    window = (small.net.first_day, small.net.last_day - timedelta(days=56))
    headline = small.master["skus"].filter(pl.col("category").is_in(["phone", "wearable"]))
    launched = rel.filter(pl.col("launch_on").is_between(*window)).join(
        headline.select(sku_id="id"), on="sku_id"
    )
    # when: units in the launch week and in weeks 5-8, against the exposure in each
    # (listed pair-days times the mid-life level that day)
    phases = (
        launched.with_columns(
            phase=pl.when(pl.col("age") <= 6)
            .then(pl.lit("launch"))
            .when(pl.col("age").is_between(28, 55))
            .then(pl.lit("later")),
            exposure=pl.col("pairs") * pl.col("mid"),
        )
        .filter(pl.col("phase").is_not_null())
        .group_by("sku_id", "phase")
        .agg(pl.col("demand").sum(), pl.col("exposure").sum())
        .pivot("phase", index="sku_id", values=["demand", "exposure"])
        .drop_nulls()
    )
    units = phases["demand_launch"].to_numpy() + phases["demand_later"].to_numpy()
    exposure_launch = phases["exposure_launch"].to_numpy()
    share = exposure_launch / (exposure_launch + phases["exposure_later"].to_numpy())
    # Without a spike, a SKU's units fall in the launch week in proportion to its
    # exposure there (binomial given its total); the z-score pools the SKUs.
    expected = (units * share).sum()
    z = (phases["demand_launch"].sum() - expected) / np.sqrt((units * share * (1 - share)).sum())
    rate_ratio = (phases["demand_launch"].sum() / exposure_launch.sum()) / (
        phases["demand_later"].sum() / phases["exposure_later"].sum()
    )
    # then
    assert phases.height >= 3
    assert rate_ratio > 1.6
    assert z > 6


def test_new_stores_ramp_up_after_opening(small: Built):
    # given
    stores = small.master["stores"]
    h = small.history
    mature = stores.filter(pl.col("opened_on") < small.net.first_day - timedelta(days=180))
    network = (
        h.join(mature.select(store_id="id"), on="store_id")
        .group_by("day")
        .agg(network=pl.col("units").sum())
    )
    opened = stores.filter(
        pl.col("opened_on").is_between(small.net.first_day, small.net.last_day - timedelta(days=75))
        & (pl.col("status") == "open")
    ).select(store_id="id", opened_on="opened_on")
    # when
    share = (
        h.join(opened, on="store_id")
        .join(network, on="day")
        .with_columns(age=(pl.col("day") - pl.col("opened_on")).dt.total_days())
        .group_by("store_id", "day", "age")
        .agg(share=pl.col("units").sum() / pl.col("network").first())
    )
    phases = (
        share.with_columns(
            phase=pl.when(pl.col("age") < 14)
            .then(pl.lit("first"))
            .when(pl.col("age").is_between(45, 74))
            .then(pl.lit("later"))
        )
        .filter(pl.col("phase").is_not_null())
        .group_by("store_id", "phase")
        .agg(pl.col("share").sum())
        .pivot("phase", index="store_id", values="share")
        .drop_nulls()
        .filter(pl.col("later") > 0)
    )
    # Mean daily share in the first two weeks over that of days 45-74.
    ratio = (phases["first"] / 14 / (phases["later"] / 30)).to_numpy()
    test = stats.wilcoxon(np.log(np.maximum(ratio, 1e-3)), alternative="less")
    # then
    assert len(ratio) >= 15
    assert np.median(ratio) < 0.8
    assert test.pvalue < 1e-3


def test_most_pairs_sell_a_few_units_a_month(small: Built):
    # given
    month = (date(2026, 10, 1), date(2026, 10, 31))
    listed = small.master["assortment"].filter(
        (pl.col("listed_from") <= month[0])
        & (pl.col("listed_to").is_null() | (pl.col("listed_to") >= month[1]))
    )
    sales = (
        small.history.filter(pl.col("day").is_between(*month))
        .group_by("store_id", "sku_id")
        .agg(pl.col("units").sum(), sale_days=(pl.col("units") > 0).sum())
    )
    # when
    pairs = listed.join(sales, on=["store_id", "sku_id"], how="left").fill_null(0)
    idle_share = 1 - pairs["sale_days"].sum() / (31 * pairs.height)
    # then
    assert pairs.height > 300
    assert 1 <= pairs["units"].median() <= 5
    assert pairs["units"].quantile(0.9) < 15
    assert idle_share > 0.8


def test_stock_outs_happen_and_sales_never_exceed_demand(small: Built):
    # given
    h = small.history
    # when
    listed = small.listed_pair_days()
    stockouts = h.filter(pl.col("closing_on_hand") <= 0).join(
        listed, on=["store_id", "sku_id", "day"]
    )
    short = h.filter(pl.col("units") < pl.col("demand"))
    rate = stockouts.height / listed.height
    # then
    assert (h["units"] <= h["demand"]).all()
    assert (short["closing_on_hand"] == 0).all()
    assert (
        h.filter(pl.col("closing_on_hand") > 0)["units"]
        == h.filter(pl.col("closing_on_hand") > 0)["demand"]
    ).all()
    assert 0.01 < rate < 0.12
    assert rate == pytest.approx(small.net.stockout_rate, rel=1e-9)
    assert 0.85 < small.net.units_sold / small.net.units_demanded < 0.99


def test_a_few_percent_of_units_come_back(small: Built):
    # given
    h = small.history
    # when
    share = h["returns"].sum() / h["units"].sum()
    # then
    assert 0.015 < share < 0.06
