"""Franchise tests' network: the small test network (tests.support; franchisee F1
owns S2, F2 owns S3, S1 and S4 are HQ's) with POS lines written as the till sends
them, and helpers to publish and accept a program's terms."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import Engine, insert

from storenet.franchise.programs import accept_terms, create_program, draft_terms, publish_terms
from storenet.store.engine import unit_of_work
from storenet.store.schema import sale_lines
from tests.support import seed_small_network

TZ = "Asia/Shanghai"  # UTC+8, no daylight saving
_receipts = count(1)


@pytest.fixture
def shop(engine):
    """`engine` (SQLite, then PostgreSQL) with the small network."""
    seed_small_network(engine)
    return engine


def local(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    """A Shanghai wall-clock time as the naive UTC the database stores."""
    return datetime(y, m, d, hh, mm) - timedelta(hours=8)


def sell(
    engine: Engine,
    store: str,
    sku: str,
    qty: int,
    price_cents: int,
    at: datetime,
    kind: str = "sale",
) -> None:
    """One POS line (a sale or a return) at `store`, sold at naive UTC `at`."""
    n = next(_receipts)
    unit_of_work(
        engine,
        lambda conn: conn.execute(
            insert(sale_lines).values(
                batch_key=f"b{n}",
                store_id=store,
                device_id="till",
                receipt_no=f"R{n}",
                line_no=1,
                kind=kind,
                sku_id=sku,
                qty=qty,
                unit_price_cents=price_cents,
                sold_at=at,
            )
        ),
    )


TIERS_FIXED = [
    {"threshold": "0.90", "payout": "fixed", "amount": "500.00"},
    {"threshold": "1.00", "payout": "fixed", "amount": "1000.00"},
]


def program(
    engine: Engine,
    *,
    tiers=None,
    basis: str = "attainment",
    due_days: int = 30,
    accept: tuple[str, ...] = ("F1",),
    program_id: str = "P1",
    metric: str = "revenue",
    period_kind: str = "month",
    from_period: str = "2026-11",
    eligible=None,
) -> dict:  # type: ignore[no-untyped-def]
    """Program `program_id`'s terms version (drafted and published by "planner"),
    accepted by the owners of `accept`."""

    def work(conn):  # type: ignore[no-untyped-def]
        create_program(conn, program_id, "Growth bonus", "planner")
        terms = draft_terms(
            conn,
            program_id,
            {
                "period_kind": period_kind,
                "from_period": from_period,
                "basis": basis,
                "metric": metric,
                "tiers": tiers or TIERS_FIXED,
                "currency": "CNY",
                "due_days": due_days,
                "eligible": eligible or ["*"],
            },
            "planner",
        )
        publish_terms(conn, program_id, terms["version"], "planner")
        for fid in accept:
            accept_terms(conn, program_id, terms["version"], fid, f"owner-{fid}")
        return terms

    return unit_of_work(engine, work)
