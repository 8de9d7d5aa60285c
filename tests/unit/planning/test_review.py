"""The plan review's exception rules: the SQL aggregates agree with the per-pair rules
(`is_at_risk`, `is_excess`) on random plans, pages never overlap, scope filters."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

import numpy as np
import pytest
from sqlalchemy import create_engine, insert

from storenet.errors import Refused
from storenet.planning.documents import refresh_pair_figures
from storenet.planning.review import (
    LineFilter,
    exception_counts,
    is_at_risk,
    is_excess,
    line_page,
    read_line,
    top_lines,
)
from storenet.store.schema import plan_exception_floors, plan_exceptions, plan_lines, plans

PLAN = "plan-2026-01-02"


def test_the_rules_at_their_edges():
    assert is_at_risk(position=2, incoming=1, forecast_mean=3.5)
    assert not is_at_risk(position=2, incoming=2, forecast_mean=4.0)  # exactly covered
    assert is_excess(position=0, incoming=1, target=0)  # any stock against no target
    assert not is_excess(position=10, incoming=5, target=10)  # 15 = 1.5 x 10, not more
    assert is_excess(position=10, incoming=6, target=10)
    assert not is_excess(position=1, incoming=0, target=1)


@pytest.fixture(params=[0, 1, 2])
def random_plan(request):
    """A plan of random lines over a few stores and SKUs, some pairs with a
    replenishment and a rebalancing line; the engine and the rows."""
    rng = np.random.default_rng(request.param)
    engine = create_engine("sqlite://")
    plans.metadata.create_all(
        engine, tables=[plans, plan_lines, plan_exceptions, plan_exception_floors]
    )
    pair_facts = {}
    rows = []
    for n in range(1, 301):
        store, sku = f"S{rng.integers(12)}", f"K{rng.integers(15)}"
        facts = pair_facts.setdefault(
            (store, sku),
            {
                "position": int(rng.integers(0, 12)),
                "target": int(rng.integers(0, 12)),
                "forecast_mean": float(np.round(rng.gamma(2.0, 3.0), 4)),
                "forecast_quantile": int(rng.integers(0, 20)),
                "service_level": 0.95,
            },
        )
        kind = "rebalance" if rng.random() < 0.2 else "replenish"
        requested = int(rng.integers(1, 10))
        planned = int(rng.integers(0, requested + 1))
        rows.append(
            {
                "plan_id": PLAN,
                "line_no": n,
                "kind": kind,
                "source_id": "W" if kind == "replenish" else "S99",
                "store_id": store,
                "sku_id": sku,
                "qty": int(rng.integers(0, 25)) if rng.random() < 0.1 else planned,
                "planned_qty": planned,
                "requested": requested,
                "cut_reason": "scarce stock" if kind == "replenish" and planned < requested else "",
                "water_level": None,
                "value": float(rng.random() * 100) if kind == "rebalance" else None,
                "transfer_no": int(rng.integers(0, 20)),
                **facts,
            }
        )
    with engine.begin() as conn:
        conn.execute(
            insert(plans).values(
                id=PLAN,
                for_day=date(2026, 1, 2),
                status="draft",
                created_at=datetime.now(UTC).replace(tzinfo=None),
                summary="{}",
            )
        )
        conn.execute(insert(plan_lines), rows)
        refresh_pair_figures(conn, PLAN)
    yield engine, rows
    engine.dispose()


def _expected(rows, stores=None):  # type: ignore[no-untyped-def]
    pairs = defaultdict(list)
    for r in rows:
        if stores is None or r["store_id"] in stores:
            pairs[(r["store_id"], r["sku_id"])].append(r)

    def rule(check, fact):  # type: ignore[no-untyped-def]
        return {
            key
            for key, ls in pairs.items()
            if check(ls[0]["position"], sum(x["qty"] for x in ls), ls[0][fact])
        }

    return pairs, rule(is_at_risk, "forecast_mean"), rule(is_excess, "target")


@pytest.mark.parametrize("stores", [None, {"S1", "S2", "S3"}, set()])
def test_the_sql_counts_agree_with_the_rules_pair_by_pair(random_plan, stores):
    engine, rows = random_plan
    pairs, at_risk, excess = _expected(rows, stores)
    kept = [r for r in rows if stores is None or r["store_id"] in stores]
    with engine.connect() as conn:
        counts = exception_counts(conn, PLAN, stores)
        risky = line_page(conn, PLAN, LineFilter(section="at_risk"), stores, limit=1000).lines
        over = line_page(conn, PLAN, LineFilter(section="excess"), stores, limit=1000).lines
        top_risky = top_lines(conn, PLAN, "at_risk", stores, n=5)
        top_over = top_lines(conn, PLAN, "excess", stores, n=5)
    assert counts.lines == len(kept) and counts.pairs == len(pairs)
    assert counts.cut == sum(1 for r in kept if r["cut_reason"])
    assert counts.rebalance == sum(1 for r in kept if r["kind"] == "rebalance")
    assert counts.at_risk == len(at_risk) and counts.excess == len(excess)
    assert {(ln.store_id, ln.sku_id) for ln in risky} == at_risk
    assert {(ln.store_id, ln.sku_id) for ln in over} == excess
    # the section lists are ordered by size, and every line carries its tag
    gaps = [ln.forecast_mean - ln.after for ln in risky]
    assert gaps == sorted(gaps, reverse=True)
    assert all("at risk" in ln.tags for ln in risky) and all("excess" in ln.tags for ln in over)
    # the sections' top rows are the first pairs of those lists, one line each
    for top, full in ((top_risky, risky), (top_over, over)):
        firsts = list(dict.fromkeys((ln.store_id, ln.sku_id) for ln in full))[:5]
        assert [(ln.store_id, ln.sku_id) for ln in top] == firsts


def test_pages_cover_the_filtered_lines_once_in_line_order(random_plan):
    engine, rows = random_plan
    wanted = LineFilter(kind="replenish", cut_only=True)
    seen = []
    offset = 0
    with engine.connect() as conn:
        while offset is not None:
            page = line_page(conn, PLAN, wanted, None, limit=17, offset=offset)
            seen += [ln.line_no for ln in page.lines]
            offset = page.next_offset
        tops = top_lines(conn, PLAN, "rebalance", None, n=3)
        hidden = read_line(conn, PLAN, rows[0]["line_no"], {"nowhere"})
        shown = read_line(conn, PLAN, rows[0]["line_no"], None)
    assert seen == [r["line_no"] for r in rows if r["kind"] == "replenish" and r["cut_reason"]]
    values = [r["value"] for r in rows if r["kind"] == "rebalance"]
    assert [ln.value for ln in tops] == sorted(values, reverse=True)[:3]
    assert hidden is None and shown is not None and shown.line_no == rows[0]["line_no"]


def test_an_unknown_kind_or_section_is_refused():
    with pytest.raises(Refused):
        LineFilter(kind="teleport")
    with pytest.raises(Refused):
        LineFilter(section="everything")
