"""The console's nightly plan pages: the plans with a "Plan tonight" job button, and one
plan's review (exceptions first, then every explained line) with inline edits,
approval and release.

Reads need plan.read and show regional managers the lines of their regions' stores
only; writes (htmx POSTs carrying the CSRF token, checked by `Viewer`) go through
`storenet.planning.decisions`, the same functions the API calls, so both edges audit
alike. Refusals answer a fragment with the reason (422, or 409 for a plan already in
that state) that the page swaps in where the action was.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from starlette.responses import Response

from storenet.accounts.access import require
from storenet.accounts.principal import Principal
from storenet.accounts.roles import NETWORK_WIDE, allowed
from storenet.accounts.scope import visible_stores
from storenet.errors import InsufficientStock, NotFound, Refused
from storenet.http.plan_jobs import cancel_plan_job, plan_job, start_plan_job
from storenet.http.problems import Conflict
from storenet.http.service import ServiceDep
from storenet.planning.decisions import Decision, approve, cancel, edit_plan_line, release, reopen
from storenet.planning.documents import get_plan
from storenet.planning.plan_list import list_plans, release_preview, running_plan_job
from storenet.planning.review import (
    SECTIONS,
    LineFilter,
    exception_counts,
    line_page,
    read_line,
    top_lines,
)
from storenet.web.layout import PREFIX, Offset, Viewer, render

router = APIRouter(include_in_schema=False)

PlanId = Annotated[str, Path(min_length=1, max_length=64)]
LineNo = Annotated[int, Path(ge=1, le=10**9)]
LINES_PER_PAGE = 50
PLANS_PER_PAGE = 20
TOP_ROWS = 5
SECTION_TITLES = {
    "cut": "Allocation cuts",
    "at_risk": "At risk of stock-out",
    "excess": "Excess stock",
    "rebalance": "Large rebalancing moves",
}


# -- the plans ---------------------------------------------------------------------------


@router.get(PREFIX + "/plans")
def plans_page(request: Request, who: Viewer, svc: ServiceDep, offset: Offset = 0) -> Response:
    """The plans, latest delivery day first, a page at a time; the progress of a plan
    job still running; "Plan tonight" for roles that may plan."""

    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "plan.read")
        return list_plans(conn, limit=PLANS_PER_PAGE, offset=offset), running_plan_job(conn)

    listed, running = svc.read(work)
    job = plan_job(svc, running) if running else None
    return render(
        request,
        "plans.html",
        who,
        listed=listed,
        job=job,
        can_write=allowed(who.role, "plan.write"),
        network_wide=who.role in NETWORK_WIDE,
    )


@router.post(PREFIX + "/plans/jobs")
def plan_job_start(request: Request, who: Viewer, svc: ServiceDep) -> Response:
    """Start tonight's plan in the background (plan.write); answers the progress
    fragment the page polls, or 409 with the reason while another plan computes."""
    svc.read(lambda conn: require(conn, who, "plan.write"))
    try:
        job = start_plan_job(svc, who.username, None)
    except Conflict as error:
        return _job_fragment(request, who, status=409, job=None, error=error.problem.reason)
    return _job_fragment(request, who, status=202, job=job, error=None)


@router.post(PREFIX + "/plans/jobs/{job_id}/cancel")
def plan_job_cancel(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    job_id: Annotated[str, Path(max_length=64)],
) -> Response:
    """Stop a running plan job (plan.write, audited); answers its progress fragment,
    which shows it cancelled once the job reaches its next progress report."""
    svc.read(lambda conn: require(conn, who, "plan.write"))
    try:
        job = cancel_plan_job(svc, who.username, job_id)
    except Conflict as error:
        job = plan_job(svc, job_id)
        return _job_fragment(
            request, who, status=409, job=job, error=None, note=error.problem.reason
        )
    return _job_fragment(request, who, status=202, job=job, error=None)


@router.get(PREFIX + "/plans/jobs/{job_id}")
def plan_job_progress(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    job_id: Annotated[str, Path(max_length=64)],
) -> Response:
    """A plan job's progress fragment: polled every second while it runs; when done,
    a link to its plan."""

    svc.read(lambda conn: require(conn, who, "plan.read"))
    return _job_fragment(request, who, job=plan_job(svc, job_id), error=None)


# -- one plan ----------------------------------------------------------------------------


@router.get(PREFIX + "/plans/{plan_id}")
def plan_page(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    plan_id: PlanId,
    store: Annotated[str | None, Query(max_length=32)] = None,
    sku: Annotated[str | None, Query(max_length=32)] = None,
    kind: Annotated[str | None, Query(max_length=12)] = None,
    cut_only: bool = False,
    show: Annotated[str | None, Query(max_length=12)] = None,
    offset: Offset = 0,
) -> Response:
    """A plan's review: its decision panel, the exception sections (count and top
    rows each, in the caller's stores), then its lines filtered and paged."""
    wanted = LineFilter(
        store_id=store or None,
        sku_id=sku or None,
        kind=kind or None,
        cut_only=cut_only,
        section=show or None,
    )

    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "plan.read")
        header = get_plan(conn, plan_id)
        seen = visible_stores(conn, who)
        counts = exception_counts(conn, plan_id, seen)
        tops = {s: top_lines(conn, plan_id, s, seen, TOP_ROWS) for s in SECTIONS}
        page = line_page(conn, plan_id, wanted, seen, limit=LINES_PER_PAGE, offset=offset)
        return header, seen, counts, tops, page

    header, seen, counts, tops, page = svc.read(work)
    return render(
        request,
        "plan.html",
        who,
        plan=header,
        scoped=seen is not None,
        counts=counts,
        tops=tops,
        titles=SECTION_TITLES,
        page=page,
        wanted=wanted,
        can_write=allowed(who.role, "plan.write"),
        page_url=lambda **changes: _page_url(plan_id, wanted, offset, **changes),
    )


