"""The POS line quota's bucket arithmetic and its charge in a transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, insert, select

from storenet.accounts.errors import Throttled
from storenet.accounts.quotas import refill, take_lines, wait_for
from storenet.store.schema import metadata, pos_quotas, users

T0 = datetime(2026, 11, 23, 10, 0, 0)


def test_a_bucket_refills_at_its_rate_up_to_its_burst():
    assert refill(20.0, 1.5, rate=10, burst=100) == 35.0
    assert refill(90.0, 60.0, rate=10, burst=100) == 100.0
    assert refill(20.0, -5.0, rate=10, burst=100) == 20.0  # the clock went back


def test_the_wait_is_whole_seconds_and_never_zero():
    assert wait_for(30, 20.0, rate=10) == 1
    assert wait_for(31, 20.0, rate=10) == 2
    assert wait_for(21, 20.9, rate=10) == 1


@pytest.fixture
def conn():
    engine = create_engine("sqlite://")
    metadata.create_all(engine, tables=[users, pos_quotas])
    with engine.begin() as c:
        c.execute(insert(users).values(id=1, username="pos", role="pos_device", created_at=T0))
    with engine.connect() as c:
        yield c


def test_a_batch_is_admitted_whole_or_refused_without_a_charge(conn):
    take_lines(conn, 1, 80, rate=10, burst=100, now=T0)
    with pytest.raises(Throttled) as refused:
        take_lines(conn, 1, 30, rate=10, burst=100, now=T0)
    assert refused.value.retry_after == 1
    level = conn.execute(select(pos_quotas.c.level)).scalar()
    assert level == 20.0  # the refusal took nothing
    take_lines(conn, 1, 30, rate=10, burst=100, now=T0 + timedelta(seconds=1))
    assert conn.execute(select(pos_quotas.c.level)).scalar() == 0.0


def test_a_batch_larger_than_the_burst_never_fits(conn):
    with pytest.raises(Throttled):
        take_lines(conn, 1, 101, rate=10, burst=100, now=T0)
