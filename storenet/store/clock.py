"""Time as the database stores it: naive UTC.

Every timestamp column holds UTC without an offset (SQLite has no time zone type, and
one convention for both databases keeps comparisons plain). These two functions are the
only place that convention is written down; domain code calls them for "now" and to
bring a caller's time into storage form.
"""

from __future__ import annotations

from datetime import UTC, datetime

from storenet.errors import Problem, Refused


def utc_now() -> datetime:
    """Now, as naive UTC (the storage convention)."""
    return datetime.now(UTC).replace(tzinfo=None)


def as_utc(at: datetime | None, field: str = "at") -> datetime:
    """`at` as naive UTC; aware times are converted, naive ones are taken as UTC
    already, None means now.

    Refused, naming `field`, when the time has no UTC equivalent (9999-12-31T23:30-01:00
    is in year 10000 in UTC).
    """
    if at is None:
        return utc_now()
    if at.tzinfo is None:
        return at
    try:
        return at.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:
        reason = "is out of range: in UTC it must fall within the years 1 to 9999"
        raise Refused([Problem(field, reason, value=at.isoformat())]) from None
