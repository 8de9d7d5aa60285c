"""The review's exception sections read from `plan_exceptions` give the rows, in the
order, of the queries they replaced (migration 0020): the rules on `plan_lines`' pair
figures, ordered by the figure then line number, both descending. On a planned
network, before and after edits, on SQLite and PostgreSQL, through both of the
review's paths (the sections' rows, and a few stores' lines sorted)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from storenet.planning import review, sections
from storenet.planning.documents import edit_line, refresh_pair_figures
from storenet.planning.review import LineFilter, line_page, top_lines
from storenet.planning.sections import floors_of
from storenet.planning.service import run_plan

# The section queries as they were before plan_exceptions (review.py at c62126b).
PREVIOUS = {
    "at_risk": ("pair_first = 1 AND shortfall > 0", "shortfall"),
    "excess": ("pair_first = 1 AND surplus > 0 AND surplus > 0.5 * target", "surplus"),
    "cut": ("cut_units > 0", "cut_units"),
}


def previous_rows(conn, plan_id, section, wanted, stores):  # type: ignore[no-untyped-def]
    rule, figure = PREVIOUS[section]
    sql = f"SELECT line_no FROM plan_lines WHERE plan_id = :plan AND {rule}"
    params: dict = {"plan": plan_id}
    if stores is not None:
        sql += " AND store_id IN (" + ", ".join(f"'{s}'" for s in sorted(stores) or [""]) + ")"
    if wanted.store_id is not None:
        sql += " AND store_id = :store"
        params["store"] = wanted.store_id
    if wanted.sku_id is not None:
        sql += " AND sku_id = :sku"
        params["sku"] = wanted.sku_id
    if wanted.kind is not None:
        sql += " AND kind = :kind"
        params["kind"] = wanted.kind
    if wanted.cut_only:
        sql += " AND cut_reason <> ''"
    sql += f" ORDER BY {figure} DESC, line_no DESC"
    return [r[0] for r in conn.execute(text(sql), params)]


def every_read_agrees(engine, plan_id):  # type: ignore[no-untyped-def]
    """Each section, under several filters and scopes, full and paged, and its top
    rows: the same line numbers in the same order as the previous queries."""
    with engine.connect() as conn:
        stores = [r[0] for r in conn.execute(text("SELECT id FROM stores ORDER BY id"))]
        store, sku = conn.execute(
            text("SELECT store_id, sku_id FROM plan_lines WHERE plan_id = :p AND cut_units > 0"),
            {"p": plan_id},
        ).first()
        filters = [
            LineFilter(),
            LineFilter(kind="replenish"),
            LineFilter(kind="rebalance"),
            LineFilter(cut_only=True),
            LineFilter(store_id=store),
            LineFilter(sku_id=sku),
        ]
        scopes = [None, set(stores[:3]), set(stores[::2]), set()]
        sizes = {}
        for section in PREVIOUS:
            for base in filters:
                wanted = LineFilter(
                    store_id=base.store_id,
                    sku_id=base.sku_id,
                    kind=base.kind,
                    cut_only=base.cut_only,
                    section=section,
                )
                for scope in scopes:
                    expected = previous_rows(conn, plan_id, section, wanted, scope)
                    whole = line_page(conn, plan_id, wanted, scope, limit=10**6).lines
                    assert [ln.line_no for ln in whole] == expected, (section, wanted, scope)
                    paged, offset = [], 0
                    while offset is not None:
                        page = line_page(conn, plan_id, wanted, scope, limit=37, offset=offset)
                        paged += [ln.line_no for ln in page.lines]
                        offset = page.next_offset
                    assert paged == expected, (section, wanted, scope)
                    sizes[section] = max(sizes.get(section, 0), len(expected))
            for scope in scopes:
                tops = top_lines(conn, plan_id, section, scope, n=5)
                expected = previous_rows(conn, plan_id, section, LineFilter(), scope)[:5]
                assert [ln.line_no for ln in tops] == expected
    return sizes


@pytest.fixture(params=[(64, None), (0, None), (0, 4)])
def few_stores(request, monkeypatch):
    """The review's threshold between its paths (the default, and 0: every scope walks
    the sections' heads), and the sections' head: as saved, or 4 rows each (the plan
    saved again so that pages run past the head into the lines below its floor)."""
    stores, head = request.param
    monkeypatch.setattr(review, "FEW_STORES", stores)
    if head is not None:
        monkeypatch.setattr(sections, "HEAD", head)
    return request.param


def replanned(planned, few_stores):  # type: ignore[no-untyped-def]
    """The planned network's engine and plan id, planned again when the head is cut
    short (the sections are written at save)."""
    engine, settings, header, _ = planned
    if few_stores[1] is not None:
        header, _ = run_plan(settings, engine)
        with engine.connect() as conn:
            assert set(floors_of(conn, header["id"])) >= {"at_risk", "cut"}
    return engine, header


def test_sections_list_the_rows_of_the_previous_queries_in_their_order(planned, few_stores):
    engine, header = replanned(planned, few_stores)
    sizes = every_read_agrees(engine, header["id"])
    assert sizes["at_risk"] > 5 and sizes["cut"] > 40, sizes


def test_sections_follow_edits_and_a_full_refresh(planned, few_stores):
    engine, header = replanned(planned, few_stores)
    plan_id = header["id"]
    with engine.begin() as conn:
        lines = conn.execute(
            text(
                "SELECT line_no, qty, target FROM plan_lines WHERE plan_id = :p "
                "AND pair_first = 1 ORDER BY line_no"
            ),
            {"p": plan_id},
        ).all()
        # Swell some pairs into excess, empty others into risk, cut nothing more.
        for line_no, qty, target in lines[::7]:
            edit_line(conn, plan_id, line_no, qty + 2 * target + 3)
        for line_no, _, _ in lines[3::11]:
            edit_line(conn, plan_id, line_no, 0)
    sizes = every_read_agrees(engine, plan_id)
    assert sizes["excess"] > 10 and sizes["at_risk"] > 10, sizes
    # A full refresh (lines written by other means) keeps every section whole.
    with engine.begin() as conn:
        refresh_pair_figures(conn, plan_id)
        assert floors_of(conn, plan_id) == {}
        kept = conn.execute(text("SELECT count(*) FROM plan_exceptions")).scalar()
        ruled = sum(
            conn.execute(
                text(f"SELECT count(*) FROM plan_lines WHERE plan_id = :p AND {rule}"),
                {"p": plan_id},
            ).scalar()
            for rule, _ in PREVIOUS.values()
        )
        assert kept == ruled
    every_read_agrees(engine, plan_id)
