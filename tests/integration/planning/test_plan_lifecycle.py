"""A plan's life after the draft: a bad edit is flagged at edit and refused at
approval; an approved plan reopens to draft or is cancelled, each change dated and
kept; a cancelled day is planned again; a released plan is final."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from storenet.errors import Refused
from storenet.planning.documents import edit_line, get_plan, read_lines, transitions
from storenet.planning.lifecycle import (
    approve_plan,
    cancel_plan,
    release_plan,
    reopen_plan,
)
from storenet.planning.service import run_plan
from storenet.store.schema import assortment

from .conftest import DAY


def a_replenish_line(engine, plan_id):
    with engine.connect() as conn:
        lines = read_lines(conn, plan_id, limit=1_000_000)
    return next(r for r in lines if r["kind"] == "replenish" and r["qty"] > 0)


def test_an_edit_beyond_the_warehouse_stock_warns_then_approval_refuses_naming_the_source(
    planned,
):
    engine, _, header, _ = planned
    line = a_replenish_line(engine, header["id"])
    with engine.begin() as conn:
        edited = edit_line(conn, header["id"], line["line_no"], 10**6)
    assert any(
        line["source_id"] in w and line["sku_id"] in w and "free" in w for w in edited["warnings"]
    ), edited["warnings"]
    with engine.begin() as conn, pytest.raises(Refused) as refused:
        approve_plan(conn, header["id"], "alice")
    assert any(p.where == f"{line['source_id']} {line['sku_id']}" for p in refused.value.problems)
    with engine.connect() as conn:
        assert get_plan(conn, header["id"])["status"] == "draft"
        assert transitions(conn, header["id"]) == []


def test_an_edit_above_the_store_capacity_warns_and_approval_refuses(planned):
    engine, _, header, _ = planned
    line = a_replenish_line(engine, header["id"])
    with engine.begin() as conn:
        conn.execute(
            update(assortment)
            .where(assortment.c.store_id == line["store_id"], assortment.c.sku_id == line["sku_id"])
            .values(capacity=line["position"] + 1)
        )
        edited = edit_line(conn, header["id"], line["line_no"], line["qty"] + 1)
    assert any("capacity" in w for w in edited["warnings"]), edited["warnings"]
    with engine.begin() as conn, pytest.raises(Refused, match="capacity"):
        approve_plan(conn, header["id"], "alice")


def test_an_unedited_plan_has_no_warnings_and_approves(planned):
    engine, _, header, _ = planned
    line = a_replenish_line(engine, header["id"])
    with engine.begin() as conn:
        edited = edit_line(conn, header["id"], line["line_no"], line["qty"])
        assert edited["warnings"] == []
        assert approve_plan(conn, header["id"], "alice")["status"] == "approved"


def test_an_approved_plan_with_a_bad_edit_can_reopen_be_fixed_and_released(planned):
    engine, _, header, _ = planned
    plan_id = header["id"]
    line = a_replenish_line(engine, plan_id)
    with engine.begin() as conn:
        approve_plan(conn, plan_id, "alice")
    with engine.begin() as conn, pytest.raises(Refused, match="reason"):
        reopen_plan(conn, plan_id, "alice", "  ")
    with engine.begin() as conn:
        assert reopen_plan(conn, plan_id, "alice", "fix line")["status"] == "draft"
        edit_line(conn, plan_id, line["line_no"], max(line["qty"] - 1, 0))
        approve_plan(conn, plan_id, "bob")
        assert release_plan(conn, plan_id, "bob")["status"] == "released"
    with engine.connect() as conn:
        steps = [(t["from_status"], t["to_status"], t["by"]) for t in transitions(conn, plan_id)]
        reasons = [t["reason"] for t in transitions(conn, plan_id)]
    assert steps == [
        ("draft", "approved", "alice"),
        ("approved", "draft", "alice"),
        ("draft", "approved", "bob"),
        ("approved", "released", "bob"),
    ]
    assert reasons[1] == "fix line"
    with engine.begin() as conn, pytest.raises(Refused, match="released"):
        cancel_plan(conn, plan_id, "alice", "too late")


def test_a_cancelled_plan_is_kept_read_only_and_its_day_can_be_planned_again(planned):
    engine, settings, header, _ = planned
    plan_id = header["id"]
    with engine.begin() as conn:
        approve_plan(conn, plan_id, "alice")
        cancelled = cancel_plan(conn, plan_id, "alice", "bad edit, start over")
    assert cancelled["status"] == "cancelled"
    with engine.begin() as conn, pytest.raises(Refused, match="only drafts"):
        edit_line(conn, plan_id, 1, 0)
    with engine.begin() as conn, pytest.raises(Refused, match="cancelled"):
        approve_plan(conn, plan_id, "alice")
    with engine.begin() as conn, pytest.raises(Refused, match="cancelled"):
        release_plan(conn, plan_id, "alice")
    again, _ = run_plan(settings, engine, DAY)
    assert again["id"] == plan_id and again["status"] == "draft"
    with engine.connect() as conn:
        steps = [(t["from_status"], t["to_status"]) for t in transitions(conn, plan_id)]
        assert conn.execute(select(assortment.c.store_id).limit(1)).first() is not None
    assert steps == [("draft", "approved"), ("approved", "cancelled"), ("cancelled", "draft")]
