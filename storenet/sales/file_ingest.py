"""Ingesting a POS file from disk: checked whole, sent in batches, each exactly once.

The file is read and every line's shape checked before the first batch is sent
(`storenet.sales.files.check_pos_file`). Each batch then goes through
`ingest_pos_batch` in its own transaction, under the file's key (`<key>:<n>` when the
file is split), so sending the same file again is a replay of every batch. Problems
only the database finds (an unknown store or SKU) refuse their batch, and the refusal
names the file's line and says which batches were applied before it.

Loading past sales after the opening stock was posted at a later time books them
against no stock; the answer warns about every such store (its first sale, its
opening) instead of leaving the negative balances to be found in the KPIs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from storenet.errors import Problem, Refused
from storenet.ledger.openings import sales_before_opening
from storenet.sales.files import PosFile, check_pos_file, key_for_file
from storenet.sales.ingest import ingest_pos_batch
from storenet.store.engine import reading, unit_of_work

TOTALS = ("lines", "accepted", "duplicates", "units_sold", "units_returned", "discrepancies")


@dataclass
class FileIngested:
    """What a file's ingestion did: batches sent, the batches' answers summed
    (`TOTALS`), and warnings for a person."""

    batches: int
    totals: dict[str, int]
    warnings: list[str] = field(default_factory=list)


def ingest_pos_file(
    engine: Engine,
    path: Path,
    *,
    key: str | None = None,
    batch_size: int = 0,
    progress: Callable[[str, int, int], None] | None = None,
) -> FileIngested:
    """Ingest the POS file at `path` in batches of `batch_size` lines (0: one batch),
    under idempotency `key` (default: the file's name and content hash).

    Refused, naming file line (CSV: row), field and reason, when any line is malformed
    (then nothing is sent) or a batch is refused by the database (then the batches
    before it stay applied, and the first problem says which).
    """
    pos = check_pos_file(path, batch_size)
    base = key or key_for_file(path)
    spans = pos.batches(batch_size)
    answers: list[dict] = []
    for n, (start, stop) in enumerate(spans):
        batch_key = base if len(spans) == 1 else f"{base}:{n}"
        chunk = pos.lines[start:stop]
        try:
            answers.append(
                unit_of_work(
                    engine, lambda c, k=batch_key, b=chunk: ingest_pos_batch(c, key=k, lines=b)
                )
            )
        except Refused as refused:
            problems = pos.located(refused.problems, start)
            if answers:
                applied = (
                    f"{len(answers)} of {len(spans)} batches were applied (up to "
                    f"{pos.place(start - 1)}); batch {n + 1} (from {pos.place(start)}) and "
                    "the rest were not"
                )
                problems = [Problem("batches", applied, pos.path.name), *problems]
            raise Refused(problems) from None
        if progress:
            progress("ingesting", stop, len(pos.lines))
    totals = {name: sum(a[name] for a in answers) for name in TOTALS}
    return FileIngested(len(answers), totals, _before_opening(engine, pos))


def _before_opening(engine: Engine, pos: PosFile) -> list[str]:
    """A warning for each store of the file whose sales precede its opening stock."""
    with reading(engine) as conn:
        late = sales_before_opening(conn, pos.first_sale)
    return [
        f"{store}: sales from {sold:%Y-%m-%d %H:%M} UTC precede its opening stock (posted as "
        f"of {opened:%Y-%m-%d %H:%M} UTC), so they were booked against no stock; import the "
        "opening stock with --as-of before the first sale (docs/data-formats.md)"
        for store, sold, opened in late
    ]
