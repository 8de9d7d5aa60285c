"""The plan review's exception sections (at risk, excess, cut): the rules, and each
section's head kept as rows of their own, in order.

The rules, on a line's pair figures (`line_frame`):

- *at_risk*: a pair's first line (`pair_first`) with `shortfall` > 0; figure: the
  shortfall (`documents.is_at_risk`).
- *excess*: a pair's first line with `surplus` > 0 and `surplus` > (EXCESS_FACTOR -
  1) x `target` (`documents.is_excess`); figure: the surplus.
- *cut*: a line with `cut_units` > 0; figure: the cut units.

A section lists its lines largest figure first, ties by latest line: descending
(figure, line_no), the section's *key*.

Why not an index on the figure: a night writes millions of lines and an index keyed by
a figure takes them in random order; three such partial indexes cost as much as the
rest of the write (docs/benchmarks.md). Reviewers read a section's top rows and its
first pages, so only each section's head is kept: its HEAD largest keys at save, as
rows of `plan_exceptions`, written sorted (their b-tree fills in order). The key of
the last of them is the section's *floor* (`plan_exception_floors`); no floor: every
row of the section is kept. The rule that keeps this exact through edits: a line of
the section is in `plan_exceptions` if and only if its key is at or above the floor.
Rows below the floor are the section's lines found by its rule on `plan_lines`,
sorted (`below_floor`): a page that deep reads all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy import Connection, Row, and_, delete, insert, literal_column, or_, select, text

from storenet.planning.line_frame import EXCESS_FACTOR
from storenet.store.bulk import insert_frame
from storenet.store.schema import plan_exception_floors, plan_exceptions, plan_lines

SECTION_NAMES = ("at_risk", "excess", "cut")
FIGURES = {"at_risk": "shortfall", "excess": "surplus", "cut": "cut_units"}
HEAD = 50_000  # rows kept per section at save (1,000 console pages of 50)

ONE = literal_column("1")
ZERO = literal_column("0")
Floor = tuple[float, int] | None


def rule(section: str, c: Any = plan_lines.c) -> Any:
    """The condition "a line of `section`" on `plan_lines` columns `c`. Constants are
    literal, not parameters (the planner sees them)."""
    if section == "at_risk":
        return and_(c.pair_first == ONE, c.shortfall > ZERO)
    if section == "excess":
        return and_(
            c.pair_first == ONE, c.surplus > ZERO, c.surplus > (EXCESS_FACTOR - 1) * c.target
        )
    return c.cut_units > ZERO


def below_floor(section: str, floor: tuple[float, int], c: Any = plan_lines.c) -> Any:
    """The condition "key below `floor`" on `plan_lines` columns `c`."""
    figure = c[FIGURES[section]]
    return or_(figure < floor[0], and_(figure == floor[0], c.line_no < floor[1]))


def section_frame(lines: pl.DataFrame, head: int | None = None) -> tuple[pl.DataFrame, dict]:
    """The `plan_exceptions` rows (without plan_id) of plan lines `lines` (columns of
    `plan_lines` with their pair figures), sorted by (section, figure, line_no): the
    `head` (default HEAD) largest keys of each section; and {section: floor (figure,
    line_no)} for each section cut short."""
    head = HEAD if head is None else head
    first = pl.col("pair_first") == 1
    rules = {
        "at_risk": first & (pl.col("shortfall") > 0),
        "excess": first
        & (pl.col("surplus") > 0)
        & (pl.col("surplus") > (EXCESS_FACTOR - 1) * pl.col("target")),
        "cut": pl.col("cut_units") > 0,
    }
    parts, floors = [], {}
    for name, keep in rules.items():
        rows = lines.filter(keep).select(
            pl.lit(name, dtype=pl.String).alias("section"),
            pl.col(FIGURES[name]).cast(pl.Float64).alias("figure"),
            pl.col("line_no").cast(pl.Int32),
        )
        if rows.height > head:
            rows = rows.top_k(head, by=["figure", "line_no"])
            last = rows.sort("figure", "line_no").row(0, named=True)
            floors[name] = (last["figure"], last["line_no"])
        parts.append(rows)
    return pl.concat(parts).sort("section", "figure", "line_no"), floors


def write_sections(
    conn: Connection, plan_id: str, lines: pl.DataFrame, head: int | None = None
) -> int:
    """Write the section heads (`head` rows each, default HEAD) and floors of plan
    `plan_id`'s fresh lines `lines` (the plan has none yet); returns how many rows."""
    rows, floors = section_frame(lines, head)
    insert_frame(conn, plan_exceptions, rows, constants={"plan_id": plan_id})
    for section, (figure, line_no) in floors.items():
        conn.execute(
            insert(plan_exception_floors).values(
                plan_id=plan_id, section=section, figure=figure, line_no=line_no
            )
        )
    return rows.height


def floors_of(conn: Connection, plan_id: str) -> dict[str, tuple[float, int]]:
    """{section: floor} of plan `plan_id` (a section without one is kept whole)."""
    f = plan_exception_floors.c
    rows = conn.execute(select(f.section, f.figure, f.line_no).where(f.plan_id == plan_id))
    return {r.section: (float(r.figure), int(r.line_no)) for r in rows}


def forget_sections(conn: Connection, plan_id: str) -> None:
    """Delete every section row and floor of plan `plan_id` (with its lines)."""
    conn.execute(delete(plan_exceptions).where(plan_exceptions.c.plan_id == plan_id))
    conn.execute(delete(plan_exception_floors).where(plan_exception_floors.c.plan_id == plan_id))


def forget_line_sections(conn: Connection, plan_id: str, lines: Sequence[Row]) -> None:
    """Delete the section rows that `lines` (rows with line_no, shortfall, surplus and
    cut_units as they are stored now) may have, by their exact keys: a pair's edit
    touches a few rows."""
    e = plan_exceptions.c
    for line in lines:
        for section, figure in FIGURES.items():
            conn.execute(
                delete(plan_exceptions).where(
                    e.plan_id == plan_id,
                    e.section == section,
                    e.figure == float(getattr(line, figure)),
                    e.line_no == line.line_no,
                )
            )


def add_sections_from_lines(conn: Connection, plan_id: str, where: str, params: dict) -> None:
    """Insert the section rows of plan `plan_id`'s stored lines that match `where` (SQL
    over `plan_lines` with `params`; those lines have no section rows now): every line
    of a section whose key is at or above the section's floor, in key order."""
    floors = floors_of(conn, plan_id)
    factor = EXCESS_FACTOR - 1
    conditions = {
        "at_risk": "pair_first = 1 AND shortfall > 0",
        "excess": f"pair_first = 1 AND surplus > 0 AND surplus > {factor} * target",
        "cut": "cut_units > 0",
    }
    parts, values = [], dict(params, plan=plan_id)
    for section, condition in conditions.items():
        figure = FIGURES[section]
        if section in floors:
            values[f"{section}_f"], values[f"{section}_l"] = floors[section]
            condition += (
                f" AND ({figure} > :{section}_f OR ({figure} = :{section}_f"
                f" AND line_no >= :{section}_l))"
            )
        parts.append(
            f"SELECT plan_id, '{section}' AS section, {figure} AS figure, line_no "
            f"FROM plan_lines WHERE {where} AND {condition}"
        )
    conn.execute(
        text(
            "INSERT INTO plan_exceptions (plan_id, section, figure, line_no) "
            f"SELECT plan_id, section, figure, line_no FROM ({' UNION ALL '.join(parts)}) "
            "AS kept ORDER BY section, figure, line_no"
        ),
        values,
    )
