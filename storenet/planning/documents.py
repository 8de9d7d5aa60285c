"""The nightly plan as documents: a draft of explained transfer lines, approved, then
released into the ledger as shipped transfers, once.

Lines are of two kinds: `replenish` (warehouse to store) and `rebalance` (store to
store). Each carries why: the forecast over lead time + review period, the demand
quantile at the pair's service level, the inventory position, the target, what the
store requested and how much scarce-stock allocation cut and why. Lines with the same
`transfer_no` ship together as one transfer.

Writing and reading a plan: `save_plan` writes a draft (replacing an earlier draft or
a cancelled plan of the same day; an approved or released plan is never replaced);
`edit_line` changes a draft line's quantity and warns when the edit asks for more than
a source has or a store can hold; `record_transition` keeps each dated change of
status and `transitions` reads them back. What happens after (approve, reopen, cancel,
release) is `storenet.planning.lifecycle`.
"""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import ColumnElement, Connection, and_, delete, insert, select, text, update

from storenet.errors import NotFound, Problem, Refused
from storenet.planning.cycle import NightlyPlan
from storenet.planning.feasibility import plan_problems
from storenet.planning.line_frame import EXCESS_FACTOR, exception_totals, plan_frame
from storenet.planning.network import PlanningNetwork
from storenet.planning.sections import (
    add_sections_from_lines,
    forget_line_sections,
    forget_sections,
    write_sections,
)
from storenet.store.bulk import analyze, insert_frame
from storenet.store.clock import utc_now
from storenet.store.schema import (
    plan_exceptions,
    plan_lines,
    plan_transitions,
    plan_upstream_lines,
    plans,
    stores,
)


def plan_id_for(day: date) -> str:
    """The id of the plan for deliveries on `day`."""
    return f"plan-{day.isoformat()}"


def is_at_risk(position: int, incoming: int, forecast_mean: float) -> bool:
    """A pair is at risk of a stock-out when its inventory position plus everything the
    plan sends it (`incoming`) stays below its mean forecast over lead time + review
    period. In the lines' figures: `shortfall` > 0."""
    return position + incoming < forecast_mean


def is_excess(position: int, incoming: int, target: int) -> bool:
    """A pair holds excess stock when after the plan it holds more than its target and
    more than EXCESS_FACTOR times it (any stock at all for a target of zero). In the
    lines' figures: `surplus` > 0 and `surplus` > (EXCESS_FACTOR - 1) x target."""
    after = position + incoming
    return after > target and after > target * EXCESS_FACTOR


def pair_incoming(row) -> int:  # type: ignore[no-untyped-def]
    """Units a plan line's pair receives in the plan, from the line's pair figures
    (after the plan the pair holds target + surplus; a mapping or a dict row)."""
    return row["target"] + row["surplus"] - row["position"]


def refresh_pair_figures(
    conn: Connection, plan_id: str, pair: tuple[str, str] | None = None
) -> None:
    """Recompute the pair figures of plan `plan_id`'s lines in the database, and their
    exception sections' rows (`sections`), for one (store, SKU) `pair` or for all
    (after lines were written by other means)."""
    where = "plan_id = :plan"
    params: dict = {"plan": plan_id}
    if pair is None:
        forget_sections(conn, plan_id)
    else:
        where += " AND store_id = :store AND sku_id = :sku"
        params.update(store=pair[0], sku=pair[1])
        c = plan_lines.c
        was = conn.execute(
            select(c.line_no, c.shortfall, c.surplus, c.cut_units).where(
                c.plan_id == plan_id, c.store_id == pair[0], c.sku_id == pair[1]
            )
        ).all()
        forget_line_sections(conn, plan_id, was)
    conn.execute(
        text(
            f"""
            UPDATE plan_lines SET
              pair_first = CASE WHEN plan_lines.line_no = p.first_line THEN 1 ELSE 0 END,
              shortfall = plan_lines.forecast_mean - (plan_lines.position + p.incoming),
              surplus = plan_lines.position + p.incoming - plan_lines.target,
              cut_units = CASE WHEN plan_lines.cut_reason <> ''
                               THEN plan_lines.requested - plan_lines.planned_qty ELSE 0 END
            FROM (
              SELECT store_id, sku_id, MIN(line_no) AS first_line, SUM(qty) AS incoming
              FROM plan_lines WHERE {where} GROUP BY store_id, sku_id
            ) AS p
            WHERE plan_lines.plan_id = :plan AND plan_lines.store_id = p.store_id
              AND plan_lines.sku_id = p.sku_id
            """
        ),
        params,
    )
    add_sections_from_lines(conn, plan_id, where, params)


