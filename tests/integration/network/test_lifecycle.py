"""A store's lifecycle (planned -> open -> closed), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from storenet.errors import NotFound, Refused
from storenet.network.lifecycle import change_store_status
from storenet.store.engine import unit_of_work
from storenet.store.schema import stores


def _store(engine, store_id: str):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(select(stores).where(stores.c.id == store_id)).one()


def _plan_store(engine, store_id: str) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(
            update(stores)
            .where(stores.c.id == store_id)
            .values(status="planned", opened_on=None, closed_on=None)
        )


def test_a_planned_store_opens_then_closes_with_its_dates(network):
    _plan_store(network, "S1")
    opened = unit_of_work(network, lambda c: change_store_status(c, "S1", "open", date(2026, 3, 1)))
    assert opened["changed"] and (opened["before"], opened["after"]) == ("planned", "open")
    closed = unit_of_work(
        network, lambda c: change_store_status(c, "S1", "closed", date(2026, 9, 30))
    )
    assert closed["changed"]
    row = _store(network, "S1")
    assert (row.status, row.opened_on, row.closed_on) == (
        "closed",
        date(2026, 3, 1),
        date(2026, 9, 30),
    )


def test_the_same_status_again_changes_nothing(network):
    before = _store(network, "S2")
    again = unit_of_work(
        network, lambda c: change_store_status(c, "S2", before.status, date(2026, 5, 1))
    )
    assert not again["changed"] and _store(network, "S2") == before


def test_a_move_backwards_is_refused_naming_the_status(network):
    with pytest.raises(Refused) as refused:
        unit_of_work(network, lambda c: change_store_status(c, "S1", "planned", date(2026, 5, 1)))
    assert refused.value.problems[0].field == "status"
    assert _store(network, "S1").status == "open"


def test_closing_before_the_opening_day_is_refused_naming_the_day(network):
    opened_on = _store(network, "S3").opened_on
    assert opened_on is not None
    with pytest.raises(Refused) as refused:
        unit_of_work(
            network,
            lambda c: change_store_status(c, "S3", "closed", date(opened_on.year - 1, 1, 1)),
        )
    assert refused.value.problems[0].field == "on"
    assert _store(network, "S3").status == "open"


def test_an_unknown_store_is_not_found(network):
    with pytest.raises(NotFound):
        unit_of_work(network, lambda c: change_store_status(c, "NOPE", "open", date(2026, 1, 1)))
