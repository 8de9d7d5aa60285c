"""storenet.transfer_decisions (and the receipt in storenet.stockroom): each change of a
transfer taken by a person is checked against their scope, audited once under their
name, and recorded as a transition by them; a franchise owner sends stock between
their own stores or back to the warehouse, never into another franchisee's store."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select

from storenet import transfer_decisions
from storenet.accounts.errors import Denied
from storenet.accounts.principal import Principal
from storenet.errors import Refused
from storenet.network.ownership import change_region_manager
from storenet.stockroom import receive_shipped_transfer
from storenet.store.clock import utc_now
from storenet.store.engine import unit_of_work
from storenet.store.schema import audit_log, transfer_transitions, transfers
from tests.integration.ledger.chain import balance, ledger_is_clean, make_chain, receive, steps
from tests.integration.reliability.helpers import run_threads

PLANNER = Principal(1, "hq-ann", "hq_planner", 0, "cli")
MANAGER_WE = Principal(2, "rm-east", "regional_manager", 0, "cli")
OWNER_F1 = Principal(3, "li-wei", "franchise_owner", 0, "cli", franchisee_id="F1")
MANAGER_S1 = Principal(4, "sm-s1", "store_manager", 0, "cli", store_id="S1")


@pytest.fixture
def chain(network):
    make_chain(network)
    unit_of_work(network, lambda c: change_region_manager(c, "EAST", "rm-east", utc_now()))
    for where in ("WC", "WE", "S1", "S2"):
        receive(network, where, [{"sku": "K1", "qty": 20}])
    return network


def _entries(engine, action: str | None = None) -> list[tuple]:  # type: ignore[no-untyped-def]
    q = select(audit_log.c.actor, audit_log.c.action, audit_log.c.target, audit_log.c.after)
    if action:
        q = q.where(audit_log.c.action == action)
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(q.order_by(audit_log.c.seq))]


def _create(engine, who, transfer_id, source, destination, key="c", **more):  # type: ignore[no-untyped-def]
    return unit_of_work(
        engine,
        lambda c: transfer_decisions.create(
            c,
            who,
            key=key,
            transfer_id=transfer_id,
            source=source,
            destination=destination,
            lines=[{"sku": "K1", "qty": 5}],
            **more,
        ),
    )


def test_a_warehouse_transfer_is_audited_and_recorded_under_each_persons_name(chain):
    # given a planner's transfer from the central to the east regional
    _create(chain, PLANNER, "T1", "WC", "WE", reason="refill")
    # when the planner ships it and the regional manager receives it, 4 of 5
    unit_of_work(chain, lambda c: transfer_decisions.ship(c, PLANNER, key="s", transfer_id="T1"))
    unit_of_work(
        chain,
        lambda c: receive_shipped_transfer(
            c, MANAGER_WE, key="r", transfer_id="T1", received={"K1": 4}
        ),
    )
    # then each step has one audit entry under its person, and a transition by them
    entries = _entries(chain)
    assert [(a, b, t) for a, b, t, _ in entries] == [
        ("hq-ann", "transfer.create", "transfer:T1"),
        ("hq-ann", "transfer.ship", "transfer:T1"),
        ("rm-east", "transfer.receive", "transfer:T1"),
    ]
    assert json.loads(entries[0][3]) == {
        "status": "draft",
        "source": "WC",
        "destination": "WE",
        "lines": 1,
        "reason": "refill",
    }
    assert steps(chain, "T1") == [
        ("", "draft", "hq-ann", "refill"),
        ("draft", "shipped", "hq-ann", ""),
        ("shipped", "received", "rm-east", ""),
    ]
    assert balance(chain, "WE", "K1") == (24, 0, 0, 0)
    assert ledger_is_clean(chain)


def test_a_replayed_decision_writes_no_second_audit_entry_or_transition(chain):
    _create(chain, MANAGER_S1, "T1", "S1", "WE")
    first = unit_of_work(
        chain,
        lambda c: transfer_decisions.cancel(c, MANAGER_S1, key="x", transfer_id="T1", reason="no"),
    )
    again = unit_of_work(
        chain,
        lambda c: transfer_decisions.cancel(c, MANAGER_S1, key="x", transfer_id="T1", reason="no"),
    )
    assert first == again and first["status"] == "cancelled"
    assert len(_entries(chain, "transfer.cancel")) == 1
    assert [s[1] for s in steps(chain, "T1")] == ["draft", "cancelled"]


def test_a_franchise_owner_cannot_send_stock_into_another_franchisees_store(chain):
    # F1 owns S2. Another franchisee's store (S3), an HQ store (S1) and an unknown place
    # all answer as unknown locations; nothing is written.
    for destination in ("S3", "S1", "NOWHERE"):
        with pytest.raises(Denied) as denied:
            _create(chain, OWNER_F1, f"T-{destination}", "S2", destination, key=destination)
        assert denied.value.hidden and denied.value.target == destination
    with chain.connect() as conn:
        assert conn.execute(select(transfers)).all() == []
        assert conn.execute(select(transfer_transitions)).all() == []
    # but a return to the warehouse that supplies S2 goes through
    assert _create(chain, OWNER_F1, "T-back", "S2", "WE", key="back")["status"] == "draft"


def test_a_return_goes_to_the_sources_own_warehouse_only(chain):
    # the east manager holds WE and may return its stock to its central, WC
    assert _create(chain, MANAGER_WE, "T-up", "WE", "WC")["status"] == "draft"
    # a store manager may return to S1's warehouse, but not send to another store
    assert _create(chain, MANAGER_S1, "T-ret", "S1", "WE", key="r")["status"] == "draft"
    with pytest.raises(Denied):
        _create(chain, MANAGER_S1, "T-S4", "S1", "S4", key="s4")
    # and the ledger refuses a store sending to a warehouse that is not its own
    with pytest.raises(Refused, match="destination"):
        _create(chain, PLANNER, "T-wrong", "S1", "WW", key="w")


def test_ship_and_cancel_answer_an_unseen_transfer_as_an_unknown_one(chain):
    _create(chain, PLANNER, "T1", "WC", "WE")
    for act in (
        lambda c: transfer_decisions.ship(c, OWNER_F1, key="s", transfer_id="T1"),
        lambda c: transfer_decisions.cancel(c, OWNER_F1, key="c", transfer_id="T1", reason="x"),
    ):
        with pytest.raises(Denied) as denied:
            unit_of_work(chain, act)
        assert denied.value.hidden and denied.value.kind == "transfer"
    assert [s[1] for s in steps(chain, "T1")] == ["draft"]


@pytest.mark.postgres
def test_two_people_shipping_one_transfer_at_once_leave_one_audit_entry(pg_network):
    make_chain(pg_network)
    receive(pg_network, "WC", [{"sku": "K1", "qty": 20}])
    _create(pg_network, PLANNER, "T1", "WC", "WE")
    other = Principal(9, "hq-bo", "hq_planner", 0, "cli")
    outcome: dict[str, object] = {}
    start = threading.Barrier(2)

    def shipper(who: Principal):  # type: ignore[no-untyped-def]
        def run() -> None:
            start.wait()
            try:
                outcome[who.username] = unit_of_work(
                    pg_network,
                    lambda c: transfer_decisions.ship(c, who, key="ship", transfer_id="T1"),
                )
            except Refused as error:
                outcome[who.username] = error

        return run

    run_threads([shipper(PLANNER), shipper(other)], timeout=60)
    winners = [name for name, v in outcome.items() if isinstance(v, dict)]
    assert len(winners) == 1, outcome
    assert [e[0] for e in _entries(pg_network, "transfer.ship")] == winners
    assert steps(pg_network, "T1")[-1] == ("draft", "shipped", winners[0], "")
    assert balance(pg_network, "WE", "K1") == (0, 5, 0, 0)
    assert ledger_is_clean(pg_network)
