"""Versioned targets: a change keeps the old version and who set it; the same target
again changes nothing; bad rows are refused by row and field, all or nothing; the
store page's monthly target follows the current version."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import delete, func, select

from storenet.errors import Refused
from storenet.franchise.targets import TargetInput, current_targets, set_targets, target_history
from storenet.network.targets import set_store_targets
from storenet.store.engine import unit_of_work
from storenet.store.schema import audit_log, franchise_targets, store_targets


def _set(engine, targets, by="planner"):  # type: ignore[no-untyped-def]
    return unit_of_work(engine, lambda c: set_targets(c, targets, by))


def test_changing_a_target_keeps_the_old_version_and_who_set_it(shop):
    _set(shop, [TargetInput("store", "S2", "2026-11", "revenue", "10000.00")], "anna")
    _set(shop, [TargetInput("store", "S2", "2026-11", "revenue", "12000.50")], "bob")
    with shop.connect() as conn:
        history = target_history(conn, "store", "S2", "2026-11", "revenue")
        current = current_targets(conn, "2026-11")
    assert [(h["version"], h["amount"], h["set_by"]) for h in history] == [
        (1, 1_000_000, "anna"),
        (2, 1_200_050, "bob"),
    ]
    assert history[0]["superseded_at"] is not None and history[1]["superseded_at"] is None
    assert [(c["subject"], c["amount"], c["version"]) for c in current] == [("S2", 1_200_050, 2)]


def test_setting_the_same_target_again_changes_nothing(shop):
    t = [TargetInput("franchisee", "F1", "2026-Q4", "units", "300")]
    assert _set(shop, t) == {"set": 1, "unchanged": 0}
    assert _set(shop, t) == {"set": 0, "unchanged": 1}
    with shop.connect() as conn:
        assert conn.execute(select(func.count()).select_from(franchise_targets)).scalar() == 1
        assert (
            conn.execute(select(func.count()).where(audit_log.c.action == "target.set")).scalar()
            == 1
        )


def test_bad_rows_are_refused_by_row_and_field_and_nothing_is_written(shop):
    with pytest.raises(Refused) as refused:
        _set(
            shop,
            [
                TargetInput("store", "S2", "2026-11", "revenue", "100.00"),
                TargetInput("store", "NOPE", "2026-13", "revenue", 1.5),
                TargetInput("region", "EAST", "2026-11", "units", "-3"),
                TargetInput("store", "S3", "2026-11", "category_revenue", "5.00", category="toys"),
            ],
        )
    found = {(p.where, p.field) for p in refused.value.problems}
    assert found == {
        ("row 2", "subject"),
        ("row 2", "period"),
        ("row 2", "amount"),
        ("row 3", "scope"),
        ("row 3", "amount"),
        ("row 4", "category"),
    }
    with shop.connect() as conn:
        assert conn.execute(select(func.count()).select_from(franchise_targets)).scalar() == 0


def test_a_subscriptions_target_is_refused_naming_the_field_and_why(shop):
    with pytest.raises(Refused) as refused:
        _set(shop, [TargetInput("store", "S2", "2026-11", "subscriptions", "10")])
    (problem,) = refused.value.problems
    assert problem.field == "metric" and "records no subscriptions" in problem.reason


def test_the_store_page_target_follows_the_current_version_and_the_old_setter_still_works(shop):
    unit_of_work(shop, lambda c: set_store_targets(c, [("S1", date(2026, 11, 9), 500_000)]))
    _set(shop, [TargetInput("store", "S1", "2026-11", "revenue", "6000.00")])
    with shop.connect() as conn:
        mirrored = conn.execute(select(store_targets.c.revenue_cents)).scalar()
        history = target_history(conn, "store", "S1", "2026-11", "revenue")
    assert mirrored == 600_000
    assert [(h["version"], h["set_by"]) for h in history] == [(1, "system"), (2, "planner")]


def test_targets_are_never_deleted(shop):
    _set(shop, [TargetInput("store", "S2", "2026-11", "revenue", "1.00")])
    with pytest.raises(Exception, match="keeps every row"):
        unit_of_work(shop, lambda c: c.execute(delete(franchise_targets)))
