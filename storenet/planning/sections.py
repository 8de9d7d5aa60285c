"""The plan review's exception sections (at risk, excess, cut) as rows of their own:
one (section, figure, line) row per line a section lists, in `plan_exceptions`.

The rules, on a line's pair figures (`line_frame`):

- *at_risk*: a pair's first line (`pair_first`) with `shortfall` > 0; figure: the
  shortfall (`documents.is_at_risk`).
- *excess*: a pair's first line with `surplus` > 0 and `surplus` > (EXCESS_FACTOR -
  1) x `target` (`documents.is_excess`); figure: the surplus.
- *cut*: a line with `cut_units` > 0; figure: the cut units.

A section lists its rows largest figure first, ties by latest line: the key
(plan_id, section, figure, line_no) read backwards. Why a table and not partial
indexes on `plan_lines`: an index keyed by a figure takes a night's millions of lines
in random order, which cost as much as the rest of the write (docs/benchmarks.md);
these rows are written sorted by their key, so their b-tree fills in order.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from sqlalchemy import Connection, Row, and_, delete, text

from storenet.planning.line_frame import EXCESS_FACTOR
from storenet.store.bulk import insert_frame
from storenet.store.schema import plan_exceptions

SECTION_NAMES = ("at_risk", "excess", "cut")


def section_frame(lines: pl.DataFrame) -> pl.DataFrame:
    """The `plan_exceptions` rows (without plan_id) of plan lines `lines` (columns of
    `plan_lines` with their pair figures), sorted by (section, figure, line_no)."""
    first = pl.col("pair_first") == 1
    rules = {
        "at_risk": (first & (pl.col("shortfall") > 0), "shortfall"),
        "excess": (
            first
            & (pl.col("surplus") > 0)
            & (pl.col("surplus") > (EXCESS_FACTOR - 1) * pl.col("target")),
            "surplus",
        ),
        "cut": (pl.col("cut_units") > 0, "cut_units"),
    }
    parts = [
        lines.filter(rule).select(
            pl.lit(name, dtype=pl.String).alias("section"),
            pl.col(figure).cast(pl.Float64).alias("figure"),
            pl.col("line_no").cast(pl.Int32),
        )
        for name, (rule, figure) in rules.items()
    ]
    return pl.concat(parts).sort("section", "figure", "line_no")


def write_sections(conn: Connection, plan_id: str, lines: pl.DataFrame) -> int:
    """Write the section rows of plan `plan_id`'s fresh lines `lines` (the plan has
    none yet); returns how many."""
    rows = section_frame(lines)
    insert_frame(conn, plan_exceptions, rows, constants={"plan_id": plan_id})
    return rows.height


def forget_sections(conn: Connection, plan_id: str) -> None:
    """Delete every section row of plan `plan_id` (with its lines)."""
    conn.execute(delete(plan_exceptions).where(plan_exceptions.c.plan_id == plan_id))


def forget_line_sections(conn: Connection, plan_id: str, lines: Sequence[Row]) -> None:
    """Delete the section rows that `lines` (rows with line_no, shortfall, surplus and
    cut_units as they are stored now) may have, by their exact keys: a pair's edit
    touches a few rows of millions."""
    e = plan_exceptions.c
    for line in lines:
        for section, figure in (
            ("at_risk", line.shortfall),
            ("excess", line.surplus),
            ("cut", line.cut_units),
        ):
            conn.execute(
                delete(plan_exceptions).where(
                    and_(
                        e.plan_id == plan_id,
                        e.section == section,
                        e.figure == float(figure),
                        e.line_no == line.line_no,
                    )
                )
            )


def add_sections_from_lines(conn: Connection, plan_id: str, where: str, params: dict) -> None:
    """Insert the section rows of plan `plan_id`'s stored lines that match `where` (SQL
    over `plan_lines`, with `params`; the lines must have no section rows yet), by
    the rules above, in key order."""
    factor = EXCESS_FACTOR - 1
    conn.execute(
        text(
            f"""
            INSERT INTO plan_exceptions (plan_id, section, figure, line_no)
            SELECT plan_id, section, figure, line_no FROM (
              SELECT plan_id, 'at_risk' AS section, shortfall AS figure, line_no
                FROM plan_lines WHERE {where} AND pair_first = 1 AND shortfall > 0
              UNION ALL
              SELECT plan_id, 'cut', cut_units, line_no
                FROM plan_lines WHERE {where} AND cut_units > 0
              UNION ALL
              SELECT plan_id, 'excess', surplus, line_no
                FROM plan_lines WHERE {where} AND pair_first = 1 AND surplus > 0
                 AND surplus > {factor} * target
            ) AS rows ORDER BY section, figure, line_no
            """
        ),
        {**params, "plan": plan_id},
    )
