"""The nightly plan from the database: draft documents, edit, approve, release once.

Runs on SQLite and PostgreSQL over a small generated network imported through the
real import path, with its history as the planner's input.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from storenet.errors import Refused
from storenet.ledger.verify import verify_balances
from storenet.planning.documents import edit_line, get_plan, read_lines
from storenet.planning.lifecycle import approve_plan, release_plan
from storenet.planning.review import LineFilter, line_page
from storenet.planning.service import run_plan
from storenet.planning.upstream import read_upstream
from storenet.store.schema import movements, plan_lines, purchase_order_lines, purchase_orders
from tests.integration.statistics import analyzed_tables

from .conftest import DAY


def lines_of(engine, plan_id):
    with engine.connect() as conn:
        return read_lines(conn, plan_id, limit=1_000_000)


def test_plan_lines_explain_every_request_and_respect_warehouse_stock(planned):
    engine, _, header, _ = planned
    assert header["id"] == "plan-2026-11-23" and header["status"] == "draft"
    lines = lines_of(engine, header["id"])
    replenish = [r for r in lines if r["kind"] == "replenish"]
    assert replenish, "a network after 120 days must need stock somewhere"
    for r in replenish:
        assert 0 <= r["qty"] <= r["requested"]
        assert r["requested"] >= r["target"] - r["position"]
        assert (r["cut_reason"] != "") == (r["qty"] < r["requested"])
    with engine.connect() as conn:
        free = dict(
            ((wh, sku), units)
            for wh, sku, units in conn.execute(
                text(
                    "SELECT l.warehouse_id, b.sku_id, b.on_hand - b.reserved FROM balances b "
                    "JOIN locations l ON l.id = b.location_id WHERE l.warehouse_id IS NOT NULL"
                )
            )
        )
    shipped: dict = {}
    for r in replenish:
        shipped[(r["source_id"], r["sku_id"])] = (
            shipped.get((r["source_id"], r["sku_id"]), 0) + r["qty"]
        )
    for key, units in shipped.items():
        assert units <= free.get(key, 0), key


def test_planning_the_same_day_again_replaces_the_draft_with_the_same_lines(planned):
    engine, settings, header, _ = planned
    before = lines_of(engine, header["id"])
    again, _ = run_plan(settings, engine, DAY)
    assert again["id"] == header["id"]
    assert lines_of(engine, header["id"]) == before


def test_an_approved_plan_cannot_be_edited_or_replanned(planned):
    engine, settings, header, _ = planned
    with engine.begin() as conn:
        edited = edit_line(conn, header["id"], 1, 0)
        assert edited["qty"] == 0 and edited["planned_qty"] >= 0
        approve_plan(conn, header["id"], "alice")
    with engine.begin() as conn, pytest.raises(Refused, match="only drafts"):
        edit_line(conn, header["id"], 1, 1)
    with pytest.raises(Refused, match="cannot be replanned"):
        run_plan(settings, engine, DAY)


def test_a_draft_cannot_be_released(planned):
    engine, _, header, _ = planned
    with engine.begin() as conn, pytest.raises(Refused, match="approve it first"):
        release_plan(conn, header["id"])


def test_release_ships_every_line_once_and_the_ledger_stays_consistent(planned):
    engine, _, header, _ = planned
    lines = [r for r in lines_of(engine, header["id"]) if r["qty"] > 0]
    with engine.connect() as conn:
        upstream = read_upstream(conn, header["id"], limit=100_000)
    moves = [r for r in upstream if r["kind"] == "transfer" and r["qty"] > 0]
    buys = [r for r in upstream if r["kind"] == "purchase" and r["qty"] > 0]
    # The generated network has a central warehouse and suppliers: the plan orders.
    assert buys
    with engine.begin() as conn:
        approve_plan(conn, header["id"], "alice")
        released = release_plan(conn, header["id"])
    assert released["status"] == "released"
    assert released["summary"]["transfers"] == len({r["transfer_no"] for r in lines})
    assert released["summary"]["warehouse_transfers"] == len({r["document_no"] for r in moves})
    assert released["summary"]["purchase_orders_released"] == len({r["document_no"] for r in buys})
    shipped = sum(r["qty"] for r in lines) + sum(r["qty"] for r in moves)
    with engine.connect() as conn:
        moved = conn.execute(
            select(func.count(), func.coalesce(func.sum(movements.c.qty), 0)).where(
                movements.c.kind == "ship"
            )
        ).one()
        assert moved[1] == shipped
        in_transit = conn.execute(
            text("SELECT COALESCE(SUM(in_transit), 0) FROM balances")
        ).scalar()
        assert in_transit == shipped
        ordered = conn.execute(
            select(func.sum(purchase_order_lines.c.qty_ordered))
            .select_from(purchase_order_lines.join(purchase_orders))
            .where(
                purchase_orders.c.plan_id == header["id"], purchase_orders.c.status == "approved"
            )
        ).scalar()
        assert ordered == sum(r["qty"] for r in buys)
        assert verify_balances(conn) == []
    # A second release writes nothing and answers the same.
    with engine.begin() as conn:
        again = release_plan(conn, header["id"])
    assert again["released_at"] == released["released_at"]
    with engine.connect() as conn:
        assert (
            conn.execute(select(func.count()).where(movements.c.kind == "ship")).scalar()
            == moved[0]
        )
        assert get_plan(conn, header["id"])["status"] == "released"
        assert conn.execute(select(func.count()).select_from(plan_lines)).scalar() > 0


def test_a_plan_run_leaves_statistics_on_its_lines(planned):
    engine, _, header, _ = planned
    assert header["lines"] > 0
    with engine.connect() as conn:
        assert {"plans", "plan_lines"} <= analyzed_tables(conn)


def test_a_skus_lines_are_found_through_every_store_and_alone(planned):
    # The SKU filter reaches lines through the (plan, store, SKU) index, one probe per
    # store (there is no (plan, SKU) index): it must still find exactly the SKU's lines.
    engine, _, header, _ = planned
    every = lines_of(engine, header["id"])
    sku = max({r["sku_id"] for r in every}, key=lambda k: sum(r["sku_id"] == k for r in every))
    expected = sorted(r["line_no"] for r in every if r["sku_id"] == sku)
    assert len(expected) > 1
    with engine.connect() as conn:
        page = line_page(conn, header["id"], LineFilter(sku_id=sku), None, limit=len(every))
        one_store = line_page(
            conn,
            header["id"],
            LineFilter(sku_id=sku, store_id=page.lines[0].store_id),
            None,
            limit=len(every),
        )
    assert [line.line_no for line in page.lines] == expected
    assert {line.sku_id for line in one_store.lines} == {sku}
    assert {line.store_id for line in one_store.lines} == {page.lines[0].store_id}
