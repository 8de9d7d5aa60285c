"""The evaluation protocol: selection and report never share a store or a forecast day,
the report spans the seasons, and a model is not reported where it was tuned."""

import numpy as np
import pytest

from storenet.evaluation import backtest, protocol
from storenet.evaluation.forecast import Forecast
from storenet.evaluation.models import seasonal_naive
from tests.unit.evaluation.conftest import synthetic_panel

D = np.datetime64


def _windows(cutoffs, horizon):
    return [protocol.window(c, horizon) for c in cutoffs]


def test_stores_are_dealt_alternately_and_never_to_both_sets():
    sel, rep = protocol.alternate_stores(["TX_1", "CA_2", "CA_1", "TX_2", "CA_3"])
    assert sel == ("CA_1", "CA_3", "TX_2")
    assert rep == ("CA_2", "TX_1")
    with pytest.raises(protocol.SplitError, match="stores"):
        protocol.alternate_stores(["CA_1"])


@pytest.mark.parametrize(
    ("first", "last"), [("2012-01-29", "2015-10-11"), ("2014-01-01", "2017-12-03")]
)
def test_spread_cutoffs_give_each_set_every_season_and_no_shared_forecast_day(first, last):
    sel, rep = protocol.spread_cutoffs(D(first), D(last), 8, 28)
    assert len(sel) + len(rep) == 16 and len(rep) >= 8
    assert max(rep) == D(last)  # the most recent cut-off is reported, not tuned on
    for part in (sel, rep):
        assert {(d.astype(object).month - 1) // 3 for d in part} == {0, 1, 2, 3}
    days_sel = {d for a, b in _windows(sel, 28) for d in np.arange(a, b + 1)}
    days_rep = {d for a, b in _windows(rep, 28) for d in np.arange(a, b + 1)}
    assert not days_sel & days_rep


def test_cutoffs_that_cannot_be_a_horizon_apart_are_refused():
    with pytest.raises(protocol.SplitError, match="do not fit"):
        protocol.spread_cutoffs(D("2015-01-01"), D("2015-06-01"), 8, 28)


def _split(sel_stores=("A",), rep_stores=("B",), sel=None, rep=None, horizon=28):
    rep = rep or tuple(D("2014-01-01") + np.arange(8) * np.timedelta64(100, "D"))
    sel = sel or (D("2013-01-01"),)
    return protocol.Split(
        "toy",
        protocol.Part("selection", sel_stores, sel),
        protocol.Part("report", rep_stores, rep),
        horizon,
    )


def test_a_store_in_both_sets_is_refused():
    with pytest.raises(protocol.SplitError, match="B in both"):
        protocol.check_split(_split(sel_stores=("A", "B")))


def test_a_selection_window_overlapping_a_report_window_is_refused():
    split = _split(sel=(D("2014-01-15"),))  # forecasts 01-16..02-12, report's first 01-02..
    with pytest.raises(protocol.SplitError, match="overlapping days"):
        protocol.check_split(split)


def test_a_report_with_too_few_cutoffs_or_seasons_is_refused():
    with pytest.raises(protocol.SplitError, match="at least 8"):
        protocol.check_split(_split(rep=(D("2014-01-01"), D("2014-06-01"))))
    januaries = tuple(D(f"{y}-01-05") for y in range(2005, 2013))
    with pytest.raises(protocol.SplitError, match="quarter"):
        protocol.check_split(_split(rep=januaries))
    protocol.check_split(_split())  # 8 cut-offs 100 days apart: every quarter


def test_reporting_storenet_where_its_settings_were_chosen_is_refused_or_flagged():
    tuned = protocol.Part("report", ("CA_2",), (D("2016-02-28"),))
    found = protocol.settings_overlap(["storenet", "autoets"], "m5", tuned, 28, ["CA_2"])
    assert list(found) == ["storenet"]  # AutoETS has no tuned settings
    assert found["storenet"] == ["CA_2 @ 2016-02-29..2016-03-27"]
    split = protocol.Split("m5", protocol.Part("selection", ("CA_1",), ()), tuned, 28)
    with pytest.raises(protocol.SettingsOverlap, match="storenet: CA_2 @ 2016-02-29"):
        protocol.refuse_tuned_reports(["storenet"], split, ["CA_1", "CA_2"])
    assert protocol.refuse_tuned_reports(["storenet"], split, ["CA_1", "CA_2"], flag=True)
    # The same days on other data are not where storenet was tuned.
    assert protocol.settings_overlap(["storenet"], "store_item", tuned, 28, ["CA_2"]) == {}


def test_the_latest_untuned_cutoff_is_the_last_whose_window_misses_every_tuned_one():
    last = protocol.latest_untuned_cutoff(["storenet", "snaive"], "m5", 28)
    assert last is not None
    part = protocol.Part("report", ("CA_1",), (last,))
    assert protocol.settings_overlap(["storenet"], "m5", part, 28, ["CA_1"]) == {}
    later = protocol.Part("report", ("CA_1",), (last + np.timedelta64(1, "D"),))
    assert protocol.settings_overlap(["storenet"], "m5", later, 28, ["CA_1"]) != {}
    assert protocol.latest_untuned_cutoff(["snaive"], "m5", 28) is None


def test_a_protocol_run_scores_each_set_on_its_own_stores_and_cutoffs_only():
    panel = synthetic_panel(n_days=1100)
    split = protocol.default_split(
        "toy", ["A_1", "B_1"], panel.days, horizon=7, min_history=60, per_part=8
    )
    seen: list[tuple[tuple[str, ...], np.datetime64]] = []

    def spy(history, calendar, horizon) -> Forecast:
        seen.append((tuple(history.series["store"].unique().sort()), history.days[-1]))
        return seasonal_naive(history, calendar, horizon)

    run = backtest.run_protocol(panel, {"spy": spy}, split)
    assert set(run.parts) == {"selection", "report"}
    for part in (split.selection, split.report):
        got = [(stores, day) for stores, day in seen if stores == part.stores]
        assert [day for _, day in got] == list(part.cutoffs)
        rows = run.parts[part.name].rows
        assert {r["cutoff"] for r in rows} == {str(c) for c in part.cutoffs}
    assert len(seen) == len(split.selection.cutoffs) + len(split.report.cutoffs)


def test_a_protocol_run_refuses_a_model_tuned_on_its_report_set(monkeypatch):
    panel = synthetic_panel(n_days=1100)
    split = protocol.default_split(
        "toy", ["A_1", "B_1"], panel.days, horizon=7, min_history=60, per_part=8
    )
    chosen = protocol.ChosenOn("toy", (), (str(split.report.cutoffs[-1]),), 7, "test")
    monkeypatch.setitem(protocol.CHOSEN_ON, "snaive", chosen)
    with pytest.raises(protocol.SettingsOverlap):
        backtest.run_protocol(panel, {"snaive": seasonal_naive}, split)
    run = backtest.run_protocol(panel, {"snaive": seasonal_naive}, split, flag_tuned=True)
    assert run.flagged == {
        "snaive": [
            f"B_1 @ {protocol.window(split.report.cutoffs[-1], 7)[0]}"
            f"..{protocol.window(split.report.cutoffs[-1], 7)[1]}"
        ]
    }


def test_a_run_outside_the_protocol_is_flagged_where_a_model_was_tuned():
    found = protocol.ad_hoc_overlap(
        ["storenet", "snaive"], "m5", ["CA_1", "TX_1"], [D("2016-03-27")], 28
    )
    assert found == {"storenet": ["CA_1 @ 2016-03-28..2016-04-24", "TX_1 @ 2016-03-28..2016-04-24"]}
