"""RELIABILITY item 1: a stateful property test of the ledger against an in-memory model.

Random sequences of receive, transfer (create + ship, between the stores, the regional
warehouse WE and the central WC; a store's return goes to WE only), cancel of a draft,
receive (full or short), sell, return, count, scrap, hold, release, reserve and
unreserve run on a real database. After every step: each SKU nets to zero over all
locations, the database's balances equal the model's, the projection equals a rebuild
from movements, and units in transit equal what the shipped transfers carry.

Each example uses fresh SKU ids in the same database (unique ids need no cleanup).
"""

from __future__ import annotations

import itertools
import uuid
from datetime import date

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, insert, select

from storenet.errors import InsufficientStock, Refused
from storenet.ledger import reservations, stock, transfers
from storenet.ledger.locations import location_ids
from storenet.ledger.verify import conservation_errors, transit_errors, verify_balances
from storenet.sales.ingest import ingest_pos_batch
from storenet.store.engine import unit_of_work
from storenet.store.schema import balances, skus

LOCATIONS = ("S1", "S2", "WE", "WC")
STORES = ("S1", "S2")
counter = itertools.count()


def make_machine(engine: Engine):
    class LedgerMachine(RuleBasedStateMachine):
        @initialize()
        def fresh_skus(self) -> None:
            tag = uuid.uuid4().hex[:8]
            self.skus = [f"{tag}-A", f"{tag}-B"]
            with engine.begin() as conn:
                conn.execute(
                    insert(skus),
                    [
                        {
                            "id": k,
                            "name": k,
                            "category": "accessory",
                            "model": "m",
                            "launch_on": date(2025, 1, 1),
                            "cost_cents": 1,
                            "price_cents": 2,
                        }
                        for k in self.skus
                    ],
                )
                self.loc = location_ids(conn)
            # model: (location, sku) -> [on_hand, in_transit, reserved, held]
            self.model: dict[tuple[str, str], list[int]] = {}
            self.shipped: list[tuple[str, str, str, int]] = []  # transfer, dst, sku, qty

        def row(self, loc: str, sku: str) -> list[int]:
            return self.model.setdefault((loc, sku), [0, 0, 0, 0])

        def key(self) -> str:
            return f"k{next(counter)}-{uuid.uuid4().hex[:6]}"

        @rule(loc=st.sampled_from(LOCATIONS), sku=st.integers(0, 1), qty=st.integers(1, 20))
        def receive(self, loc, sku, qty):
            unit_of_work(
                engine,
                lambda c: stock.receive_from_supplier(
                    c, key=self.key(), location=loc, lines=[{"sku": self.skus[sku], "qty": qty}]
                ),
            )
            self.row(loc, self.skus[sku])[0] += qty

        @rule(
            src=st.sampled_from(LOCATIONS),
            dst=st.sampled_from(LOCATIONS),
            sku=st.integers(0, 1),
            qty=st.integers(1, 10),
        )
        def transfer_and_ship(self, src, dst, sku, qty):
            if src == dst:
                return
            k, tid = self.skus[sku], f"T{uuid.uuid4().hex[:10]}"

            def create(c):  # type: ignore[no-untyped-def]
                return transfers.create_transfer(
                    c,
                    key=self.key(),
                    transfer_id=tid,
                    source=src,
                    destination=dst,
                    lines=[{"sku": k, "qty": qty}],
                )

            if src in STORES and dst == "WC":
                # Not the store's warehouse (WE): a store returns stock only there.
                with pytest.raises(Refused, match="destination"):
                    unit_of_work(engine, create)
                return
            unit_of_work(engine, create)
            free = self.row(src, k)[0] - self.row(src, k)[2]
            try:
                unit_of_work(
                    engine, lambda c: transfers.ship_transfer(c, key=self.key(), transfer_id=tid)
                )
            except InsufficientStock:
                assert free < qty
                return
            assert free >= qty
            self.row(src, k)[0] -= qty
            self.row(dst, k)[1] += qty
            self.shipped.append((tid, dst, k, qty))

        @rule(src=st.sampled_from(("WE", "WC")), sku=st.integers(0, 1), qty=st.integers(1, 10))
        def create_and_cancel(self, src, sku, qty):
            # A cancelled draft moves nothing, whatever the source holds.
            tid = f"T{uuid.uuid4().hex[:10]}"
            dst = "S1" if src == "WE" else "WE"

            def work(c):  # type: ignore[no-untyped-def]
                transfers.create_transfer(
                    c,
                    key=self.key(),
                    transfer_id=tid,
                    source=src,
                    destination=dst,
                    lines=[{"sku": self.skus[sku], "qty": qty}],
                )
                return transfers.cancel_transfer(c, key=self.key(), transfer_id=tid, reason="r")

            assert unit_of_work(engine, work)["status"] == "cancelled"

        @precondition(lambda self: self.shipped)
        @rule(short=st.integers(0, 3), data=st.data())
        def receive_transfer(self, short, data):
            tid, dst, k, qty = self.shipped.pop(data.draw(st.integers(0, len(self.shipped) - 1)))
            got = max(qty - short, 0)
            unit_of_work(
                engine,
                lambda c: transfers.receive_transfer(
                    c, key=self.key(), transfer_id=tid, received={k: got}
                ),
            )
            self.row(dst, k)[1] -= qty
            self.row(dst, k)[0] += got

        @rule(
            store=st.sampled_from(STORES),
            sku=st.integers(0, 1),
            qty=st.integers(1, 5),
            kind=st.sampled_from(["sale", "return"]),
        )
        def pos(self, store, sku, qty, kind):
            line = {
                "store": store,
                "device": "d1",
                "receipt": uuid.uuid4().hex[:12],
                "line": 1,
                "sku": self.skus[sku],
                "qty": qty,
                "unit_price": "9.90",
                "at": "2026-11-20T10:00:00+08:00",
                "kind": kind,
            }
            unit_of_work(engine, lambda c: ingest_pos_batch(c, key=self.key(), lines=[line]))
            self.row(store, self.skus[sku])[0] += -qty if kind == "sale" else qty

        @rule(loc=st.sampled_from(LOCATIONS), sku=st.integers(0, 1), counted=st.integers(0, 30))
        def count(self, loc, sku, counted):
            unit_of_work(
                engine,
                lambda c: stock.record_count(
                    c, key=self.key(), location=loc, sku=self.skus[sku], counted=counted
                ),
            )
            self.row(loc, self.skus[sku])[0] = counted

        @rule(
            loc=st.sampled_from(LOCATIONS),
            sku=st.integers(0, 1),
            qty=st.integers(1, 5),
            op=st.sampled_from(["scrap", "hold", "reserve"]),
        )
        def take_free_units(self, loc, sku, qty, op):
            k = self.skus[sku]
            r = self.row(loc, k)
            free = r[0] - r[2]
            call = {
                "scrap": lambda c: stock.scrap_stock(
                    c, key=self.key(), location=loc, sku=k, qty=qty
                ),
                "hold": lambda c: stock.hold_stock(c, key=self.key(), location=loc, sku=k, qty=qty),
                "reserve": lambda c: reservations.reserve_stock(
                    c, key=self.key(), location=loc, sku=k, qty=qty, reference="order"
                ),
            }[op]
            try:
                unit_of_work(engine, call)
            except InsufficientStock:
                assert free < qty
                return
            assert free >= qty
            if op == "reserve":
                r[2] += qty
            else:
                r[0] -= qty
                if op == "hold":
                    r[3] += qty

        @rule(
            loc=st.sampled_from(LOCATIONS),
            sku=st.integers(0, 1),
            qty=st.integers(1, 5),
            op=st.sampled_from(["release", "unreserve", "scrap_held"]),
        )
        def give_back(self, loc, sku, qty, op):
            k = self.skus[sku]
            r = self.row(loc, k)
            have = r[2] if op == "unreserve" else r[3]
            call = {
                "release": lambda c: stock.release_stock(
                    c, key=self.key(), location=loc, sku=k, qty=qty
                ),
                "unreserve": lambda c: reservations.release_reservation(
                    c, key=self.key(), location=loc, sku=k, qty=qty, reference="order"
                ),
                "scrap_held": lambda c: stock.scrap_stock(
                    c, key=self.key(), location=loc, sku=k, qty=qty, from_held=True
                ),
            }[op]
            try:
                unit_of_work(engine, call)
            except Refused:
                assert have < qty
                return
            assert have >= qty
            if op == "unreserve":
                r[2] -= qty
            else:
                r[3] -= qty
                if op == "release":
                    r[0] += qty

        @invariant()
        def ledger_matches_model_and_is_conserved(self):
            with engine.connect() as conn:
                unbalanced = conservation_errors(conn)
                assert not {k: v for k, v in unbalanced.items() if k in self.skus}
                assert verify_balances(conn) == []
                assert transit_errors(conn) == []
                names = {v: k for k, v in self.loc.items()}
                got = {
                    (names[r.location_id], r.sku_id): [r.on_hand, r.in_transit, r.reserved, r.held]
                    for r in conn.execute(select(balances).where(balances.c.sku_id.in_(self.skus)))
                }
            want = {k: v for k, v in self.model.items() if any(v)}
            assert {k: v for k, v in got.items() if any(v)} == want

    return LedgerMachine


@pytest.mark.slow
def test_every_sequence_of_stock_operations_conserves_units_and_matches_the_model(network):
    # given a seeded network on this database
    machine = make_machine(network)
    # when random operation sequences run, then the invariants hold after every step
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=12,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
