"""Reading POS files (JSON Lines or CSV) into raw line dicts for ingestion.

The format is in docs/data-formats.md. A file is read and checked whole before any of
it is sent: bytes that are not UTF-8, a line that is not JSON, a CSV row with more
cells than the header, and every shape problem of storenet.sales.pos refuse the file,
naming its file line. Problems only the database can find (an unknown store or SKU)
come batch by batch; `PosFile.located` names their file line too.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from storenet.errors import Problem, Refused
from storenet.sales.pos import parse_pos_columns

SUFFIXES = (".jsonl", ".json", ".ndjson", ".csv")


@dataclass(frozen=True)
class PosFile:
    """A POS file's lines, with where each is in the file: its line in JSON Lines, its
    row in CSV (1-based, header excluded, as import files count rows)."""

    path: Path
    lines: list[dict]
    numbers: list[int]
    unit: str = "line"
    # Each store's earliest sale or return (naive UTC), once `check_pos_file` parsed it.
    first_sale: dict[str, datetime] = field(default_factory=dict)

    def place(self, i: int) -> str:
        """Where line index `i` is: ``"day.jsonl line 4"``, ``"day.csv row 3"``."""
        return f"{self.path.name} {self.unit} {self.numbers[i]}"

    def batches(self, size: int) -> list[tuple[int, int]]:
        """(start, stop) of each batch of `size` lines (0: one batch of all); none for
        a file without lines."""
        size = size if size > 0 else max(len(self.lines), 1)
        return [(i, min(i + size, len(self.lines))) for i in range(0, len(self.lines), size)]

    def located(self, problems: list[Problem], start: int = 0) -> list[Problem]:
        """`problems` of the batch beginning at line index `start`, their "line N"
        (position in the batch) turned into the place in the file."""
        out = []
        for p in problems:
            found = re.fullmatch(r"line (\d+)", p.where)
            if found and start + int(found[1]) <= len(self.numbers):
                p = replace(p, where=self.place(start + int(found[1]) - 1))
            out.append(p)
        return out


def read_pos_file(path: Path) -> list[dict]:
    """Raw POS lines from `path`: ``.jsonl``/``.json``/``.ndjson`` (one object per
    line) or ``.csv``, not checked beyond being readable (`check_pos_file` checks).

    CSV columns are the POS line fields; `serials` holds ";"-separated serial numbers.
    Refused, naming the file's line (CSV: row), if the file is not UTF-8, a line is
    not JSON or a CSV row has more cells than the header.
    """
    return _read(path).lines


def check_pos_file(path: Path, batch_size: int = 0, now: datetime | None = None) -> PosFile:
    """Read `path` and check every line's shape as the batches of `batch_size` lines
    (0: one batch) will be checked when sent; Refused, naming file line, field and
    reason of every problem, before anything is sent. `now` is the server's clock
    (naive UTC, default now) that sales may not be more than a day after. Problems
    name the JSON Lines file's line or the CSV file's row (header excluded). The file
    comes back with `first_sale` filled in."""
    found = _read(path)
    problems, first_sale = [], found.first_sale
    for start, stop in found.batches(batch_size):
        columns, batch_problems = parse_pos_columns(found.lines[start:stop], now)
        problems += found.located(batch_problems, start)
        if columns is None:
            continue
        for store, at in zip(columns.store, columns.at):
            if store not in first_sale or at < first_sale[store]:
                first_sale[store] = at
    if problems:
        raise Refused(problems)
    return found


def key_for_file(path: Path) -> str:
    """A default idempotency key for a POS file: its name and the hash of its bytes, so
    sending the same file again is a replay and an edited file is a new batch."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:32]
    return f"file:{path.name[:80]}:{digest}"


def _read(path: Path) -> PosFile:
    if not path.exists():
        raise Refused([Problem("file", "does not exist", str(path))])
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise Refused([Problem("file", f"must end in {', '.join(SUFFIXES)}", str(path))])
    text = _text(path)
    if suffix == ".csv":
        return _csv(path, text)
    lines, numbers, problems = [], [], []
    # Split on "\n" only: splitlines() would also split at U+2028 inside a JSON string.
    for n, row in enumerate(text.split("\n"), start=1):
        if not row.strip():
            continue
        try:
            lines.append(json.loads(row))
            numbers.append(n)
        except json.JSONDecodeError as error:
            problems.append(Problem("json", error.msg, f"{path.name} line {n}"))
    if problems:
        raise Refused(problems)
    return PosFile(path, lines, numbers)


def _text(path: Path) -> str:
    """The file as text; Refused naming the line of the first byte that is not UTF-8.
    A byte order mark (spreadsheet exports) is dropped."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start : error.start + 1].hex()
        reason = f"is not UTF-8 text: byte 0x{byte} at line {line} cannot be read"
        raise Refused([Problem("file", reason, f"{path.name} line {line}")]) from None


def _csv(path: Path, text: str) -> PosFile:
    lines, problems = [], []
    for n, row in enumerate(csv.DictReader(io.StringIO(text, newline="")), start=1):
        if None in row:
            reason = "has more cells than the header has columns"
            problems.append(Problem("row", reason, f"{path.name} row {n}"))
        lines.append({k: v for k, v in row.items() if k is not None and v not in (None, "")})
    if problems:
        raise Refused(problems)
    return PosFile(path, lines, list(range(1, len(lines) + 1)), unit="row")
