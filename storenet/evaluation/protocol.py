"""The evaluation protocol: settings are chosen on one part of the data, scores are
reported on another that nobody looked at while choosing.

Issue 4 chose storenet's settings on the same three adjacent cut-offs it reported,
and the figures did not hold on sales held back (issue 17). So a protocol run splits
the data two ways at once:

- **stores**: the selection stores and the report stores are disjoint (sorted store
  ids taken alternately, a rule fixed here, not a choice made after seeing scores);
- **dates**: cut-offs are spread evenly over the usable history and dealt in turn to
  the two parts, so each part has forecast windows in every season and no window
  of one part overlaps a window of the other.

Every model whose settings were tuned records where (`CHOSEN_ON`). A report cell
(store, forecast window) that overlaps a cell its model's settings were chosen on is
refused (`SettingsOverlap`) unless the caller asks for it to be flagged instead; a
flagged figure says so in the report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_REPORT_CUTOFFS = 8
MIN_REPORT_SEASONS = 4  # distinct quarters of the year among the report cut-offs


@dataclass(frozen=True)
class Part:
    """One side of a split: `name` ("selection" or "report"), its stores and cut-offs
    (datetime64[D], the last day a model sees; each forecasts the next `horizon`)."""

    name: str
    stores: tuple[str, ...]
    cutoffs: tuple[np.datetime64, ...]


@dataclass(frozen=True)
class Split:
    """Selection and report parts of one dataset, for forecasts of `horizon` days."""

    dataset: str
    selection: Part
    report: Part
    horizon: int


@dataclass(frozen=True)
class ChosenOn:
    """Where a model's current settings were chosen: a dataset, its stores (empty =
    every store of it) and cut-offs (ISO dates) with the horizon scored after each."""

    dataset: str
    stores: tuple[str, ...]
    cutoffs: tuple[str, ...]
    horizon: int
    note: str


# Issue 4 chose on d_1829, d_1857 and d_1885 of every M5 store here and also looked
# at d_1745 and d_1773: all five count as seen.
_ISSUE_4 = ("2015-11-08", "2015-12-06", "2016-01-31", "2016-02-28", "2016-03-27")

# Where each model's settings come from. Models absent here have no tuned settings
# (library defaults, or a fixed rule such as the seasonal naive).
CHOSEN_ON: dict[str, ChosenOn] = {
    # The yearly season's settings (issue 17), and later kappa (2.5) and the short
    # pair memory (delta_short 0.9), were chosen on the selection sets of
    # default_split on m5 and the store-item data (`train`): their stores and windows
    # are disjoint from the report sets by construction, so no record is needed to
    # keep them out of a report made with the same split.
    "storenet": ChosenOn(
        "m5", (), _ISSUE_4, 28, "issue 4: DemandSettings defaults, event and SNAP multipliers"
    ),
    "gbm": ChosenOn("m5", (), _ISSUE_4, 28, "issue 4: LightGBM parameters and blend weight"),
    "gbm_alone": ChosenOn("m5", (), _ISSUE_4, 28, "issue 4: LightGBM parameters"),
}


class SplitError(ValueError):
    """A split that would let selection and report see the same data, or too thin a
    report; the message names the rule broken."""


class SettingsOverlap(ValueError):
    """Report cells that overlap where a model's settings were chosen."""

    def __init__(self, cells: dict[str, list[str]]) -> None:
        self.cells = cells
        lines = [f"{model}: {', '.join(found[:4])}{' ...' if len(found) > 4 else ''}"
                 for model, found in cells.items()]  # fmt: skip
        super().__init__(
            "the report set overlaps data these models' settings were chosen on "
            "(store @ forecast window): " + "; ".join(lines)
        )


