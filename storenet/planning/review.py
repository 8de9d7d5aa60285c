"""Reviewing a nightly plan: its exceptions first, then its explained lines, a page at
a time, within the stores the reviewer may see.

The reference plan has about a million lines (12,000 stores x 2,000 SKUs), so every
function here aggregates, sorts and limits in SQL and returns a bounded result: the
counts of all exception sections come from one pass over the plan's lines, the top
rows of a section from one ``ORDER BY ... LIMIT``, a page of lines from the primary
key (plan_id, line_no) or the index (plan_id, store_id).

The exceptions, all read from the explanation columns of `plan_lines`. A pair is a
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

`stores` arguments are the reviewer's object scope (`storenet.accounts.scope.
visible_stores`): None for every store, else only lines of those stores are read.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    case,
    func,
    literal,
    select,
)

from storenet.errors import Problem, Refused
from storenet.store.schema import plan_jobs, plan_lines, plans

EXCESS_FACTOR = 1.5
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


def _pairs(plan_id: str, stores: set[str] | None, wanted: LineFilter | None = None) -> Any:
    """Per pair in scope (and in `wanted`'s store and SKU, if set): position, target,
    forecast, incoming units and what its lines add up to."""
    c = plan_lines.c
    q = select(
        c.store_id,
        c.sku_id,
        func.max(c.position).label("position"),
        func.max(c.target).label("target"),
        func.max(c.forecast_mean).label("forecast_mean"),
        func.sum(c.qty).label("incoming"),
        func.count().label("n_lines"),
        func.sum(case((c.cut_reason != "", 1), else_=0)).label("n_cut"),
        func.sum(case((c.cut_reason != "", c.requested - c.planned_qty), else_=0)).label(
            "cut_units"
        ),
        func.sum(case((c.kind == "rebalance", 1), else_=0)).label("n_moves"),
        func.sum(case((c.kind == "rebalance", c.qty), else_=0)).label("move_units"),
        func.sum(case((c.kind == "rebalance", func.coalesce(c.value, 0.0)), else_=0.0)).label(
            "move_value"
        ),
    ).where(c.plan_id == plan_id)
    q = _narrowed(_in_scope(q, stores), wanted)
    return q.group_by(c.store_id, c.sku_id).subquery("pairs")


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
        q = q.where(plan_lines.c.sku_id == wanted.sku_id)
    return q


def _at_risk(p: Any) -> Any:
    return p.c.position + p.c.incoming < p.c.forecast_mean


def _excess(p: Any) -> Any:
    after = p.c.position + p.c.incoming
    return and_(after > p.c.target, after > p.c.target * EXCESS_FACTOR)


def is_at_risk(position: int, incoming: int, forecast_mean: float) -> bool:
    """The *at risk* rule of the module docstring for one pair (the SQL says the same)."""
    return position + incoming < forecast_mean


def is_excess(position: int, incoming: int, target: int) -> bool:
    """The *excess* rule of the module docstring for one pair (the SQL says the same)."""
    after = position + incoming
    return after > target and after > target * EXCESS_FACTOR


def exception_counts(conn: Connection, plan_id: str, stores: set[str] | None) -> ExceptionCounts:
    """Counts of every exception section of plan `plan_id` within `stores` (None: all),
    from one aggregate over the plan's lines. An unknown plan counts zero everywhere
    (check the plan exists with `documents.get_plan` first)."""
    p = _pairs(plan_id, stores)
    row = conn.execute(
        select(
            func.coalesce(func.sum(p.c.n_lines), 0),
            func.count(),
            func.coalesce(func.sum(p.c.n_cut), 0),
            func.coalesce(func.sum(p.c.cut_units), 0),
            func.coalesce(func.sum(case((_at_risk(p), 1), else_=0)), 0),
            func.coalesce(func.sum(case((_excess(p), 1), else_=0)), 0),
            func.coalesce(func.sum(p.c.n_moves), 0),
            func.coalesce(func.sum(p.c.move_units), 0),
            func.coalesce(func.sum(p.c.move_value), 0.0),
        ).select_from(p)
    ).one()
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


LINE_COLUMNS = [col for col in plan_lines.c if col.name != "plan_id"]


def _lines_query(plan_id: str, wanted: LineFilter, stores: set[str] | None) -> Select:
    """The lines `wanted` asks for, in its order. For the *at risk* and *excess*
    sections the per-pair aggregate is joined in (they are defined on it); any other
    list reads the lines alone, by the primary key or the (plan_id, store_id) index."""
    c = plan_lines.c
    q = select(*LINE_COLUMNS).where(c.plan_id == plan_id)
    order: list[Any] = [c.line_no]
    if wanted.section in ("at_risk", "excess"):
        p = _pairs(plan_id, stores, wanted)
        q = q.join_from(plan_lines, p, and_(p.c.store_id == c.store_id, p.c.sku_id == c.sku_id))
        if wanted.section == "at_risk":
            q = q.where(_at_risk(p))
            order = [(p.c.forecast_mean - p.c.position - p.c.incoming).desc(), c.line_no]
        else:
            q = q.where(_excess(p))
            order = [(p.c.position + p.c.incoming - p.c.target).desc(), c.line_no]
    q = _narrowed(_in_scope(q, stores), wanted)
    if wanted.kind is not None:
        q = q.where(c.kind == wanted.kind)
    if wanted.cut_only:
        q = q.where(c.cut_reason != "")
    if wanted.section == "cut":
        q = q.where(c.cut_reason != "")
        order = [(c.requested - c.planned_qty).desc(), c.line_no]
    elif wanted.section == "rebalance":
        q = q.where(c.kind == "rebalance")
        order = [func.coalesce(c.value, 0.0).desc(), c.qty.desc(), c.line_no]
    return q.order_by(*order)


def _incoming(conn: Connection, plan_id: str, rows: list[Any]) -> dict[tuple[str, str], int]:
    """Incoming units of the pairs of `rows` (a page), read through the store index."""
    if not rows:
        return {}
    c = plan_lines.c
    wanted = {(r.store_id, r.sku_id) for r in rows}
    q = (
        select(c.store_id, c.sku_id, func.sum(c.qty))
        .where(
            c.plan_id == plan_id,
            c.store_id.in_(sorted({s for s, _ in wanted})),
            c.sku_id.in_(sorted({k for _, k in wanted})),
        )
        .group_by(c.store_id, c.sku_id)
    )
    return {(s, k): int(n) for s, k, n in conn.execute(q) if (s, k) in wanted}


def _explained(conn: Connection, plan_id: str, rows: list[Any]) -> list[PlanLine]:
    incoming = _incoming(conn, plan_id, rows)
    out = []
    for r in rows:
        m = r._mapping
        got = incoming[(m["store_id"], m["sku_id"])]
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
                **{col.name: m[col.name] for col in LINE_COLUMNS},
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
    q = _lines_query(plan_id, wanted, stores).limit(limit + 1).offset(offset)
    rows = conn.execute(q).all()
    more = len(rows) > limit
    return LinePage(
        lines=_explained(conn, plan_id, rows[:limit]),
        offset=offset,
        limit=limit,
        next_offset=offset + limit if more else None,
    )


def top_lines(
    conn: Connection, plan_id: str, section: str, stores: set[str] | None, n: int = 5
) -> list[PlanLine]:
    """The first `n` rows of exception `section` (one of SECTIONS) in `stores`, in the
    section's order (see the module docstring). For *at risk* and *excess*, whose
    unit is the pair, one row per pair: its first line."""
    if section not in ("at_risk", "excess"):
        return line_page(conn, plan_id, LineFilter(section=section), stores, limit=n).lines
    # From the per-pair aggregate alone (no join back to the lines): then read the
    # chosen pairs' first lines by primary key.
    c = plan_lines.c
    base = select(
        c.store_id,
        c.sku_id,
        func.min(c.line_no).label("first_line"),
        func.max(c.position).label("position"),
        func.max(c.target).label("target"),
        func.max(c.forecast_mean).label("forecast_mean"),
        func.sum(c.qty).label("incoming"),
    ).where(c.plan_id == plan_id)
    p = _in_scope(base, stores).group_by(c.store_id, c.sku_id).subquery("pairs")
    if section == "at_risk":
        q = select(p.c.first_line).where(_at_risk(p))
        q = q.order_by((p.c.forecast_mean - p.c.position - p.c.incoming).desc(), p.c.first_line)
    else:
        q = select(p.c.first_line).where(_excess(p))
        q = q.order_by((p.c.position + p.c.incoming - p.c.target).desc(), p.c.first_line)
    firsts = list(conn.execute(q.limit(n)).scalars())
    if not firsts:
        return []
    rows = conn.execute(
        select(*LINE_COLUMNS).where(c.plan_id == plan_id, c.line_no.in_(firsts))
    ).all()
    by_no = {r.line_no: r for r in rows}
    return _explained(conn, plan_id, [by_no[k] for k in firsts])


def read_line(
    conn: Connection, plan_id: str, line_no: int, stores: set[str] | None
) -> PlanLine | None:
    """Line `line_no` of plan `plan_id` with its explanation and tags, or None when it
    does not exist or its store is outside `stores`."""
    c = plan_lines.c
    q = _in_scope(select(*LINE_COLUMNS).where(c.plan_id == plan_id, c.line_no == line_no), stores)
    rows = conn.execute(q).all()
    return _explained(conn, plan_id, rows)[0] if rows else None


def line_as_dict(plan_id: str, line: PlanLine) -> dict:
    """The line as the API shows it: the stored columns (with `plan_id`), plus
    `incoming` (units its pair receives in the plan) and `tags` (its exceptions)."""
    out = {"plan_id": plan_id, **asdict(line)}
    out["tags"] = list(line.tags)
    return out


@dataclass(frozen=True)
class PlanHeader:
    """A plan as listed: id, delivery day, status, times and its headline figures
    (`summary`, network-wide, as the planner wrote them)."""

    id: str
    for_day: date
    status: str
    created_at: datetime
    approved_at: datetime | None
    approved_by: str | None
    released_at: datetime | None
    summary: dict


@dataclass(frozen=True)
class PlanList:
    """One page of plans, latest delivery day first; `next_offset` None on the last."""

    plans: list[PlanHeader]
    offset: int
    limit: int
    next_offset: int | None


def list_plans(conn: Connection, *, limit: int = 20, offset: int = 0) -> PlanList:
    """A page of plans, latest delivery day first (reads `limit + 1` headers)."""
    rows = conn.execute(
        select(plans).order_by(plans.c.for_day.desc(), plans.c.id).limit(limit + 1).offset(offset)
    ).all()
    headers = [
        PlanHeader(**{**r._asdict(), "summary": json.loads(r.summary or "{}")})
        for r in rows[:limit]
    ]
    return PlanList(headers, offset, limit, offset + limit if len(rows) > limit else None)


def running_plan_job(conn: Connection) -> str | None:
    """The id of the latest plan job still running, if any (so a page opened while a
    plan computes shows its progress)."""
    return conn.execute(
        select(plan_jobs.c.id)
        .where(plan_jobs.c.status == "running")
        .order_by(plan_jobs.c.started_at.desc())
        .limit(1)
    ).scalar()


@dataclass(frozen=True)
class ReleasePreview:
    """What releasing a plan would ship: transfers (one per transfer number with units
    to move), their lines and units."""

    transfers: int
    lines: int
    units: int


def release_preview(conn: Connection, plan_id: str) -> ReleasePreview:
    """What `documents.release_plan` would create for plan `plan_id` now (lines of
    zero units are left out, as the release does). One aggregate over the plan."""
    c = plan_lines.c
    row = conn.execute(
        select(
            func.count(func.distinct(c.transfer_no)),
            func.count(),
            func.coalesce(func.sum(c.qty), 0),
        ).where(c.plan_id == plan_id, c.qty > 0)
    ).one()
    return ReleasePreview(int(row[0]), int(row[1]), int(row[2]))
