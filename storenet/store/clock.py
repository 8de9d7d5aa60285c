"""Time as the database stores it: naive UTC.

Every timestamp column holds UTC without an offset (SQLite has no time zone type, and
one convention for both databases keeps comparisons plain). These two functions are the
only place that convention is written down; domain code calls them for "now" and to
bring a caller's time into storage form.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, as naive UTC (the storage convention)."""
    return datetime.now(UTC).replace(tzinfo=None)


def as_utc(at: datetime | None) -> datetime:
    """`at` as naive UTC; aware times are converted, naive ones are taken as UTC
    already, None means now."""
    if at is None:
        return utc_now()
    if at.tzinfo is not None:
        return at.astimezone(UTC).replace(tzinfo=None)
    return at