def alternate_stores(stores: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(selection, report): the sorted store ids taken alternately, the first to
    selection. ValueError with fewer than two stores (nothing to hold back)."""
    ordered = sorted(set(stores))
    if len(ordered) < 2:
        raise SplitError(f"stores: a split needs at least two, got {ordered}")
    return tuple(ordered[0::2]), tuple(ordered[1::2])


def spread_cutoffs(
    first: np.datetime64, last: np.datetime64, per_part: int, horizon: int
) -> tuple[tuple[np.datetime64, ...], tuple[np.datetime64, ...]]:
    """(selection, report): 2 x `per_part` cut-offs evenly spaced from `first` to
    `last` (both datetime64[D], inclusive), dealt per quarter of the year
    (the latest of each quarter to the report, the next to selection, ...) so both
    parts see every season. SplitError when they cannot be at least `horizon` + 1
    days apart (windows of the two parts would overlap)."""
    first, last = np.datetime64(first, "D"), np.datetime64(last, "D")
    count = 2 * per_part
    span = int((last - first).astype(np.int64))
    if count < 2 or span < (count - 1) * (horizon + 1):
        raise SplitError(
            f"cut-offs: {count} cut-offs {horizon + 1} days apart do not fit between "
            f"{first} and {last}"
        )
    offsets = np.round(np.linspace(0, span, count)).astype(np.int64)
    days = [first + np.timedelta64(int(o), "D") for o in offsets]
    # Dealt per quarter of the year, from the latest back: the first of each quarter to
    # the report, the next to selection, and so on. Strict alternation would lock to
    # the spacing (cut-offs a quarter apart, dealt alternately, give each part the same
    # two seasons). Any two cut-offs are more than a horizon apart, so windows of the
    # two parts never overlap whichever way they are dealt.
    seen: dict[int, int] = {}
    report, selection = [], []
    for day in reversed(days):
        quarter = (day.astype(object).month - 1) // 3
        (report if seen.get(quarter, 0) % 2 == 0 else selection).append(day)
        seen[quarter] = seen.get(quarter, 0) + 1
    return tuple(sorted(selection)), tuple(sorted(report))


def latest_untuned_cutoff(models: list[str], dataset: str, horizon: int) -> np.datetime64 | None:
    """The latest cut-off whose `horizon`-day window ends before the first window any
    of `models`' settings were chosen on in `dataset` (None: nothing was tuned there).
    Reporting at or before it keeps every store clean of tuning, whatever the split."""
    starts = [
        window(np.datetime64(c, "D"), chosen.horizon)[0]
        for m in models
        if (chosen := CHOSEN_ON.get(m)) is not None and chosen.dataset == dataset
        for c in chosen.cutoffs
    ]
    if not starts:
        return None
    return min(starts) - np.timedelta64(horizon + 1, "D")


def default_split(
    dataset: str,
    stores: list[str],
    days: np.ndarray,
    horizon: int = 28,
    min_history: int = 365,
    per_part: int = MIN_REPORT_CUTOFFS,
    last: np.datetime64 | None = None,
) -> Split:
    """The protocol's split of a panel covering `days`: stores alternately, and
    2 x `per_part` cut-offs from `min_history` days after the first day to `last`
    (default: the last day that leaves a whole horizon). The rule is fixed before any
    score is seen. SplitError when the data cannot hold it."""
    first = np.datetime64(days[0], "D") + np.timedelta64(min_history, "D")
    end = np.datetime64(days[-1], "D") - np.timedelta64(horizon, "D")
    last = end if last is None else min(np.datetime64(last, "D"), end)
    sel_stores, rep_stores = alternate_stores(stores)
    sel_cut, rep_cut = spread_cutoffs(first, last, per_part, horizon)
    split = Split(
        dataset,
        Part("selection", sel_stores, sel_cut),
        Part("report", rep_stores, rep_cut),
        horizon,
    )
    check_split(split)
    return split


def split_for(
    dataset: str,
    stores: list[str],
    days: np.ndarray,
    models: list[str],
    horizon: int = 28,
    min_history: int = 365,
    per_part: int = MIN_REPORT_CUTOFFS,
    last: np.datetime64 | None = None,
) -> Split:
    """`default_split` ending at `last`, or by default at the latest cut-off whose
    window none of `models` was tuned on (so a run reports them cleanly)."""
    if last is None:
        last = latest_untuned_cutoff(models, dataset, horizon)
    return default_split(dataset, stores, days, horizon, min_history, per_part, last)


def window(cutoff: np.datetime64, horizon: int) -> tuple[np.datetime64, np.datetime64]:
    """The forecast window of a cut-off: its first and last day, inclusive."""
    cutoff = np.datetime64(cutoff, "D")
    return cutoff + np.timedelta64(1, "D"), cutoff + np.timedelta64(horizon, "D")


def _overlaps(a: tuple, b: tuple) -> bool:
    return bool(a[0] <= b[1] and b[0] <= a[1])


def check_split(split: Split) -> None:
    """SplitError unless: the parts share no store; no selection window overlaps a
    report window; the report has at least MIN_REPORT_CUTOFFS cut-offs falling in at
    least MIN_REPORT_SEASONS quarters of the year."""
    shared = sorted(set(split.selection.stores) & set(split.report.stores))
    if shared:
        raise SplitError(f"stores: {', '.join(shared)} in both selection and report")
    h = split.horizon
    for s in split.selection.cutoffs:
        for r in split.report.cutoffs:
            if _overlaps(window(s, h), window(r, h)):
                raise SplitError(
                    f"cut-offs: selection {s} and report {r} forecast overlapping days"
                )
    n = len(split.report.cutoffs)
    if n < MIN_REPORT_CUTOFFS:
        raise SplitError(f"cut-offs: the report needs at least {MIN_REPORT_CUTOFFS}, got {n}")
    quarters = {(d.astype(object).month - 1) // 3 for d in split.report.cutoffs}
    if len(quarters) < MIN_REPORT_SEASONS:
        raise SplitError(
            f"cut-offs: the report's fall in {len(quarters)} quarter(s) of the year; "
            f"at least {MIN_REPORT_SEASONS} are needed"
        )


def settings_overlap(
    models: list[str], dataset: str, part: Part, horizon: int, all_stores: list[str]
) -> dict[str, list[str]]:
    """For each of `models` with recorded settings, the cells of `part` (store @
    first..last forecast day) whose store and window overlap a cell the settings
    were chosen on, on the same dataset. Empty dict: the part is clean."""
    found: dict[str, list[str]] = {}
    for model in models:
        chosen = CHOSEN_ON.get(model)
        if chosen is None or chosen.dataset != dataset:
            continue
        stores = set(chosen.stores or all_stores)
        tuned = [window(np.datetime64(c, "D"), chosen.horizon) for c in chosen.cutoffs]
        cells = [
            f"{store} @ {w[0]}..{w[1]}"
            for cutoff in part.cutoffs
            for w in [window(cutoff, horizon)]
            if any(_overlaps(w, t) for t in tuned)
            for store in part.stores
            if store in stores
        ]
        if cells:
            found[model] = cells
    return found


def ad_hoc_overlap(
    models: list[str], dataset: str, stores: list[str], cutoffs: list, horizon: int
) -> dict[str, list[str]]:
    """`settings_overlap` of a run outside the protocol: `stores` at `cutoffs`, what a
    plain `--cutoffs` backtest scores. Its figures are flagged, never refused."""
    part = Part("ad hoc", tuple(stores), tuple(cutoffs))
    return settings_overlap(models, dataset, part, horizon, list(stores))


def refuse_tuned_reports(
    models: list[str], split: Split, all_stores: list[str], flag: bool = False
) -> dict[str, list[str]]:
    """SettingsOverlap when any model would be reported on cells its settings were
    chosen on; with `flag`, return those cells instead so the report marks them."""
    found = settings_overlap(models, split.dataset, split.report, split.horizon, all_stores)
    if found and not flag:
        raise SettingsOverlap(found)
    return found
