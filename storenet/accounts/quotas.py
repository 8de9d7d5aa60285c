"""POS devices' line quotas: a token bucket per device, kept in the database.

A device may send `rate` sale lines per second on average, `burst` at most at once.
The bucket is a row (`pos_quotas`) read under a row lock and written in the same
transaction as the batch it admits, so every worker process and every server share
one quota per device, and a batch is admitted whole or not at all: a refused batch
rolls back with nothing written, the bucket included.
"""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import Connection, select

from storenet.accounts.errors import Throttled
from storenet.store.engine import upsert_for
from storenet.store.schema import pos_quotas


def refill(level: float, elapsed_s: float, rate: float, burst: int) -> float:
    """The bucket's level after `elapsed_s` seconds at `rate` lines/s, capped at `burst`
    (a clock that went backwards refills nothing)."""
    return min(float(burst), level + max(elapsed_s, 0.0) * rate)


def wait_for(lines: int, level: float, rate: float) -> int:
    """Whole seconds until `lines` fit in a bucket at `level` refilling at `rate`
    (at least 1: a refusal always asks the client to wait)."""
    return max(1, math.ceil((lines - level) / rate))


def take_lines(
    conn: Connection, device_id: int, lines: int, rate: float, burst: int, now: datetime
) -> None:
    """Charge `lines` to device `device_id`'s bucket in `conn`'s transaction (`now`:
    naive UTC). Raises Throttled with the seconds to wait when they do not fit; the
    caller's transaction then rolls back and nothing is written. A batch larger than
    `burst` never fits."""
    # Lock the device's row (creating it full on first use) so concurrent batches of
    # one device, on any worker, are charged one after the other.
    stmt = upsert_for(conn)(pos_quotas).values(device_id=device_id, level=float(burst), at=now)
    conn.execute(stmt.on_conflict_do_nothing(index_elements=[pos_quotas.c.device_id]))
    q = select(pos_quotas.c.level, pos_quotas.c.at).where(pos_quotas.c.device_id == device_id)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    row = conn.execute(q).one()
    level = refill(row.level, (now - row.at).total_seconds(), rate, burst)
    if lines > level:
        raise Throttled("pos lines", wait_for(lines, level, rate))
    conn.execute(
        pos_quotas.update()
        .where(pos_quotas.c.device_id == device_id)
        .values(level=level - lines, at=now)
    )