def of_sku(sku_id: str) -> ColumnElement[bool]:
    """The condition "a line of SKU `sku_id`", written so that the database finds them
    through the (plan, store, SKU) index, one probe per store: there is no index on
    (plan, SKU) (migration 0013). Every store, not only those listing the SKU now: a
    plan's lines outlive later changes of the assortment."""
    return and_(
        plan_lines.c.store_id.in_(select(stores.c.id)),
        plan_lines.c.sku_id == sku_id,
    )


def save_plan(
    conn: Connection, day: date, network: PlanningNetwork, plan: NightlyPlan, summary: dict
) -> dict:
    """Write the plan for deliveries on `day` as a draft; returns its header.

    Replaces an earlier draft, or a cancelled plan, of the same day whole (a cancelled
    plan's status changes stay in `plan_transitions`). Refused if that day's plan is
    approved or released (a new plan would contradict what was decided).
    """
    plan_id = plan_id_for(day)
    existing = _header(conn, plan_id, lock=True)
    if existing is not None:
        if existing["status"] not in ("draft", "cancelled"):
            raise Refused(
                [Problem("plan", f"is {existing['status']}; it cannot be replanned", value=plan_id)]
            )
        conn.execute(delete(plan_lines).where(plan_lines.c.plan_id == plan_id))
        forget_sections(conn, plan_id)
        conn.execute(delete(plan_upstream_lines).where(plan_upstream_lines.c.plan_id == plan_id))
        conn.execute(delete(plans).where(plans.c.id == plan_id))
    frame = plan_frame(network, plan)
    summary = {**summary, "exceptions": exception_totals(frame)}
    conn.execute(
        insert(plans).values(
            id=plan_id,
            for_day=day,
            status="draft",
            created_at=utc_now(),
            summary=json.dumps(summary, sort_keys=True),
        )
    )
    insert_frame(conn, plan_lines, frame, constants={"plan_id": plan_id})
    write_sections(conn, plan_id, frame)
    if existing is not None and existing["status"] == "cancelled":
        record_transition(conn, plan_id, "cancelled", "draft", "nightly plan", "planned again")
    # Millions of fresh lines: the console's plan pages must not be planned for an empty
    # table (autovacuum may be off, or not have run yet).
    analyze(conn, [plans.name, plan_lines.name, plan_exceptions.name])
    return {**_header(conn, plan_id), "lines": frame.height}


def _header(conn: Connection, plan_id: str, lock: bool = False) -> dict | None:
    stmt = select(plans).where(plans.c.id == plan_id)
    if lock and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        return None
    out = row._asdict()
    out["summary"] = json.loads(out["summary"])
    return out


def latest_plan_id(conn: Connection) -> str:
    """The id of the plan for the latest delivery day (any status). NotFound when
    there is no plan at all."""
    found = conn.execute(select(plans.c.id).order_by(plans.c.for_day.desc()).limit(1)).scalar()
    if found is None:
        raise NotFound("plan", "latest")
    return found


def get_plan(conn: Connection, plan_id: str, *, lock: bool = False) -> dict:
    """The plan's header (status, times, summary). Raises NotFound. With `lock`, its
    row stays locked until commit (PostgreSQL; SQLite's writer holds the database)."""
    header = _header(conn, plan_id, lock)
    if header is None:
        raise NotFound("plan", plan_id)
    return header


def record_transition(
    conn: Connection, plan_id: str, before: str, after: str, by: str, reason: str = ""
) -> None:
    """Keep one dated status change of plan `plan_id` (UTC now)."""
    conn.execute(
        insert(plan_transitions).values(
            plan_id=plan_id,
            at=utc_now(),
            from_status=before,
            to_status=after,
            by=by,
            reason=reason,
        )
    )


