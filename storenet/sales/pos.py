"""POS lines as tills send them, parsed and checked for shape (no database here).

A line is a dict (from JSON Lines, CSV or the API) with: store_id, device, receipt,
line, sku_id, qty, unit_price, at, and optionally kind ("sale" or "return", default
sale), serials (a list, or ";"-separated text in CSV) and buyer (a warranty-registration
reference for a serial-tracked unit, given only where the buyer agreed). The format is
written out for people in docs/data-formats.md.

`store_id` and `sku_id` are the names the import files use; `store` and `sku`, the
names tills were first given, are still accepted (a line gives one or the other).
Inside storenet a line's fields keep the short names (`PosLine.store`, `.sku`).

Rules beyond types:
- `at` carries a UTC offset (``+08:00`` or ``Z``): a time without one could be any of
  24 hours. It is stored as naive UTC, so it must stay within years 1-9999 once
  converted, and it may not be more than `FUTURE_TOLERANCE` (one day) after the
  server's clock: a sale weeks ahead is a till with a wrong clock.
- Identifiers (store_id, device, receipt, sku_id, serials, buyer) hold no control
  character (U+0000-U+001F, U+007F-U+009F, tab included): they are keys, shown and
  compared as they are, and PostgreSQL refuses NUL where SQLite would store it.
- qty and line are whole numbers and unit_price an amount; a boolean is neither (JSON
  ``true`` is not 1).

Two parsers give the same answer. `parse_pos_lines` checks one line at a time and
names every problem; it is the definition. `parse_pos_columns` is the hot path: it
reads a batch column by column (conversions done once per distinct value, checks
done by C-level builtins over whole columns) and hands anything unusual, including
every refusal, to `parse_pos_lines`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from operator import itemgetter

from storenet.errors import Problem
from storenet.store.clock import utc_now

REQUIRED = ("store", "device", "receipt", "line", "sku", "qty", "unit_price", "at")
KNOWN = (*REQUIRED, "kind", "serials", "buyer")
# The documented name of a field, for the fields whose first name tills still send.
DOCUMENTED = {"store": "store_id", "sku": "sku_id"}
FUTURE_TOLERANCE = timedelta(days=1)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


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


def parse_pos_lines(
    raw: list[dict], now: datetime | None = None
) -> tuple[list[tuple[int, PosLine]], list[Problem]]:
    """Check the shape of every raw line; return the good lines, each with its 1-based
    position in the batch, and every problem.

    Problems name the line (1-based position in the batch), the field (as the line
    named it: `store` or `store_id`) and the reason. A line appearing twice in one batch
    (same store, device, receipt, line) is refused. `now` (naive UTC, default the
    server's clock) is what a time may not be more than a day after.
    """
    lines: list[tuple[int, PosLine]] = []
    problems: list[Problem] = []
    seen: dict[tuple, int] = {}
    if not raw:
        return [], [Problem("lines", "a batch needs at least one line")]
    latest = (now or utc_now()) + FUTURE_TOLERANCE
    for n, item in enumerate(raw, start=1):
        where = f"line {n}"
        if not isinstance(item, dict):
            problems.append(Problem("line", "must be an object", where, item))
            continue
        short, named, clash = _short_names(item, where)
        found = _parse_one(short, where, latest)
        if clash or isinstance(found, list):
            found = found if isinstance(found, list) else []
            problems += clash + [replace(p, field=named.get(p.field, p.field)) for p in found]
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


def line_store(item: dict) -> str | None:
    """The store a raw line names (as `store_id` or `store`), stripped; None if none.
    For checking a caller's access before the batch is parsed."""
    store = item.get("store_id", item.get("store"))
    return None if _blank(store) else str(store).strip()


def _short_names(item: dict, where: str) -> tuple[dict, dict[str, str], list[Problem]]:
    """`item` with `store_id`/`sku_id` under their short names, the name the line
    uses for each short one (for its problems), and a problem per field given twice.

    A line missing a field is told its documented name, unless it uses the short
    names elsewhere (a till of the first format missing `sku` is told `sku`).
    """
    old_style = any(short in item for short in DOCUMENTED)
    named = {short: short if old_style else name for short, name in DOCUMENTED.items()}
    if not any(name in item for name in DOCUMENTED.values()):
        return item, named, []
    out, clash = dict(item), []
    for short, name in DOCUMENTED.items():
        if name not in item:
            continue
        named[short] = name
        if short in item:
            clash.append(
                Problem(name, f"is given twice, as {name} and as {short}: give {name}", where)
            )
        out[short] = out.pop(name)
    return out, named, clash


@dataclass
class PosColumns:
    """A checked batch as columns: element i of each list belongs to line i + 1.

    Same values as the PosLine objects `parse_pos_lines` would give; `serials` and
    `buyer` are None when no line in the batch carries any.
    """

    store: list[str]
    device: list[str]
    receipt: list[str]
    line: list[int]
    sku: list[str]
    qty: list[int]
    unit_price_cents: list[int]
    at: list[datetime]
    kind: list[str]
    serials: list[tuple[str, ...]] | None = None
    buyer: list[str | None] | None = None

    def __len__(self) -> int:
        return len(self.store)

    def line_at(self, i: int) -> PosLine:
        """Line i (0-based) as a PosLine, for the rare per-line paths."""
        return PosLine(
            store=self.store[i],
            device=self.device[i],
            receipt=self.receipt[i],
            line=self.line[i],
            sku=self.sku[i],
            qty=self.qty[i],
            unit_price_cents=self.unit_price_cents[i],
            at=self.at[i],
            kind=self.kind[i],
            serials=self.serials[i] if self.serials else (),
            buyer=self.buyer[i] if self.buyer else None,
        )

    @classmethod
    def from_lines(cls, lines: list[PosLine]) -> PosColumns:
        """Columns of already checked lines."""
        serials = [p.serials for p in lines]
        buyer = [p.buyer for p in lines]
        return cls(
            store=[p.store for p in lines],
            device=[p.device for p in lines],
            receipt=[p.receipt for p in lines],
            line=[p.line for p in lines],
            sku=[p.sku for p in lines],
            qty=[p.qty for p in lines],
            unit_price_cents=[p.unit_price_cents for p in lines],
            at=[p.at for p in lines],
            kind=[p.kind for p in lines],
            serials=serials if any(serials) else None,
            buyer=buyer if any(b is not None for b in buyer) else None,
        )


def parse_pos_columns(
    raw: list[dict], now: datetime | None = None
) -> tuple[PosColumns | None, list[Problem]]:
    """Check the shape of a whole batch; return it as columns, or None and every problem.

    Accepts exactly what `parse_pos_lines` accepts, with the same values, and on any
    problem returns `parse_pos_lines`'s problems (line, field, reason).
    """
    now = now or utc_now()
    columns = _fast_columns(raw, now + FUTURE_TOLERANCE)
    if columns is not None:
        return columns, []
    numbered, problems = parse_pos_lines(raw, now)
    if problems:
        return None, problems
    return PosColumns.from_lines([line for _, line in numbered]), []


_REQUIRED_FIELDS = itemgetter(*REQUIRED)
_KNOWN_SET = frozenset(KNOWN)
_NUMBER_TYPES = {int, float, str}


def _fast_columns(raw: list[dict], latest: datetime) -> PosColumns | None:
    """The batch as columns when every line is plainly good and no time is after
    `latest`; None means "ask parse_pos_lines" (a problem, or a value this path does
    not handle)."""
    if not raw or not isinstance(raw, list) or set(map(type, raw)) != {dict}:
        return None
    if not all(map(_KNOWN_SET.issuperset, raw)):
        renamed = [_short_names(item, "") for item in raw]
        raw = [short for short, _, clash in renamed if not clash]
        if len(raw) < len(renamed) or not all(map(_KNOWN_SET.issuperset, raw)):
            return None
    try:
        rows = list(map(_REQUIRED_FIELDS, raw))
    except KeyError:
        return None
    store, device, receipt, line, sku, qty, price, at = (list(c) for c in zip(*rows))
    text = [_text_column(c) for c in (store, device, receipt, sku)]
    if any(c is None for c in text):
        return None
    line = _converted(line, _whole, _NUMBER_TYPES)
    qty = _converted(qty, _whole, _NUMBER_TYPES)
    cents = _converted(price, _cents, _NUMBER_TYPES)
    at = _converted(at, _time, {str, datetime})
    if line is None or qty is None or cents is None or at is None or max(at) > latest:
        return None
    if min(line) < 1 or min(qty) < 1 or max(qty) > 10_000:
        return None
    n = len(raw)
    columns = PosColumns(*text[:3], line, text[3], qty, cents, at, kind=["sale"] * n)
    # Every line has the 8 required fields, all known: longer dicts carry optional ones.
    if max(map(len, raw)) > len(REQUIRED) and not _optional_columns(raw, columns):
        return None
    if len(set(zip(columns.store, columns.device, columns.receipt, line))) != n:
        return None
    return columns


def _text_column(values: list) -> list[str] | None:
    """Stripped text, 1 to 64 characters, or None."""
    if set(map(type, values)) == {str}:
        out = list(map(str.strip, values))
    elif None in values:
        return None
    else:
        out = [str(v).strip() for v in values]
    lengths = set(map(len, out))
    if min(lengths) < 1 or max(lengths) > 64 or CONTROL.search("".join(out)):
        return None
    return out


def _converted(values: list, convert, types: set) -> list | None:
    """`convert` applied to each value, computed once per distinct value; None when a
    value is of another type or does not convert.

    Only types whose equal values convert equally are memoised (never bool, whose
    True == 1 would share 1's answer).
    """
    if not set(map(type, values)) <= types:
        return None
    try:
        done = {v: convert(v) for v in set(values)}
    except TypeError:
        return None
    if None in done.values():
        return None
    return list(map(done.__getitem__, values))


def _optional_columns(raw: list[dict], columns: PosColumns) -> bool:
    """Fill kind, serials and buyer from the lines that give them; False on anything
    `parse_pos_lines` would refuse."""
    kinds = [item.get("kind") for item in raw]
    if set(map(type, kinds)) - {str, type(None)}:
        return False
    names = {k: str(k or "sale").strip().lower() for k in set(kinds)}
    if not set(names.values()) <= {"sale", "return"}:
        return False
    columns.kind = list(map(names.__getitem__, kinds))
    given = [item.get("serials") for item in raw]
    if any(not _blank(v) for v in given):
        serials = []
        for v in given:
            found = _serials(v)
            if found is None or len(set(found)) != len(found) or _has_control(found):
                return False
            serials.append(tuple(found))
        columns.serials = serials if any(serials) else None
    buyers = [item.get("buyer") for item in raw]
    if any(not _blank(v) for v in buyers):
        buyer = [None if _blank(v) else str(v).strip() for v in buyers]
        if any(b is not None and (len(b) > 128 or CONTROL.search(b)) for b in buyer):
            return False
        columns.buyer = buyer
    return True


def _parse_one(item: dict, where: str, latest: datetime) -> PosLine | list[Problem]:
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
        elif CONTROL.search(value):
            problems.append(Problem(f, CONTROL_REASON, where, value))
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
        problems.append(Problem("at", _time_problem(item["at"]), where, item["at"]))
    elif at > latest:
        now = latest - FUTURE_TOLERANCE
        problems.append(
            Problem(
                "at",
                f"is more than a day after the server's time ({now:%Y-%m-%d %H:%M} UTC): "
                "is the till's clock right?",
                where,
                item["at"],
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
    elif _has_control(serials):
        problems.append(Problem("serials", CONTROL_REASON, where, serials))
    buyer = item.get("buyer")
    buyer = None if _blank(buyer) else str(buyer).strip()
    if buyer is not None and len(buyer) > 128:
        problems.append(Problem("buyer", "is longer than 128 characters", where))
    elif buyer is not None and CONTROL.search(buyer):
        problems.append(Problem("buyer", CONTROL_REASON, where, buyer))
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
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    if isinstance(value, str) and value.strip().removeprefix("-").isdecimal():
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
    if not amount.is_finite() or amount < 0:
        return None
    try:
        # A huge exponent ("1e999999") cannot be quantized: refused, not a crash.
        exact = amount == amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        return None
    return int(amount * 100) if exact else None


def _time(value: object) -> datetime | None:
    """`value` as naive UTC, or None if it is not a time with an offset that UTC can
    hold (`_time_problem` says why)."""
    at = _as_datetime(value)
    if at is None or at.tzinfo is None:
        return None
    try:
        return at.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # 9999-12-31T23:30-01:00 is in year 10000 in UTC
        return None


def _as_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def _time_problem(value: object) -> str:
    """Why `_time` refused `value`."""
    at = _as_datetime(value)
    if at is None:
        return "must be an ISO 8601 time with a UTC offset, e.g. 2026-11-23T14:05:00+08:00"
    if at.tzinfo is None:
        return "has no UTC offset: give one, e.g. 2026-11-23T14:05:00+08:00 or ...Z"
    return "is out of range: in UTC it must fall within the years 1 to 9999"


CONTROL_REASON = "holds a control character (like NUL or a line break): ids may not"


def _has_control(values: list[str]) -> bool:
    return CONTROL.search("".join(values)) is not None


def _serials(value: object) -> list[str] | None:
    if _blank(value):
        return []
    if isinstance(value, str):
        return [s.strip() for s in value.split(";") if s.strip()]
    if isinstance(value, list | tuple) and all(isinstance(s, str) and s.strip() for s in value):
        return [s.strip() for s in value]
    return None
