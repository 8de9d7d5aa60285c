"""Checklist templates are versioned: an edit is a new version, an audit keeps its."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storenet.errors import Refused
from storenet.standards import actions
from storenet.store.schema import standards_template_versions
from tests.integration.standards.standards_support import ITEMS, person, run, start


def _save(engine, key, items, name="Store standard"):  # type: ignore[no-untyped-def]
    who = person(engine, "planner")
    return run(
        engine,
        lambda conn: actions.save_template(
            conn, who, key=key, template_id="store-standard", name=name, items=items
        ),
    )


def test_editing_a_template_makes_a_new_version_and_an_audit_keeps_its_own(std):
    audit_v1 = start(std, "S1")
    edited = [*ITEMS, {"section": "staff", "code": "staff.badge", "text": "Name badge worn"}]
    assert _save(std, "tpl-2", edited) == {"id": "store-standard", "version": 2, "created": True}
    audit_v2 = start(std, "S2")
    hq = person(std, "hq")
    one = run(std, lambda conn: actions.read(conn, hq, audit_v1))
    two = run(std, lambda conn: actions.read(conn, hq, audit_v2))
    assert (one["version"], len(one["items"])) == (1, 5)
    assert (two["version"], len(two["items"])) == (2, 6)
    tpl = run(std, lambda conn: actions.read_template(conn, hq, "store-standard", 1))
    assert [i["code"] for i in tpl["items"]] == [i["code"] for i in ITEMS]
    assert [v["version"] for v in tpl["versions"]] == [2, 1]


def test_saving_the_same_items_again_makes_no_version(std):
    assert _save(std, "tpl-again", ITEMS) == {
        "id": "store-standard",
        "version": 1,
        "created": False,
    }
    with std.connect() as conn:
        count = conn.execute(select(func.count()).select_from(standards_template_versions))
        assert count.scalar() == 1


def test_bad_items_are_refused_naming_the_item_and_field_and_nothing_is_written(std):
    bad = [
        {"section": "decor", "code": "a", "text": "ok"},
        {"section": "lighting", "code": "b", "text": "x"},
        {"section": "staff", "code": "a", "text": "dup"},
        {
            "section": "display",
            "code": "c",
            "text": "x",
            "scoring": "score",
            "max_score": 5,
            "pass_mark": 6,
        },
        {"section": "decor", "code": "d", "text": "", "weight": 0},
    ]
    with pytest.raises(Refused) as refused:
        _save(std, "tpl-bad", bad)
    named = {(p.where, p.field) for p in refused.value.problems}
    assert named == {
        ("items[1]", "section"),
        ("items[2]", "code"),
        ("items[3]", "pass_mark"),
        ("items[4]", "text"),
        ("items[4]", "weight"),
    }
    with std.connect() as conn:
        count = conn.execute(select(func.count()).select_from(standards_template_versions))
        assert count.scalar() == 1


def test_only_hq_keeps_templates(std):
    from storenet.accounts.errors import Denied

    for name in ("aud_east", "fr_f1", "auditor"):
        who = person(std, name)
        with pytest.raises(Denied):
            run(
                std,
                lambda conn, who=who: actions.save_template(
                    conn, who, key="x", template_id="t2", name="T", items=ITEMS
                ),
            )


def test_the_templates_list_shows_each_newest_version_and_its_item_count(std):
    _save(std, "tpl-2", ITEMS[:3])
    who = person(std, "fr_f1")
    listed = run(std, lambda conn: actions.list_templates(conn, who))
    assert listed == [{"id": "store-standard", "name": "Store standard", "version": 2, "items": 3}]