def _page_url(plan_id: str, wanted: LineFilter, at: int, **changes: object) -> str:
    """This plan's page with the same filters, changed by `changes` (query names)."""
    query: dict[str, object] = {
        "store": wanted.store_id,
        "sku": wanted.sku_id,
        "kind": wanted.kind,
        "cut_only": "true" if wanted.cut_only else None,
        "show": wanted.section,
        "offset": at or None,
    }
    query.update(changes)
    kept = {k: v for k, v in query.items() if v not in (None, "", 0)}
    return f"{PREFIX}/plans/{plan_id}" + (f"?{urlencode(kept)}" if kept else "") + "#lines"


@router.post(PREFIX + "/plans/{plan_id}/lines/{line_no}")
def plan_line_edit(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    plan_id: PlanId,
    line_no: LineNo,
    qty: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Set a draft line's quantity (plan.write, audited); answers the updated row, or
    the row as it was with the reason (422) when the edit is refused."""
    error, warnings = None, []
    try:
        units = int(qty.strip())
    except ValueError:
        units = -1
    if not 0 <= units <= 10**9:
        error = "Enter a whole number of units, zero or more."
    else:
        try:
            edited = svc.write(lambda conn: edit_plan_line(conn, who, plan_id, line_no, units))
            warnings = edited.get("warnings", [])
        except Refused as refused:
            error = _reasons(refused)

    def reread(conn):  # type: ignore[no-untyped-def]
        header = get_plan(conn, plan_id)
        line = read_line(conn, plan_id, line_no, visible_stores(conn, who))
        if line is None:
            raise NotFound("plan line", f"{plan_id}#{line_no}")
        return header, line

    header, line = svc.read(reread)
    return render(
        request,
        "plan_line_row.html",
        who,
        status=422 if error else 200,
        plan=header,
        line=line,
        can_write=allowed(who.role, "plan.write"),
        error=error,
        saved=error is None,
        warnings=warnings,
    )


@router.get(PREFIX + "/plans/{plan_id}/decision")
def plan_decision(request: Request, who: Viewer, svc: ServiceDep, plan_id: PlanId) -> Response:
    """The decision panel (status and the next action), e.g. after a cancelled release."""

    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "plan.read")
        return get_plan(conn, plan_id)

    return _decision(request, who, svc.read(work))


@router.post(PREFIX + "/plans/{plan_id}/approve")
def plan_approve(request: Request, who: Viewer, svc: ServiceDep, plan_id: PlanId) -> Response:
    """Approve a draft (plan.write, audited once); 409 when it is past draft already;
    422 with the reasons when the plan cannot be carried out (a source short, a store
    over capacity), the plan left a draft."""
    try:
        done: Decision = svc.write(lambda conn: approve(conn, who, plan_id))
    except Refused as refused:
        header = svc.read(lambda conn: get_plan(conn, plan_id))
        reason = _reasons(refused)
        return _decision(request, who, header, status=422, error=f"Not approved: {reason}.")
    if done.changed:
        return _decision(request, who, done.header, message="Plan approved.")
    return _decision(
        request,
        who,
        done.header,
        status=409,
        error=f"This plan is {done.header['status']} already; nothing was changed.",
    )


@router.get(PREFIX + "/plans/{plan_id}/release")
def plan_release_confirm(
    request: Request, who: Viewer, svc: ServiceDep, plan_id: PlanId
) -> Response:
    """The confirmation step before a release: what it will ship (a fragment for htmx,
    else a page). Changes nothing."""

    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "plan.write")
        return get_plan(conn, plan_id), release_preview(conn, plan_id)

    header, preview = svc.read(work)
    template = (
        "plan_release_panel.html" if request.headers.get("HX-Request") else "plan_release.html"
    )
    return render(request, template, who, plan=header, preview=preview)


@router.post(PREFIX + "/plans/{plan_id}/release")
def plan_release(request: Request, who: Viewer, svc: ServiceDep, plan_id: PlanId) -> Response:
    """Release an approved plan into the ledger (plan.write, audited once). A plan is
    released once: a second release is refused (409) and changes nothing; a draft, or
    a shipment the ledger refuses, is refused (422)."""
    try:
        done: Decision = svc.write(lambda conn: release(conn, who, plan_id))
    except (Refused, InsufficientStock) as refused:
        header = svc.read(lambda conn: get_plan(conn, plan_id))
        reason = _reasons(refused) if isinstance(refused, Refused) else str(refused)
        return _decision(request, who, header, status=422, error=f"Not released: {reason}.")
    if done.changed:
        transfers = done.header["summary"].get("transfers", 0)
        return _decision(
            request, who, done.header, message=f"Plan released: {transfers} transfers shipped."
        )
    return _decision(
        request,
        who,
        done.header,
        status=409,
        error=(
            f"This plan was already released at {done.header['released_at']:%Y-%m-%d %H:%M}"
            " UTC; a plan is released once. Nothing was changed."
        ),
    )


@router.post(PREFIX + "/plans/{plan_id}/reopen")
def plan_reopen(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    plan_id: PlanId,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Take an approved plan back to draft (plan.write, audited with the reason); 422
    with the reason when refused (no reason given, a released or cancelled plan)."""
    return _state_change(request, who, svc, plan_id, reopen, reason, "Plan back to draft.")


@router.post(PREFIX + "/plans/{plan_id}/cancel")
def plan_cancel(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    plan_id: PlanId,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Cancel a draft or approved plan (plan.write, audited with the reason); its day
    can be planned again. 422 with the reason when refused."""
    message = "Plan cancelled; tonight's plan can run again."
    return _state_change(request, who, svc, plan_id, cancel, reason, message)


def _state_change(request, who, svc, plan_id, decide, reason, message):  # type: ignore[no-untyped-def]
    try:
        done: Decision = svc.write(lambda conn: decide(conn, who, plan_id, reason))
    except Refused as refused:
        header = svc.read(lambda conn: get_plan(conn, plan_id))
        return _decision(
            request, who, header, status=422, error=f"Not changed: {_reasons(refused)}."
        )
    if done.changed:
        return _decision(request, who, done.header, message=message)
    return _decision(
        request,
        who,
        done.header,
        status=409,
        error=f"This plan is {done.header['status']} already.",
    )


def _decision(
    request: Request,
    who: Principal,
    header: dict,
    status: int = 200,
    message: str | None = None,
    error: str | None = None,
) -> Response:
    return render(
        request,
        "plan_decision.html",
        who,
        status=status,
        plan=header,
        can_write=allowed(who.role, "plan.write"),
        message=message,
        error=error,
    )


def _reasons(refused: Refused) -> str:
    """A refusal's problems as one sentence for a person ("plan is approved; ...")."""
    return "; ".join(f"{p.field} {p.reason}" for p in refused.problems)


def _job_fragment(request: Request, who: Principal, status: int = 200, **context: Any) -> Response:
    """The plan job's progress fragment; `can_write` shows its stop button."""
    return render(
        request,
        "plan_job.html",
        who,
        status=status,
        can_write=allowed(who.role, "plan.write"),
        **{"note": None, **context},
    )
