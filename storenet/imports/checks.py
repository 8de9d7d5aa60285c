"""A check over a whole file: the rows where an expression holds are refused, each
named by file, row, field and reason. Both validation passes are lists of these."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from storenet.imports.problems import Problems
from storenet.imports.read import ROW, TableFile


@dataclass(frozen=True)
class Check:
    """Rows of one file where `bad` holds are refused for `reason` on `field`.

    `value` is what the problem shows as given; `why`, when set, is an expression that
    gives a row-specific reason instead of `reason`.
    """

    field: str
    reason: str
    bad: pl.Expr
    value: pl.Expr
    why: pl.Expr | None = None


def apply_checks(
    tf: TableFile, frame: pl.DataFrame, checks: list[Check], problems: Problems
) -> None:
    """Evaluate all `checks` over `frame` in one pass, then list the rows that fail."""
    if not checks or frame.height == 0:
        return
    hits = frame.select(
        c.bad.fill_null(False).sum().alias(str(i)) for i, c in enumerate(checks)
    ).row(0)
    for check, count in zip(checks, hits):
        if not count:
            continue
        shown = [ROW, check.value.alias("value")]
        if check.why is not None:
            shown.append(check.why.alias("reason"))
        rows = frame.filter(check.bad.fill_null(False)).select(shown)
        problems.add_rows(tf, check.field, check.reason, rows)
