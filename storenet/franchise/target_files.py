"""A file of targets (CSV) as `storenet targets import` reads it.

Header (any order): scope, subject, period, metric, amount, and optionally category and
currency (default CNY). One target per row; row 1 is the first row under the header.
Amounts are currency units with at most two decimals ("12500.00") for revenue
metrics, whole units for "units". The file is all or nothing (storenet.franchise.
targets.set_targets): a bad row is refused naming its row and field, and nothing is
written; importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import io

from storenet.errors import Problem, Refused
from storenet.franchise.targets import DEFAULT_CURRENCY, TargetInput

REQUIRED = ("scope", "subject", "period", "metric", "amount")
OPTIONAL = ("category", "currency")
MAX_ROWS = 200_000


def read_targets(data: bytes, name: str = "targets file") -> list[TargetInput]:
    """The targets of CSV `data` (UTF-8, with a header). Refused naming the file for
    text that is not UTF-8, a header missing a required column or naming an unknown
    one, a row with the wrong number of fields, or more than MAX_ROWS rows."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused([Problem("file", "is not UTF-8 text", name)]) from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in REQUIRED + OPTIONAL]
    problems = []
    if missing:
        problems.append(Problem("header", f"lacks column(s) {', '.join(missing)}", name))
    if unknown:
        problems.append(Problem("header", f"has unknown column(s) {', '.join(unknown)}", name))
    if problems:
        raise Refused(problems)
    out: list[TargetInput] = []
    for n, fields in enumerate(reader, start=1):
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            reason = f"has {len(fields)} fields, the header {len(header)}"
            problems.append(Problem("row", reason, f"row {n}"))
            continue
        if n > MAX_ROWS:
            raise Refused([Problem("file", f"has more than {MAX_ROWS} rows", name)])
        row = {h: f.strip() for h, f in zip(header, fields)}
        out.append(
            TargetInput(
                scope=row["scope"],
                subject=row["subject"],
                period=row["period"],
                metric=row["metric"],
                amount=row["amount"],
                category=row.get("category", ""),
                currency=row.get("currency") or DEFAULT_CURRENCY,
                where=f"row {n}",
            )
        )
    if problems:
        raise Refused(problems)
    return out
