"""Collecting the problems of a whole folder, with a cap on how many are listed.

A bad file can have millions of bad rows; a person needs the first few hundred and a
count of the rest. Checks hand over whole frames of bad rows; only the first `limit` of
each are turned into `Problem` objects, and the rest are only counted.
"""

from __future__ import annotations

import polars as pl

from storenet.errors import Problem, Refused
from storenet.imports.read import ROW, TableFile
from storenet.imports.tables import TABLE_ORDER

LIMIT = 200


class Problems:
    """Problems found so far: the first `limit` in (table, row) order, and a total."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self.total = 0
        self._kept: list[tuple[tuple[int, int, str], Problem]] = []

    def __bool__(self) -> bool:
        return self.total > 0

    def copy(self) -> Problems:
        """An independent copy (to add to without changing this one)."""
        other = Problems(self.limit)
        other.total = self.total
        other._kept = list(self._kept)
        return other

    def add(self, problem: Problem, table: str = "", row: int = 0) -> None:
        """Add one problem; `table` and `row` order it among the others."""
        self.total += 1
        self._kept.append(((TABLE_ORDER.get(table, -1), row, problem.field), problem))

    def extend(self, problems: list[Problem], table: str = "") -> None:
        """Add problems that belong to no particular row (files, headers, folders)."""
        for p in problems:
            self.add(p, table)

    def add_rows(self, tf: TableFile, field: str, reason: str, rows: pl.DataFrame) -> None:
        """Add one problem per row of `rows` (columns `_row`, `value`, optional `reason`).

        A `reason` column, when present, overrides `reason` row by row.
        """
        if rows.height == 0:
            return
        self.total += rows.height
        # Keep the first rows of the file; joins upstream may have shuffled them.
        head = rows if rows.height <= self.limit else rows.sort(ROW).head(self.limit)
        reasons = head["reason"].to_list() if "reason" in head.columns else [reason] * head.height
        order = TABLE_ORDER.get(tf.spec.name, -1)
        for row, value, why in zip(head[ROW].to_list(), head["value"].to_list(), reasons):
            self._kept.append(((order, row, field), Problem(field, why, tf.where(row), value)))

    def refusal(self) -> Refused:
        """The problems as one `Refused`: the first `limit` in (table, row) order, then,
        if more were found, a last problem saying how many were left out."""
        kept = [p for _, p in sorted(self._kept, key=lambda item: item[0])[: self.limit]]
        if self.total > len(kept):
            more = self.total - len(kept)
            kept.append(Problem("*", f"{more} more problem(s) not listed", "import"))
        return Refused(kept)
