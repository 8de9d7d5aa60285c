"""RELIABILITY 10: late, shuffled, duplicated offline sales from two devices.

Two tills of store S1 ring up sales and returns over four days while offline, then
send them in batches: out of order, some batches resent under new keys, some lines
repeated in a later batch. Each receipt line must be stored once, the balances must
equal applying the lines in time order, balances as of past times must equal the
running result at those times, and no row already written may change.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import select

from storenet.ledger.verify import balances_as_of
from storenet.sales.ingest import ingest_pos_batch
from storenet.store.engine import unit_of_work
from storenet.store.schema import balances, movements, sale_lines
from tests.integration.reliability.helpers import ledger_errors, receive, where

STORE = "S1"
DEVICES = ("till-1", "till-2")
SKUS = ("K1", "K2", "K3")
DAYS = [date(2026, 11, 20) + timedelta(days=n) for n in range(4)]
LOCAL = timezone(timedelta(hours=8))
OPENING_AT = datetime(2026, 11, 19, 12, 0)  # naive UTC, like the ledger
OPENING = 300  # units of each SKU: enough that no order of arrival goes below zero


def utc(line: dict) -> datetime:
    return datetime.fromisoformat(line["at"]).astimezone(UTC).replace(tzinfo=None)


def receipt_key(line: dict) -> tuple:
    return (line["store"], line["device"], line["receipt"], line["line"])


def offline_sales(rng: random.Random) -> list[dict]:
    """Sale and return lines of both tills over DAYS, in time order."""
    lines = []
    for day in DAYS:
        for device in DEVICES:
            for r in range(rng.randint(4, 7)):
                at = datetime.combine(day, time(9), LOCAL) + timedelta(
                    minutes=rng.randint(0, 12 * 60), seconds=rng.randint(0, 59)
                )
                for n, sku in enumerate(rng.sample(SKUS, rng.randint(1, 2)), start=1):
                    lines.append(
                        {
                            "store": STORE,
                            "device": device,
                            "receipt": f"{device}-{day:%m%d}-{r}",
                            "line": n,
                            "sku": sku,
                            "qty": rng.randint(1, 3),
                            "unit_price": "19.90",
                            "at": at.isoformat(),
                            "kind": "return" if rng.random() < 0.15 else "sale",
                        }
                    )
    return sorted(lines, key=lambda x: (utc(x), receipt_key(x)))


def offline_batches(rng: random.Random, lines: list[dict]) -> list[tuple[str, list[dict]]]:
    """Each till's lines in batches of 5 under its own keys; some lines repeated in
    the till's next batch, some batches resent under new keys; all shuffled."""
    batches = []
    for device in DEVICES:
        mine = [x for x in lines if x["device"] == device]
        chunks = [mine[i : i + 5] for i in range(0, len(mine), 5)]
        for n, chunk in enumerate(chunks):
            batch = list(chunk)
            if n and rng.random() < 0.4:  # the till resends a line it already sent
                batch.insert(0, rng.choice(chunks[n - 1]))
            batches.append((f"{device}-batch-{n}", batch))
    batches += [(f"{key}-resent", batch) for key, batch in rng.sample(batches, 3)]
    rng.shuffle(batches)
    return batches


def running_balances(lines: list[dict], until: datetime) -> dict[str, int]:
    """On hand per SKU after the opening receipt and the lines at or before `until`,
    applied one by one in time order."""
    on_hand = Counter({sku: OPENING for sku in SKUS}) if until >= OPENING_AT else Counter()
    for line in lines:
        if utc(line) <= until:
            on_hand[line["sku"]] += line["qty"] if line["kind"] == "return" else -line["qty"]
    return on_hand


def rows_by_id(conn, table) -> dict[int, tuple]:
    return {r.id: tuple(r) for r in conn.execute(select(table))}


@pytest.mark.parametrize("seed", [10, 11])
def test_late_shuffled_duplicated_offline_sales_are_stored_once_and_balance_in_time_order(
    network, seed
):
    # given 300 units of each SKU at S1, and four days of offline sales from two tills
    rng = random.Random(seed)
    receive(network, STORE, [{"sku": s, "qty": OPENING} for s in SKUS], at=OPENING_AT)
    lines = offline_sales(rng)
    batches = offline_batches(rng, lines)
    sent = sum(len(batch) for _, batch in batches)
    assert sent > len(lines)  # the scenario does repeat lines
    s1 = where(network, STORE)

    # when the batches arrive shuffled, each checked against what was there before it
    answers, rewritten = [], []
    with network.connect() as conn:
        before = {t.name: rows_by_id(conn, t) for t in (movements, sale_lines)}
    for key, batch in batches:
        answers.append(
            unit_of_work(network, lambda c, k=key, b=batch: ingest_pos_batch(c, key=k, lines=b))
        )
        with network.connect() as conn:
            now = {t.name: rows_by_id(conn, t) for t in (movements, sale_lines)}
        for table, rows in before.items():
            rewritten += [(key, table, i) for i, row in rows.items() if now[table].get(i) != row]
        before = now

    # then no row written earlier was changed or removed by a later batch
    assert rewritten == []
    # and each receipt line is stored once, as the till rang it up
    assert sum(a["accepted"] for a in answers) == len(lines)
    assert sum(a["duplicates"] for a in answers) == sent - len(lines)
    with network.connect() as conn:
        rows = conn.execute(select(sale_lines)).all()
        stored = {
            (r.store_id, r.device_id, r.receipt_no, r.line_no): (r.kind, r.sku_id, r.qty, r.sold_at)
            for r in rows
        }
        assert len(rows) == len(stored)
        assert stored == {receipt_key(x): (x["kind"], x["sku"], x["qty"], utc(x)) for x in lines}
        sale_moves = conn.execute(
            select(movements.c.kind).where(movements.c.kind.in_(["sale", "return"]))
        ).all()
        assert len(sale_moves) == len(lines)
        # and the balances equal applying every line once, in time order
        final = running_balances(lines, datetime.max)
        projected = {
            r.sku_id: (r.on_hand, r.in_transit, r.reserved, r.held)
            for r in conn.execute(select(balances).where(balances.c.location_id == s1))
        }
        assert projected == {sku: (final[sku], 0, 0, 0) for sku in SKUS}
        # and balances as of past times equal the running result at those times
        times = [OPENING_AT - timedelta(seconds=1), OPENING_AT]
        times += [
            datetime.combine(d, time(0), LOCAL).astimezone(UTC).replace(tzinfo=None)
            for d in DAYS + [DAYS[-1] + timedelta(days=1)]
        ]
        for line in rng.sample(lines, 6):  # exactly at a sale, and just before it
            times += [utc(line), utc(line) - timedelta(microseconds=1)]
        for t in times:
            expected = {
                (s1, sku): {"on_hand": n, "in_transit": 0, "reserved": 0, "held": 0}
                for sku, n in running_balances(lines, t).items()
                if n
            }
            assert balances_as_of(conn, t, location_id=s1) == expected, t
        assert ledger_errors(conn) == ([], {})
