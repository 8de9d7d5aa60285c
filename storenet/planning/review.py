"""Reviewing a nightly plan: its exceptions first, then its explained lines, a page at
a time, within the stores the reviewer may see.

The reference plan has over two million lines (12,000 stores x 2,000 SKUs), so
nothing here groups or scans a whole plan: each line carries its pair's figures after
the plan (`pair_first`, `shortfall`, `surplus`, `cut_units`, kept current by
`documents.save_plan` and `edit_line`), the network-wide counts live in the plan's
summary, a section's rows come from its head in `plan_exceptions` in its order with
``LIMIT`` (past the head, from its lines sorted: `storenet.planning.sections`),
and a page of lines from the primary key (plan_id, line_no) or the index (plan_id,
store_id). A scoped reviewer's counts are one pass over their stores' lines, and the
plan's header they read counts their stores only (`plan_in_scope`).

The exceptions (rules: `documents.is_at_risk`, `documents.is_excess`). A pair is a
(store, SKU); its *incoming* units are the sum of `qty` over all of its lines in the
plan (a pair can have a replenishment line and a rebalancing line), and its position,
target and forecast are the same on each of its lines.

- *cut*: a replenishment line that scarce-stock allocation cut (`cut_reason` set);
  ordered by units cut (requested - planned), largest first.
- *at risk* (of a stock-out): a pair whose inventory position plus incoming units is
  below its mean forecast demand over lead time + review period (`forecast_mean`):
  even with tonight's delivery the store holds less than it expects to sell before
  the next delivery can arrive, so a stock-out is more likely than not. Only pairs
  with a line in the plan are judged: a pair the plan does not touch has no row here.
  Ordered by the shortfall (forecast - position - incoming), largest first.
- *excess*: a pair that after this plan holds more than `EXCESS_FACTOR` times its
  target (and more than the target; any stock at all for a target of zero). The
  planner only sends stock below the target, so these come from manual edits or a
  pair both replenished and rebalanced to; ordered by units above target.
- *rebalance*: store-to-store moves (kind ``rebalance``), largest value then units.

Ties within a section go by line number, latest first (the order its rows are kept
in; `storenet.planning.sections`).

`stores` arguments are the reviewer's object scope (`storenet.accounts.scope.
visible_stores`): None for every store, else only lines of those stores are read.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    case,
    func,
    literal,
    literal_column,
    select,
)

from storenet.errors import Problem, Refused
from storenet.planning.documents import (
    get_plan,
    is_at_risk,
    is_excess,
    of_sku,
    pair_incoming,
)
from storenet.planning.sections import FIGURES, SECTION_NAMES, below_floor, floors_of, rule
from storenet.store.schema import plan_exceptions, plan_lines, plans

SECTIONS = ("cut", "at_risk", "excess", "rebalance")
KINDS = ("replenish", "rebalance")


@dataclass(frozen=True)
class LineFilter:
    """Which lines of a plan to list. `section` (one of SECTIONS) keeps the lines of
    that exception and orders them as its section does; otherwise by line number."""

    store_id: str | None = None
    sku_id: str | None = None
    kind: str | None = None
    cut_only: bool = False
    section: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.kind is not None and self.kind not in KINDS:
            problems.append(Problem("kind", f"must be one of {', '.join(KINDS)}", value=self.kind))
        if self.section is not None and self.section not in SECTIONS:
            problems.append(
                Problem("show", f"must be one of {', '.join(SECTIONS)}", value=self.section)
            )
        if problems:
            raise Refused(problems)


@dataclass(frozen=True)
class PlanLine:
    """One explained line, with what its pair holds after the plan (`after` =
    position + incoming over all of the pair's lines) and its exception tags."""

    line_no: int
    kind: str
    source_id: str
    store_id: str
    sku_id: str
    qty: int
    planned_qty: int
    requested: int
    forecast_mean: float
    forecast_quantile: int
    service_level: float
    position: int
    target: int
    cut_reason: str
    water_level: float | None
    value: float | None
    transfer_no: int
    incoming: int
    tags: tuple[str, ...]

    @property
    def after(self) -> int:
        """Units the pair holds after the plan (inventory position + incoming)."""
        return self.position + self.incoming

    @property
    def cut_units(self) -> int:
        """Units allocation cut from the request (0 for an uncut line)."""
        return max(self.requested - self.planned_qty, 0) if self.cut_reason else 0


@dataclass(frozen=True)
class ExceptionCounts:
    """How many of each exception the plan has in scope: lines for cut and rebalance,
    pairs for at risk and excess; `lines` and `pairs` are the totals in scope."""

    lines: int
    pairs: int
    cut: int
    cut_units: int
    at_risk: int
    excess: int
    rebalance: int
    rebalance_units: int
    rebalance_value: float


@dataclass(frozen=True)
class LinePage:
    """One page of lines; `next_offset` is None on the last page."""

    lines: list[PlanLine]
    offset: int
    limit: int
    next_offset: int | None


ONE = literal_column("1")
ZERO = literal_column("0")


def _in_scope(q: Select, stores: set[str] | None) -> Select:
    if stores is None:
        return q
    if not stores:
        return q.where(literal(False))
    return q.where(plan_lines.c.store_id.in_(sorted(stores)))


def _narrowed(q: Select, wanted: LineFilter | None) -> Select:
    if wanted is not None and wanted.store_id is not None:
        q = q.where(plan_lines.c.store_id == wanted.store_id)
    if wanted is not None and wanted.sku_id is not None:
        q = q.where(
            plan_lines.c.sku_id == wanted.sku_id
            if wanted.store_id is not None
            else of_sku(wanted.sku_id)
        )
    return q


def exception_counts(conn: Connection, plan_id: str, stores: set[str] | None) -> ExceptionCounts:
    """Counts of every exception section of plan `plan_id` within `stores` (None: all).
    Network-wide, the counts kept in the plan's summary (written at save, moved by
    each edit); for a scope, one pass over its stores' lines through the (plan_id,
    store_id) index. An unknown plan counts zero everywhere (check the plan exists
    with `documents.get_plan` first)."""
    if stores is None:
        kept = conn.execute(select(plans.c.summary).where(plans.c.id == plan_id)).scalar()
        totals = json.loads(kept or "{}").get("exceptions")
        if totals is not None:
            return ExceptionCounts(**totals)
    c = plan_lines.c
    moves = c.kind == "rebalance"
    q = select(
        func.count(),
        func.coalesce(func.sum(c.pair_first), 0),
        func.coalesce(func.sum(case((c.cut_units > ZERO, 1), else_=0)), 0),
        func.coalesce(func.sum(c.cut_units), 0),
        func.coalesce(func.sum(case((rule("at_risk"), 1), else_=0)), 0),
        func.coalesce(func.sum(case((rule("excess"), 1), else_=0)), 0),
        func.coalesce(func.sum(case((moves, 1), else_=0)), 0),
        func.coalesce(func.sum(case((moves, c.qty), else_=0)), 0),
        func.coalesce(func.sum(case((moves, func.coalesce(c.value, 0.0)), else_=0.0)), 0.0),
    ).where(c.plan_id == plan_id)
    row = conn.execute(_in_scope(q, stores)).one()
    return ExceptionCounts(
        lines=int(row[0]),
        pairs=int(row[1]),
        cut=int(row[2]),
        cut_units=int(row[3]),
        at_risk=int(row[4]),
        excess=int(row[5]),
        rebalance=int(row[6]),
        rebalance_units=int(row[7]),
        rebalance_value=float(row[8]),
    )


def plan_in_scope(conn: Connection, plan_id: str, stores: set[str] | None) -> dict:
    """Plan `plan_id`'s header as a reviewer who sees `stores` may read it (None: every
    store, the header as saved). For a scope, the summary's network-wide figures are
    replaced by those of the scope's lines (`exception_counts`), as the console shows
    them: `scope` "stores", `stores` (how many), the cut and rebalancing figures and
    `exceptions`. Raises NotFound."""
    header = get_plan(conn, plan_id)
    if stores is None:
        return header
    counts = exception_counts(conn, plan_id, stores)
    header["summary"] = {
        "scope": "stores",
        "stores": len(stores),
        "lines_cut": counts.cut,
        "units_cut": counts.cut_units,
        "rebalance_moves": counts.rebalance,
        "rebalance_units": counts.rebalance_units,
        "rebalance_value": round(counts.rebalance_value, 2),
        "exceptions": asdict(counts),
    }
    return header


LINE_COLUMNS = [col for col in plan_lines.c if col.name != "plan_id"]
STORED = [
    col
    for col in LINE_COLUMNS
    if col.name not in ("pair_first", "shortfall", "surplus", "cut_units")
]


# Up to this many stores in a reviewer's scope, a section's lines are found through
# the (plan_id, store_id, sku_id) index and sorted (a few hundred lines a store);
# above it, by walking the section's head in order and keeping the scope's lines.
FEW_STORES = 64


def _through_head(wanted: LineFilter, stores: set[str] | None) -> bool:
    """Whether `wanted`'s section is read from its head in `plan_exceptions`, rather
    than from the store's (or few stores') lines sorted."""
    if wanted.section not in SECTION_NAMES:
        return False
    if wanted.store_id is not None or wanted.sku_id is not None:
        return False
    return stores is None or len(stores) > FEW_STORES


def _filtered(q: Select, wanted: LineFilter, stores: set[str] | None) -> Select:
    q = _narrowed(_in_scope(q, stores), wanted)
    if wanted.kind is not None:
        q = q.where(plan_lines.c.kind == wanted.kind)
    if wanted.cut_only:
        q = q.where(plan_lines.c.cut_reason != "")
    return q


def _lines_query(plan_id: str, wanted: LineFilter, stores: set[str] | None) -> Select:
    """The lines `wanted` asks for, in its order, from `plan_lines` alone: a section by
    its rule (at risk and excess list one line per pair, its first), for one store,
    a SKU or a few stores through the (plan_id, store_id, sku_id) index; any other
    list by the primary key or that index."""
    c = plan_lines.c
    q = select(*LINE_COLUMNS).where(c.plan_id == plan_id)
    order: list[Any] = [c.line_no]
    if wanted.section in SECTION_NAMES:
        q = q.where(rule(wanted.section))
        order = [c[FIGURES[wanted.section]].desc(), c.line_no.desc()]
    elif wanted.section == "rebalance":
        q = q.where(c.kind == "rebalance")
        order = [func.coalesce(c.value, 0.0).desc(), c.qty.desc(), c.line_no]
    return _filtered(q, wanted, stores).order_by(*order)


def _section_rows(
    conn: Connection,
    plan_id: str,
    wanted: LineFilter,
    stores: set[str] | None,
    limit: int,
    offset: int,
) -> list[Any]:
    """Rows `offset` to `offset + limit` of `wanted`'s section in its order: from its
    head in `plan_exceptions` walked in order, then, past the head, its lines below
    the section's floor sorted (`storenet.planning.sections`)."""
    c, e = plan_lines.c, plan_exceptions.c
    section = wanted.section
    assert section is not None

    def in_head(q: Select) -> Select:
        q = q.join(plan_exceptions, and_(e.plan_id == c.plan_id, e.line_no == c.line_no))
        q = q.where(c.plan_id == plan_id, e.plan_id == plan_id, e.section == section)
        return _filtered(q, wanted, stores)

    head = in_head(select(*LINE_COLUMNS)).order_by(e.figure.desc(), e.line_no.desc())
    rows = conn.execute(head.limit(limit).offset(offset)).all()
    floor = floors_of(conn, plan_id).get(section) if len(rows) < limit else None
    if floor is None:
        return rows
    kept = conn.execute(in_head(select(func.count()).select_from(plan_lines))).scalar() or 0
    rest = _filtered(
        select(*LINE_COLUMNS).where(
            c.plan_id == plan_id, rule(section), below_floor(section, floor)
        ),
        wanted,
        stores,
    ).order_by(c[FIGURES[section]].desc(), c.line_no.desc())
    return rows + conn.execute(rest.limit(limit - len(rows)).offset(max(0, offset - kept))).all()


def _rows(
    conn: Connection,
    plan_id: str,
    wanted: LineFilter,
    stores: set[str] | None,
    limit: int,
    offset: int,
) -> list[Any]:
    if _through_head(wanted, stores):
        return _section_rows(conn, plan_id, wanted, stores, limit, offset)
    q = _lines_query(plan_id, wanted, stores)
    return conn.execute(q.limit(limit).offset(offset)).all()


def _explained(rows: list[Any]) -> list[PlanLine]:
    out = []
    for r in rows:
        m = r._mapping
        got = pair_incoming(m)
        tags = []
        if m["cut_reason"]:
            tags.append("cut")
        if is_at_risk(m["position"], got, m["forecast_mean"]):
            tags.append("at risk")
        if is_excess(m["position"], got, m["target"]):
            tags.append("excess")
        if m["qty"] != m["planned_qty"]:
            tags.append("edited")
        out.append(
            PlanLine(
                **{col.name: m[col.name] for col in STORED},
                incoming=got,
                tags=tuple(tags),
            )
        )
    return out


def line_page(
    conn: Connection,
    plan_id: str,
    wanted: LineFilter,
    stores: set[str] | None,
    *,
    limit: int = 50,
    offset: int = 0,
) -> LinePage:
    """A page of plan `plan_id`'s lines in `stores` (None: all) that match `wanted`,
    each with its explanation and exception tags. Reads `limit + 1` rows to tell
    whether there is a next page; never counts the whole list. An unknown plan has no
    lines (check it exists with `documents.get_plan` first)."""
    rows = _rows(conn, plan_id, wanted, stores, limit + 1, offset)
    more = len(rows) > limit
    return LinePage(
        lines=_explained(rows[:limit]),
        offset=offset,
        limit=limit,
        next_offset=offset + limit if more else None,
    )


def top_lines(
    conn: Connection, plan_id: str, section: str, stores: set[str] | None, n: int = 5
) -> list[PlanLine]:
    """The first `n` rows of exception `section` (one of SECTIONS) in `stores`, in the
    section's order (see the module docstring), read from its rows in order. For *at
    risk* and *excess*, whose unit is the pair, one row per pair: its first line."""
    return _explained(_rows(conn, plan_id, LineFilter(section=section), stores, n, 0))


def read_line(
    conn: Connection, plan_id: str, line_no: int, stores: set[str] | None
) -> PlanLine | None:
    """Line `line_no` of plan `plan_id` with its explanation and tags, or None when it
    does not exist or its store is outside `stores`."""
    c = plan_lines.c
    q = _in_scope(select(*LINE_COLUMNS).where(c.plan_id == plan_id, c.line_no == line_no), stores)
    rows = conn.execute(q).all()
    return _explained(rows)[0] if rows else None


def line_as_dict(plan_id: str, line: PlanLine) -> dict:
    """The line as the API shows it: the stored columns (with `plan_id`), plus
    `incoming` (units its pair receives in the plan) and `tags` (its exceptions)."""
    out = {"plan_id": plan_id, **asdict(line)}
    out["tags"] = list(line.tags)
    return out
