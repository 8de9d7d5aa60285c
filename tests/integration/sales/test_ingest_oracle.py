"""The columnar POS ingestion against its oracle, on SQLite and PostgreSQL.

Two databases get the same random day of POS batches: one through
`ingest_pos_batch` (columns, bulk writes), the other through the first, per-line
implementation (tests/integration/sales/reference_ingest.py). Answers, refusals and
the whole ledger (sale lines, movements, balances, discrepancies, serials, stored
answers) must come out identical.
"""

from __future__ import annotations

import random
from datetime import datetime

import pytest
from sqlalchemy import Engine

from storenet.errors import Refused
from storenet.sales.ingest import ingest_pos_batch
from storenet.store.bulk import write as bulk_write
from storenet.store.engine import unit_of_work
from tests.integration.reliability.helpers import ledger_picture, receive, twin_database
from tests.integration.sales.reference_ingest import reference_ingest_pos_batch
from tests.support import PLAIN_SKUS, SERIAL_SKUS, STORES

AT = datetime(2026, 11, 22, 8, 0)
TIMES = ("2026-11-23T10:15:00+08:00", "2026-11-23T02:16:30Z", "2026-11-23T11:00:00+00:00")


def random_day(rng: random.Random) -> list[tuple[str, list[dict]]]:
    """(key, lines) batches of 1 to 150 lines: sales and returns, short sales, serials
    with and without buyers, receipt lines resent in later batches, replays, and a few
    bad lines."""
    batches: list[tuple[str, list[dict]]] = []
    sent: list[dict] = []
    for b in range(14):
        lines: list[dict] = []
        # Small batches go to the database one way, big ones (COPY, staging) another.
        big = b in (4, 9)
        for n in range(150 if big else rng.choice((1, 2, 7, 40))):
            store = rng.choice(STORES)
            line = {
                "store": store,
                "device": f"{store}-till-{rng.randint(1, 2)}",
                "receipt": f"r{b}-{n // 3}",
                "line": n % 3 + 1,
                "sku": rng.choice(PLAIN_SKUS),
                "qty": rng.choice((1, 1, 2, 3, "2")),
                "unit_price": rng.choice(("19.90", 5, "0.5", 12.25)),
                "at": rng.choice(TIMES),
            }
            if rng.random() < 0.15:
                line["kind"] = rng.choice(("return", "Return ", "sale"))
            if rng.random() < 0.1:
                serial = f"IMEI-{rng.randint(1, 12)}"
                line.update(sku=rng.choice(SERIAL_SKUS), qty=1, serials=[serial])
                if rng.random() < 0.5:
                    line["buyer"] = f"cust-{rng.randint(1, 99)}"
            lines.append(line)
        if sent and (big or rng.random() < 0.4):
            # An offline till resends lines an earlier batch already stored.
            resent = rng.sample(sent, k=min(len(sent), 3))
            lines += [line for line in resent if _receipt(line) not in map(_receipt, lines)]
        if rng.random() < 0.15:
            bad = dict(rng.choice(lines))
            bad.update(rng.choice(({"sku": "NOPE"}, {"store": "S99"}, {"qty": 0})))
            lines.append(bad)
        sent += lines
        batches.append((f"batch-{b}", lines))
        if rng.random() < 0.2:
            batches.append((f"batch-{b}", lines))  # a replay
    return batches


def _receipt(line: dict) -> tuple:
    return (line["store"], line["device"], line["receipt"], line["line"])


def feed(engine: Engine, ingest, batches: list[tuple[str, list[dict]]]) -> list:
    """Every batch's answer, or the refusal's problems."""
    out = []
    for key, lines in batches:
        try:
            out.append(unit_of_work(engine, lambda c, k=key, b=lines: ingest(c, key=k, lines=b)))
        except Refused as refused:
            out.append(("refused", [str(p) for p in refused.problems]))
    return out


def stock_up(engine: Engine) -> None:
    """A little stock, so that some sales go short and some do not; serials 1-8."""
    for store in STORES[:2]:
        receive(engine, store, [{"sku": sku, "qty": 3} for sku in PLAIN_SKUS], at=AT)
    for store, sku, first in (("S1", "PH1", 1), ("S2", "PH2", 5)):
        numbers = [f"IMEI-{i}" for i in range(first, first + 4)]
        receive(engine, store, [{"sku": sku, "qty": 4, "serials": numbers}], at=AT)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("few_rows", [0, 10**9], ids=["copy", "statements"])
def test_columnar_ingestion_leaves_the_ledger_the_oracle_leaves(
    network, tmp_path, monkeypatch, seed, few_rows
):
    # given two databases with the same network and stock, and a random day of batches,
    # written by COPY and staging tables, or by single statements, whatever their size
    monkeypatch.setattr(bulk_write, "FEW_ROWS", few_rows)
    batches = random_day(random.Random(seed))
    with twin_database(network, tmp_path) as oracle:
        stock_up(network)
        stock_up(oracle)
        # when one ingests through the columnar path and the other through the oracle
        answers = feed(network, ingest_pos_batch, batches)
        expected = feed(oracle, reference_ingest_pos_batch, batches)
        # then every answer and refusal is the same, and so is the whole ledger
        assert answers == expected
        assert any(isinstance(a, dict) and a["duplicates"] for a in answers)
        with network.connect() as got, oracle.connect() as want:
            assert ledger_picture(got) == ledger_picture(want)
