"""Who owns a store and who runs a region, over time, without losing history.

The small network of tests.support: S2 is owned by F1 and S3 by F2 since 2025-01-01;
S1 and S4 are run by HQ; regions EAST and WEST have no manager yet.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from storenet.errors import NotFound, Refused
from storenet.network.ownership import (
    change_region_manager,
    change_store_owner,
    manager_at,
    owner_at,
    region_manager_history,
    store_owner_history,
    stores_of_franchisee,
)

START = datetime(2025, 1, 1)
HANDOVER = datetime(2026, 5, 1, 12, 0)


def test_a_change_of_owner_keeps_history_and_owner_at_answers_for_past_times(network):
    # given
    with network.begin() as conn:
        # when
        answer = change_store_owner(conn, "S2", "F2", HANDOVER)
        change_store_owner(conn, "S2", None, HANDOVER + timedelta(days=30))

    # then
    assert answer["previous"] == "F1" and answer["changed"]
    with network.connect() as conn:
        history = store_owner_history(conn, "S2")
        assert [(h["franchisee_id"], h["valid_from"], h["valid_to"]) for h in history] == [
            ("F1", START, HANDOVER),
            ("F2", HANDOVER, HANDOVER + timedelta(days=30)),
            (None, HANDOVER + timedelta(days=30), None),
        ]
        assert owner_at(conn, "S2", datetime(2025, 6, 1)) == "F1"
        assert owner_at(conn, "S2", HANDOVER - timedelta(microseconds=1)) == "F1"
        assert owner_at(conn, "S2", HANDOVER) == "F2"
        assert owner_at(conn, "S2", datetime(2027, 1, 1)) is None  # back to HQ
        assert owner_at(conn, "S2", datetime(2024, 1, 1)) is None  # before any record


def test_an_aware_time_is_taken_as_the_same_instant_in_utc(network):
    # given
    beijing = timezone(timedelta(hours=8))

    # when
    with network.begin() as conn:
        change_store_owner(conn, "S1", "F1", datetime(2026, 5, 1, 20, 0, tzinfo=beijing))

    # then
    with network.connect() as conn:
        assert store_owner_history(conn, "S1")[-1]["valid_from"] == HANDOVER
        assert owner_at(conn, "S1", datetime(2026, 5, 1, 12, 0, tzinfo=UTC)) == "F1"


def test_naming_the_current_owner_again_changes_nothing(network):
    # given
    with network.begin() as conn:
        # when
        answer = change_store_owner(conn, "S3", "F2", HANDOVER)

    # then
    assert not answer["changed"]
    with network.connect() as conn:
        assert len(store_owner_history(conn, "S3")) == 1


def test_unknown_stores_and_franchisees_and_backdated_changes_are_refused(network):
    # given
    with network.begin() as conn:
        # when / then
        with pytest.raises(NotFound, match="store 'S99'"):
            change_store_owner(conn, "S99", "F1", HANDOVER)
        with pytest.raises(NotFound, match="franchisee 'F9'"):
            change_store_owner(conn, "S1", "F9", HANDOVER)
        with pytest.raises(Refused) as refused:
            change_store_owner(conn, "S2", "F2", datetime(2024, 12, 31))
        with pytest.raises(NotFound):
            owner_at(conn, "S99", HANDOVER)

    [problem] = refused.value.problems
    assert (problem.where, problem.field) == ("store S2", "at")
    with network.connect() as conn:
        assert [h["franchisee_id"] for h in store_owner_history(conn, "S2")] == ["F1"]


def test_stores_of_a_franchisee_are_listed_now_and_at_a_past_time(network):
    # given
    with network.begin() as conn:
        change_store_owner(conn, "S3", "F1", HANDOVER)

    # when
    with network.connect() as conn:
        now = stores_of_franchisee(conn, "F1")
        before = stores_of_franchisee(conn, "F1", datetime(2026, 1, 1))
        f2_before = stores_of_franchisee(conn, "F2", datetime(2026, 1, 1))
        f2_now = stores_of_franchisee(conn, "F2")

    # then
    assert (now, before) == (["S2", "S3"], ["S2"])
    assert (f2_before, f2_now) == (["S3"], [])


def test_a_new_region_manager_takes_over_and_the_old_one_stays_in_history(network):
    # given
    with network.begin() as conn:
        change_region_manager(conn, "EAST", "Wang Fang", START)

        # when
        answer = change_region_manager(conn, "EAST", "Chen Jie", HANDOVER)
        change_region_manager(conn, "WEST", "Liu Yang", HANDOVER)
        change_region_manager(conn, "WEST", None, HANDOVER + timedelta(days=1))

    # then
    assert answer["previous"] == "Wang Fang"
    with network.connect() as conn:
        east = region_manager_history(conn, "EAST")
        assert [(m["manager"], m["valid_to"]) for m in east] == [
            ("Wang Fang", HANDOVER),
            ("Chen Jie", None),
        ]
        assert manager_at(conn, "EAST", datetime(2026, 1, 1)) == "Wang Fang"
        assert manager_at(conn, "EAST", HANDOVER) == "Chen Jie"
        assert manager_at(conn, "WEST", HANDOVER) == "Liu Yang"
        assert manager_at(conn, "WEST", HANDOVER + timedelta(days=2)) is None
        with pytest.raises(NotFound):
            region_manager_history(conn, "NORTH")
