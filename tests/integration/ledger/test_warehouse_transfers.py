"""Transfers between warehouses (central -> regional, regional -> regional, a regional's
return to its central) and the rules on every route, on SQLite and PostgreSQL
(RELIABILITY 19 and 21): short and over receipts balance through count difference,
replayed receipts change nothing, a draft can be cancelled (its serials released),
every change of status is a dated transition with who and why, nothing is deleted,
and of two concurrent changes of one transfer one wins and the other is refused."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text

from storenet.errors import InsufficientStock, NotFound, Refused
from storenet.ledger.locations import TRANSIT, location_ids
from storenet.ledger.posting import Movement, post_movements
from storenet.ledger.verify import transit_errors
from storenet.store.clock import utc_now
from storenet.store.engine import unit_of_work
from storenet.store.schema import (
    discrepancies,
    movements,
    transfer_lines,
    transfer_serials,
    transfer_transitions,
    transfers,
)
from tests.integration.ledger.chain import (
    balance,
    cancel,
    count_rows,
    create,
    ledger_is_clean,
    make_chain,
    receive,
    receive_transfer,
    ship,
    steps,
)
from tests.integration.reliability.helpers import run_threads


@pytest.fixture
def chain(network):
    return make_chain(network)


@pytest.fixture
def pg_chain(pg_network):
    return make_chain(pg_network)


def test_central_to_regional_ships_into_transit_and_a_short_and_an_over_receipt_balance(chain):
    # given 100 K1 and 50 K2 at the central warehouse
    receive(chain, "WC", [{"sku": "K1", "qty": 100}, {"sku": "K2", "qty": 50}])
    create(
        chain,
        "T-WC-WE",
        "WC",
        "WE",
        [{"sku": "K1", "qty": 60}, {"sku": "K2", "qty": 20}],
        by="planner1",
        reason="weekly refill",
    )
    # when shipped, then the central lost the units and WE counts them in transit
    ship(chain, "T-WC-WE", by="clerk-wc")
    assert balance(chain, "WC", "K1") == (40, 0, 0, 0)
    assert balance(chain, "WE", "K1") == (0, 60, 0, 0)
    assert balance(chain, "WE", "K2") == (0, 20, 0, 0)
    assert ledger_is_clean(chain)
    # when 57 K1 (3 short) and 22 K2 (2 over) arrive
    answer = receive_transfer(chain, "T-WC-WE", received={"K1": 57, "K2": 22}, by="clerk-we")
    # then WE has what arrived, nothing is in transit, and each difference is raised
    assert answer["discrepancies"] == 2
    assert balance(chain, "WE", "K1") == (57, 0, 0, 0)
    assert balance(chain, "WE", "K2") == (22, 0, 0, 0)
    with chain.connect() as conn:
        raised = conn.execute(
            select(discrepancies.c.sku_id, discrepancies.c.kind).order_by(discrepancies.c.sku_id)
        ).all()
    assert [tuple(r) for r in raised] == [("K1", "transfer_short"), ("K2", "transfer_over")]
    # and the differences balance through count difference: every SKU still nets to 0
    assert ledger_is_clean(chain)
    # and the life of the document is kept in order, with who and why
    assert steps(chain, "T-WC-WE") == [
        ("", "draft", "planner1", "weekly refill"),
        ("draft", "shipped", "clerk-wc", ""),
        ("shipped", "received", "clerk-we", ""),
    ]


@pytest.mark.parametrize(
    ("source", "destination"),
    [("WE", "WW"), ("WW", "WC"), ("WC", "S1"), ("S1", "S2"), ("S3", "WW")],
    ids=[
        "regional-to-regional",
        "return-to-central",
        "central-to-store",
        "store-to-store",
        "store-return",
    ],
)
def test_every_route_through_the_chain_ships_and_receives(chain, source, destination):
    # given stock at the source
    receive(chain, source, [{"sku": "K3", "qty": 10}])
    # when 4 are sent and all arrive
    create(chain, "T", source, destination, [{"sku": "K3", "qty": 4}])
    ship(chain, "T")
    assert balance(chain, destination, "K3")[1] == 4
    receive_transfer(chain, "T")
    # then the units moved and the ledger checks out
    assert balance(chain, source, "K3")[0] == 6
    assert balance(chain, destination, "K3")[:2] == (4, 0)
    assert ledger_is_clean(chain)


@pytest.mark.parametrize(
    ("source", "destination", "reason"),
    [
        ("WE", "WE", "must differ from source"),
        ("S1", "WC", "only as a return to the warehouse that supplies it (WE)"),
        ("S1", "WW", "only as a return to the warehouse that supplies it (WE)"),
        ("S3", "WE", "only as a return to the warehouse that supplies it (WW)"),
        ("WE", "NOWHERE", "is not a known store or warehouse"),
    ],
)
def test_a_route_that_makes_no_sense_is_refused_naming_the_destination(
    chain, source, destination, reason
):
    receive(chain, source if source != "NOWHERE" else "WE", [{"sku": "K1", "qty": 5}])
    with pytest.raises(Refused) as refused:
        create(chain, "T-BAD", source, destination, [{"sku": "K1", "qty": 1}])
    [problem] = refused.value.problems
    assert problem.field == "destination" and reason in problem.reason
    assert count_rows(chain, transfers) == 0 and count_rows(chain, transfer_transitions) == 0


def test_a_replayed_receipt_changes_nothing_and_a_second_receipt_is_refused(chain):
    # given a received transfer WC -> WE, one short
    receive(chain, "WC", [{"sku": "K1", "qty": 10}])
    create(chain, "T1", "WC", "WE", [{"sku": "K1", "qty": 10}])
    ship(chain, "T1")
    first = receive_transfer(chain, "T1", key="r1", received={"K1": 9})
    before = (count_rows(chain, movements), count_rows(chain, discrepancies))
    # when the same receipt is sent again under its key, then the first answer comes back
    assert receive_transfer(chain, "T1", key="r1", received={"K1": 9}) == first
    # and another receipt (another key) is refused naming the status: received once
    with pytest.raises(Refused, match="transfer is received; only a shipped transfer"):
        receive_transfer(chain, "T1", key="r2", received={"K1": 10})
    # and nothing changed
    assert (count_rows(chain, movements), count_rows(chain, discrepancies)) == before
    assert balance(chain, "WE", "K1") == (9, 0, 0, 0)
    assert len(steps(chain, "T1")) == 3
    assert ledger_is_clean(chain)


def test_cancelling_a_draft_moves_nothing_releases_its_serials_and_keeps_the_document(chain):
    # given two phones at WC named on a draft to WE
    receive(chain, "WC", [{"sku": "PH1", "qty": 2, "serials": ["P-1", "P-2"]}])
    create(chain, "T-A", "WC", "WE", [{"sku": "PH1", "qty": 2, "serials": ["P-1", "P-2"]}])
    with pytest.raises(Refused, match="already named on draft transfer T-A"):
        create(chain, "T-B", "WC", "WW", [{"sku": "PH1", "qty": 1, "serials": ["P-1"]}])
    movements_before = count_rows(chain, movements)
    # when the draft is cancelled
    answer = cancel(chain, "T-A", reason="sent by road instead", by="planner1")
    # then no stock moved, the serials are free again and the draft stays, cancelled
    assert answer == {
        "transfer": "T-A",
        "status": "cancelled",
        "serials_released": ["P-1", "P-2"],
    }
    assert count_rows(chain, movements) == movements_before
    assert balance(chain, "WC", "PH1") == (2, 0, 0, 0)
    create(chain, "T-B", "WC", "WW", [{"sku": "PH1", "qty": 1, "serials": ["P-1"]}])
    assert ship(chain, "T-B")["serials"] == {"PH1": ["P-1"]}
    with chain.connect() as conn:
        kept = conn.execute(select(transfers.c.status).where(transfers.c.id == "T-A")).scalar()
        lines = conn.execute(select(transfer_lines).where(transfer_lines.c.transfer_id == "T-A"))
        named = conn.execute(
            select(transfer_serials.c.serial).where(transfer_serials.c.transfer_id == "T-A")
        )
        assert kept == "cancelled" and len(lines.all()) == 1 and len(named.all()) == 2
    assert steps(chain, "T-A") == [
        ("", "draft", "system", ""),
        ("draft", "cancelled", "planner1", "sent by road instead"),
    ]
    assert ledger_is_clean(chain)


def test_no_state_is_skipped_and_a_cancel_needs_a_reason(chain):
    receive(chain, "WC", [{"sku": "K1", "qty": 5}])
    create(chain, "T1", "WC", "WE", [{"sku": "K1", "qty": 5}])
    # a draft is not received, a cancel says why
    with pytest.raises(Refused, match="transfer is draft; only a shipped transfer can receive"):
        receive_transfer(chain, "T1")
    with pytest.raises(Refused, match="reason: is required"):
        cancel(chain, "T1", reason="  ")
    ship(chain, "T1")
    # a shipped transfer is neither cancelled nor shipped again
    with pytest.raises(Refused, match="transfer is shipped; only a draft transfer can cancel"):
        cancel(chain, "T1")
    with pytest.raises(Refused, match="transfer is shipped; only a draft transfer can ship"):
        ship(chain, "T1", key="again")
    with pytest.raises(NotFound):
        cancel(chain, "T-NONE")
    assert [s[:2] for s in steps(chain, "T1")] == [("", "draft"), ("draft", "shipped")]
    assert balance(chain, "WE", "K1") == (0, 5, 0, 0)


def test_a_shipment_refused_for_stock_writes_no_transition(chain):
    receive(chain, "WC", [{"sku": "K1", "qty": 2}])
    create(chain, "T1", "WC", "WE", [{"sku": "K1", "qty": 3}])
    with pytest.raises(InsufficientStock):
        ship(chain, "T1")
    assert [s[1] for s in steps(chain, "T1")] == ["draft"]


def test_verify_names_units_in_transit_that_no_shipped_transfer_carries(chain):
    # given a received transfer, and units put in transit behind the documents' back
    receive(chain, "WC", [{"sku": "K1", "qty": 5}])
    create(chain, "T1", "WC", "WE", [{"sku": "K1", "qty": 2}])
    ship(chain, "T1")
    with chain.connect() as conn:
        wc, we = location_ids(conn)["WC"], location_ids(conn)["WE"]
    unit_of_work(
        chain,
        lambda c: post_movements(
            c, [Movement("ship", "K1", wc, TRANSIT, 3, utc_now(), site_location=we)], utc_now()
        ),
    )
    # then the check names the destination, the SKU and both figures
    with chain.connect() as conn:
        found = [str(m) for m in transit_errors(conn)]
    assert found == [
        "WE K1 in_transit: the ledger says 5, shipped transfers not yet received carry 2"
    ]


def _race(engine, transfer_id: str, commands: dict) -> dict[str, object]:
    """Run `commands` (name -> callable) at once; name -> answer or exception."""
    outcome: dict[str, object] = {}
    start = threading.Barrier(len(commands))

    def runner(name, command):  # type: ignore[no-untyped-def]
        def run() -> None:
            start.wait()
            try:
                outcome[name] = command()
            except Exception as error:  # the loser's refusal is the point
                outcome[name] = error

        return run

    run_threads([runner(n, c) for n, c in commands.items()], timeout=60, names=list(commands))
    return outcome


@pytest.mark.postgres
def test_two_concurrent_shipments_of_one_transfer_one_wins_the_other_is_refused(pg_chain):
    receive(pg_chain, "WC", [{"sku": "K1", "qty": 50}])
    for n in range(5):
        tid = f"T{n}"
        create(pg_chain, tid, "WC", "WE", [{"sku": "K1", "qty": 3}])
        outcome = _race(
            pg_chain,
            tid,
            {
                "a": lambda t=tid: ship(pg_chain, t, key=f"{t}-a", by="a"),
                "b": lambda t=tid: ship(pg_chain, t, key=f"{t}-b", by="b"),
            },
        )
        won = [k for k, v in outcome.items() if isinstance(v, dict)]
        lost = [v for v in outcome.values() if not isinstance(v, dict)]
        assert len(won) == 1, outcome
        assert isinstance(lost[0], Refused) and "transfer is shipped" in str(lost[0])
        assert steps(pg_chain, tid)[1] == ("draft", "shipped", won[0], "")
        assert len(steps(pg_chain, tid)) == 2
    # each transfer shipped once: 5 x 3 units left WC, and nothing else
    assert balance(pg_chain, "WC", "K1") == (35, 0, 0, 0)
    assert balance(pg_chain, "WE", "K1") == (0, 15, 0, 0)
    with pg_chain.connect() as conn:
        shipped = conn.execute(text("SELECT COUNT(*) FROM movements WHERE kind = 'ship'")).scalar()
    assert shipped == 5
    assert ledger_is_clean(pg_chain)


@pytest.mark.postgres
def test_a_shipment_racing_a_cancel_one_wins_and_nothing_is_half_written(pg_chain):
    receive(pg_chain, "WC", [{"sku": "K1", "qty": 50}])
    results = []
    for n in range(6):
        tid = f"T{n}"
        create(pg_chain, tid, "WC", "WW", [{"sku": "K1", "qty": 2}])
        outcome = _race(
            pg_chain,
            tid,
            {
                "ship": lambda t=tid: ship(pg_chain, t),
                "cancel": lambda t=tid: cancel(pg_chain, t, reason="race"),
            },
        )
        won = [k for k, v in outcome.items() if isinstance(v, dict)]
        assert len(won) == 1, outcome
        loser = outcome["cancel" if won == ["ship"] else "ship"]
        assert isinstance(loser, Refused), loser
        final = "shipped" if won == ["ship"] else "cancelled"
        assert [s[1] for s in steps(pg_chain, tid)] == ["draft", final]
        results.append(final)
    shipped = results.count("shipped")
    assert balance(pg_chain, "WW", "K1") == (0, 2 * shipped, 0, 0)
    assert balance(pg_chain, "WC", "K1") == (50 - 2 * shipped, 0, 0, 0)
    assert ledger_is_clean(pg_chain)
