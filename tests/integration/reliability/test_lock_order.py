"""RELIABILITY 7: lock order under load.

A soak (30 s on PostgreSQL by default, STORENET_SOAK_SECONDS overrides; a tenth of
that on SQLite) runs threads that transfer stock S1 -> S2 and S2 -> S1 (create, ship,
receive, sometimes short), book multi-line supplier receipts with their lines in
random order, and send POS batches selling and taking returns at both stores. No
failure may escape `unit_of_work`'s retries; afterwards the projection matches the
movements, units are conserved, and every balance equals an independent count of
what the threads did.

A deterministic companion pins the classic deadlock: two opposite shipments, each
paused after checking its source stock until the other has too.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time
import traceback
from collections import Counter

import pytest
from sqlalchemy import func, select, text

import storenet.ledger.transfers as transfers_module
from storenet.ledger import stock, transfers
from storenet.sales.ingest import ingest_pos_batch
from storenet.store.engine import unit_of_work
from storenet.store.schema import transfers as transfers_table
from tests.integration.reliability.helpers import (
    balance,
    ledger_errors,
    receive,
    run_threads,
)

SOAK_SECONDS = float(os.environ.get("STORENET_SOAK_SECONDS", "30"))
SITES = ("S1", "S2")
SKUS = ("K1", "K2", "K3", "K4")
START = 100_000  # units of each SKU at each site: shipments never lack stock


class Worker:
    """One soak thread: does its kind of work until the deadline, counting what it
    did to each (site, SKU) on hand, independently of the database."""

    def __init__(self, engine, name: str, seed: int, deadline: float) -> None:
        self.engine, self.name, self.deadline = engine, name, deadline
        self.rng = random.Random(seed)
        self.on_hand: Counter = Counter()
        self.done: Counter = Counter()
        self.errors: list[str] = []

    def run(self, step) -> None:
        n = 0
        try:
            while n == 0 or time.monotonic() < self.deadline:  # at least one step each
                n += 1
                step(f"{self.name}-{n}")
        except Exception:  # collected: the test fails naming it
            self.errors.append(f"{self.name}: {traceback.format_exc()}")

    def uow(self, work):
        return unit_of_work(self.engine, work)

    def transfer(self, source: str, destination: str):
        def step(ref: str) -> None:
            picked = self.rng.sample(SKUS, self.rng.randint(2, len(SKUS)))
            lines = [{"sku": sku, "qty": self.rng.randint(1, 5)} for sku in picked]
            short = self.rng.random() < 0.2
            arrived = {x["sku"]: x["qty"] - (i == 0 and short) for i, x in enumerate(lines)}
            self.uow(
                lambda c: transfers.create_transfer(
                    c,
                    key=f"{ref}-create",
                    transfer_id=ref,
                    source=source,
                    destination=destination,
                    lines=lines,
                )
            )
            self.uow(lambda c: transfers.ship_transfer(c, key=f"{ref}-ship", transfer_id=ref))
            self.uow(
                lambda c: transfers.receive_transfer(
                    c, key=f"{ref}-receive", transfer_id=ref, received=arrived
                )
            )
            for x in lines:
                self.on_hand[(source, x["sku"])] -= x["qty"]
                self.on_hand[(destination, x["sku"])] += arrived[x["sku"]]
            self.done["transfers"] += 1

        return step

    def receipts(self, ref: str) -> None:
        site = self.rng.choice(SITES)
        lines = [{"sku": sku, "qty": self.rng.randint(1, 9)} for sku in SKUS]
        self.rng.shuffle(lines)
        self.uow(lambda c: stock.receive_from_supplier(c, key=ref, location=site, lines=lines))
        for x in lines:
            self.on_hand[(site, x["sku"])] += x["qty"]
        self.done["receipts"] += 1

    def pos(self, ref: str) -> None:
        lines = []
        for n, sku in enumerate(self.rng.sample(SKUS, self.rng.randint(1, len(SKUS))), 1):
            lines.append(
                {
                    "store": self.rng.choice(SITES),
                    "device": self.name,
                    "receipt": ref,
                    "line": n,
                    "sku": sku,
                    "qty": self.rng.randint(1, 3),
                    "unit_price": "19.90",
                    "at": "2026-11-23T12:00:00+08:00",
                    "kind": "return" if self.rng.random() < 0.2 else "sale",
                }
            )
        answer = self.uow(lambda c: ingest_pos_batch(c, key=ref, lines=lines))
        assert answer["accepted"] == len(lines), answer
        for x in lines:
            sign = 1 if x["kind"] == "return" else -1
            self.on_hand[(x["store"], x["sku"])] += sign * x["qty"]
        self.done["pos batches"] += 1


@pytest.mark.slow
def test_opposite_transfers_receipts_and_sales_under_load_lose_nothing_and_fail_nothing(
    network, retries
):
    # given 100 000 units of every SKU at S1 and at S2
    for site in SITES:
        receive(network, site, [{"sku": sku, "qty": START} for sku in SKUS])
    seconds = SOAK_SECONDS if network.dialect.name == "postgresql" else SOAK_SECONDS / 10
    deadline = time.monotonic() + seconds
    workers = [Worker(network, f"w{n}", 7000 + n, deadline) for n in range(7)]
    steps = [
        workers[0].transfer("S1", "S2"),
        workers[1].transfer("S1", "S2"),
        workers[2].transfer("S2", "S1"),
        workers[3].transfer("S2", "S1"),
        workers[4].receipts,
        workers[5].pos,
        workers[6].pos,
    ]

    # when they all run at once until the deadline
    run_threads([lambda w=w, s=s: w.run(s) for w, s in zip(workers, steps)], timeout=seconds + 120)

    # then no failure escaped the retries, and every kind of work was done
    errors = [e for w in workers for e in w.errors]
    assert errors == [], "\n".join(errors)
    done = sum((w.done for w in workers), Counter())
    print(f"\nsoak {seconds:.0f}s on {network.dialect.name}: {dict(done)}, retried {dict(retries)}")
    assert min(done["transfers"], done["receipts"], done["pos batches"]) > 0, done
    # and the ledger is consistent and conserved
    with network.connect() as conn:
        assert ledger_errors(conn) == ([], {})
        statuses = dict(
            conn.execute(
                select(transfers_table.c.status, func.count()).group_by(transfers_table.c.status)
            ).all()
        )
        assert statuses == {"received": done["transfers"]}
    # and every balance equals the threads' own count of what they did
    counted: Counter = Counter()
    for w in workers:
        counted.update(w.on_hand)  # update() adds and keeps negatives; + would drop them
    for site in SITES:
        for sku in SKUS:
            assert balance(network, site, sku) == (START + counted[(site, sku)], 0, 0, 0), (
                site,
                sku,
            )


@pytest.mark.postgres
def test_opposite_shipments_take_their_row_locks_in_one_order_and_never_deadlock(
    pg_network, retries, monkeypatch
):
    # given stock of K1 and K2 at S1 and S2, and draft transfers S1 -> S2 and S2 -> S1
    for site in SITES:
        receive(pg_network, site, [{"sku": "K1", "qty": 10}, {"sku": "K2", "qty": 10}])
    for ref, src, dst in (("T-12", "S1", "S2"), ("T-21", "S2", "S1")):
        unit_of_work(
            pg_network,
            lambda c, r=ref, s=src, d=dst: transfers.create_transfer(
                c,
                key=f"{r}-create",
                transfer_id=r,
                source=s,
                destination=d,
                lines=[{"sku": "K1", "qty": 2}, {"sku": "K2", "qty": 3}],
            ),
        )
    # a seam: each shipment, once it has checked its stock, waits for the other to
    # have checked too (or 2 s, when the other is queued behind its locks)
    both_checked = threading.Barrier(2)
    real_post = transfers_module.post_movements
    paused = set()

    def post_after_the_other_checked(*args, **kwargs):
        me = threading.current_thread().name
        if me not in paused:
            paused.add(me)
            with contextlib.suppress(threading.BrokenBarrierError):
                both_checked.wait(timeout=2)
        return real_post(*args, **kwargs)

    monkeypatch.setattr(transfers_module, "post_movements", post_after_the_other_checked)
    answers = {}

    def ship() -> None:
        ref = threading.current_thread().name
        answers[ref] = unit_of_work(
            pg_network,
            lambda c: transfers.ship_transfer(c, key=f"{ref}-ship", transfer_id=ref),
        )

    # when both ship at once
    run_threads([ship, ship], names=["T-12", "T-21"], timeout=60)

    # then both shipped in full
    assert {ref: a["status"] for ref, a in answers.items()} == {
        "T-12": "shipped",
        "T-21": "shipped",
    }
    assert balance(pg_network, "S1", "K1") == (8, 2, 0, 0)
    assert balance(pg_network, "S2", "K2") == (7, 3, 0, 0)
    with pg_network.connect() as conn:
        assert ledger_errors(conn) == ([], {})
        assert conn.execute(text("SELECT count(*) FROM transfers")).scalar() == 2
    # and no deadlock had to be broken by the database and retried
    assert retries["40P01"] == 0, dict(retries)
