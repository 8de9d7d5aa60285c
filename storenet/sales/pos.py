"""POS lines as tills send them, parsed and checked for shape (no database here).

A line is a dict (from JSON Lines, CSV or the API) with: store, device, receipt, line,
sku, qty, unit_price, at, and optionally kind ("sale" or "return", default sale),
serials (a list, or ";"-separated text in CSV) and buyer (a warranty-registration
reference for a serial-tracked unit, given only where the buyer agreed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from storenet.errors import Problem

REQUIRED = ("store", "device", "receipt", "line", "sku", "qty", "unit_price", "at")
KNOWN = (*REQUIRED, "kind", "serials", "buyer")


@dataclass(frozen=True)
class PosLine:
    """One checked POS line. `at` is naive UTC; money is integer cents."""

    store: str
    device: str
    receipt: str
    line: int
    sku: str
    qty: int
    unit_price_cents: int
    at: datetime
    kind: str = "sale"
    serials: tuple[str, ...] = ()
    buyer: str | None = None

    @property
    def receipt_key(self) -> tuple[str, str, str, int]:
        """What makes a line unique across all batches."""
        return (self.store, self.device, self.receipt, self.line)


def parse_pos_lines(raw: list[dict]) -> tuple[list[tuple[int, PosLine]], list[Problem]]:
    """Check the shape of every raw line; return the good lines, each with its 1-based
    position in the batch, and every problem.

    Problems name the line (1-based position in the batch), the field and the reason.
    A line appearing twice in one batch (same store, device, receipt, line) is refused.
    """
    lines: list[tuple[int, PosLine]] = []
    problems: list[Problem] = []
    seen: dict[tuple, int] = {}
    if not raw:
        return [], [Problem("lines", "a batch needs at least one line")]
    for n, item in enumerate(raw, start=1):
        where = f"line {n}"
        if not isinstance(item, dict):
            problems.append(Problem("line", "must be an object", where, item))
            continue
        found = _parse_one(item, where)
        if isinstance(found, list):
            problems += found
            continue
        first = seen.setdefault(found.receipt_key, n)
        if first != n:
            problems.append(
                Problem(
                    "line",
                    f"repeats receipt line of line {first} in this batch",
                    where,
                    found.receipt_key,
                )
            )
            continue
        lines.append((n, found))
    return lines, problems


def _parse_one(item: dict, where: str) -> PosLine | list[Problem]:
    problems = [Problem(f, "is required", where) for f in REQUIRED if _blank(item.get(f))]
    problems += [
        Problem(f, "is not a POS line field", where) for f in sorted(set(item) - set(KNOWN))
    ]
    if problems:
        return problems
    text = {f: str(item[f]).strip() for f in ("store", "device", "receipt", "sku")}
    for f, value in text.items():
        if len(value) > 64:
            problems.append(Problem(f, "is longer than 64 characters", where, value))
    line_no = _whole(item["line"])
    if line_no is None or line_no < 1:
        problems.append(Problem("line", "must be a whole number, 1 or more", where, item["line"]))
    qty = _whole(item["qty"])
    if qty is None or qty < 1:
        problems.append(Problem("qty", "must be a whole number above zero", where, item["qty"]))
    elif qty > 10_000:
        problems.append(Problem("qty", "is more than 10000 units on one line", where, qty))
    cents = _cents(item["unit_price"])
    if cents is None:
        problems.append(
            Problem(
                "unit_price",
                "must be an amount >= 0 with at most two decimals",
                where,
                item["unit_price"],
            )
        )
    at = _time(item["at"])
    if at is None:
        problems.append(
            Problem(
                "at", "must be an ISO 8601 time, e.g. 2026-11-23T14:05:00+08:00", where, item["at"]
            )
        )
    kind = str(item.get("kind") or "sale").strip().lower()
    if kind not in ("sale", "return"):
        problems.append(Problem("kind", "must be 'sale' or 'return'", where, item.get("kind")))
    serials = _serials(item.get("serials"))
    if serials is None:
        problems.append(
            Problem("serials", "must be a list of serial numbers", where, item.get("serials"))
        )
    elif len(set(serials)) != len(serials):
        problems.append(Problem("serials", "lists a serial twice", where, serials))
    buyer = item.get("buyer")
    buyer = None if _blank(buyer) else str(buyer).strip()
    if buyer is not None and len(buyer) > 128:
        problems.append(Problem("buyer", "is longer than 128 characters", where))
    if problems:
        return problems
    return PosLine(
        store=text["store"],
        device=text["device"],
        receipt=text["receipt"],
        line=line_no,
        sku=text["sku"],
        qty=qty,
        unit_price_cents=cents,
        at=at,
        kind=kind,
        serials=tuple(serials),
        buyer=buyer,
    )


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _whole(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _cents(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        return None
    return int(amount * 100)


def _time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        at = value
    else:
        try:
            at = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    # A time without an offset is taken as UTC: tills should send offsets.
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def _serials(value: object) -> list[str] | None:
    if _blank(value):
        return []
    if isinstance(value, str):
        return [s.strip() for s in value.split(";") if s.strip()]
    if isinstance(value, list | tuple) and all(isinstance(s, str) and s.strip() for s in value):
        return [s.strip() for s in value]
    return None
