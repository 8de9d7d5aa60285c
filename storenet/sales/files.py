"""Reading POS files (JSON Lines or CSV) into raw line dicts for ingestion."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from storenet.errors import Problem, Refused


def read_pos_file(path: Path) -> list[dict]:
    """Raw POS lines from `path`: ``.jsonl``/``.json`` (one object per line) or ``.csv``.

    CSV columns are the POS line fields (docs: storenet.sales.pos); `serials` holds
    ";"-separated serial numbers. Refused, naming the file line, if a line is not JSON.
    """
    if not path.exists():
        raise Refused([Problem("file", "does not exist", str(path))])
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            return [
                {k: v for k, v in row.items() if k is not None and v not in (None, "")}
                for row in csv.DictReader(handle)
            ]
    if suffix not in (".jsonl", ".json", ".ndjson"):
        raise Refused([Problem("file", "must end in .jsonl, .json, .ndjson or .csv", str(path))])
    lines, problems = [], []
    with path.open(encoding="utf-8") as handle:
        for n, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                lines.append(json.loads(text))
            except json.JSONDecodeError as error:
                problems.append(Problem("json", error.msg, f"{path.name} line {n}"))
    if problems:
        raise Refused(problems)
    return lines


def key_for_file(path: Path) -> str:
    """A default idempotency key for a POS file: its name and the hash of its bytes, so
    sending the same file again is a replay and an edited file is a new batch."""
    import hashlib

    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:32]
    return f"file:{path.name[:80]}:{digest}"