def transitions(conn: Connection, plan_id: str) -> list[dict]:
    """Every status change of plan `plan_id`, oldest first."""
    rows = conn.execute(
        select(plan_transitions)
        .where(plan_transitions.c.plan_id == plan_id)
        .order_by(plan_transitions.c.id)
    )
    return [r._asdict() for r in rows]


def read_lines(
    conn: Connection,
    plan_id: str,
    *,
    store_id: str | None = None,
    cut_only: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    """Lines of a plan, by line number, optionally for one store or only the cut ones."""
    get_plan(conn, plan_id)
    stmt = select(plan_lines).where(plan_lines.c.plan_id == plan_id)
    if store_id is not None:
        stmt = stmt.where(plan_lines.c.store_id == store_id)
    if cut_only:
        stmt = stmt.where(plan_lines.c.cut_reason != "")
    stmt = stmt.order_by(plan_lines.c.line_no).limit(limit).offset(offset)
    return [r._asdict() for r in conn.execute(stmt)]


def edit_line(conn: Connection, plan_id: str, line_no: int, qty: int) -> dict:
    """Set a draft line's quantity (whole units, >= 0). Returns the line's columns plus
    `warnings`: the Problems (as text) the edit leaves at its source and pair (more
    units than the source has free, the store above its capacity), which approval
    will refuse until they are fixed. Refused if the plan is not a draft or `qty` is
    not a whole number >= 0."""
    if isinstance(qty, bool) or not isinstance(qty, int) or qty < 0:
        raise Refused([Problem("qty", "must be a whole number, zero or more", value=qty)])
    header = _header(conn, plan_id, lock=True)
    if header is None:
        raise NotFound("plan", plan_id)
    if header["status"] != "draft":
        raise Refused(
            [Problem("plan", f"is {header['status']}; only drafts are edited", value=plan_id)]
        )
    line = conn.execute(
        select(plan_lines).where(plan_lines.c.plan_id == plan_id, plan_lines.c.line_no == line_no)
    ).first()
    if line is None:
        raise NotFound("plan line", f"{plan_id}#{line_no}")
    pair = (line.store_id, line.sku_id)
    before = _pair_state(conn, plan_id, pair)
    conn.execute(
        update(plan_lines)
        .where(plan_lines.c.plan_id == plan_id, plan_lines.c.line_no == line_no)
        .values(qty=qty)
    )
    refresh_pair_figures(conn, plan_id, pair)
    totals = header["summary"].get("exceptions")
    if totals is not None:
        # Only this pair changed: move the plan's counts by its difference.
        after = _pair_state(conn, plan_id, pair)
        totals = {
            **totals,
            "at_risk": totals["at_risk"] + after[0] - before[0],
            "excess": totals["excess"] + after[1] - before[1],
        }
        if line.kind == "rebalance":
            totals["rebalance_units"] += qty - line.qty
        summary = {**header["summary"], "exceptions": totals}
        conn.execute(
            update(plans)
            .where(plans.c.id == plan_id)
            .values(summary=json.dumps(summary, sort_keys=True))
        )
    edited = read_lines(conn, plan_id, limit=1, offset=line_no - 1)[0]
    problems = plan_problems(conn, plan_id, source=(line.source_id, line.sku_id), pair=pair)
    return {**edited, "warnings": [str(p) for p in problems]}


def _pair_state(conn: Connection, plan_id: str, pair: tuple[str, str]) -> tuple[int, int]:
    """(at risk 0/1, excess 0/1) of one pair, from its first line's figures."""
    c = plan_lines.c
    row = conn.execute(
        select(c.position, c.target, c.forecast_mean, c.surplus).where(
            plan_lines.c.plan_id == plan_id,
            plan_lines.c.store_id == pair[0],
            plan_lines.c.sku_id == pair[1],
            plan_lines.c.pair_first == 1,
        )
    ).first()
    if row is None:
        return (0, 0)
    m = row._mapping
    got = pair_incoming(m)
    return (
        int(is_at_risk(m["position"], got, m["forecast_mean"])),
        int(is_excess(m["position"], got, m["target"])),
    )
