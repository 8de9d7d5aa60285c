"""The nightly plan: start it as a background job, follow it, read its explained
lines (only those of the caller's stores for scoped roles), edit, approve, release
(once), reopen an approved plan to draft, cancel. Every decision is audited by
`storenet.planning.decisions`, which the console and the CLI call too."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from storenet.accounts.access import require
from storenet.accounts.scope import visible_stores
from storenet.api.pagination import PageDep
from storenet.api.routes.common import act, exact_json
from storenet.http.callers import CurrentPrincipal
from storenet.http.plan_jobs import cancel_plan_job, plan_job, start_plan_job
from storenet.http.service import ServiceDep
from storenet.planning.decisions import approve, cancel, edit_plan_line, release, reopen
from storenet.planning.documents import get_plan
from storenet.planning.review import LineFilter, line_as_dict, line_page, plan_in_scope
from storenet.planning.upstream import read_upstream, warehouses_serving

router = APIRouter(tags=["plans"])
PlanId = Annotated[str, Path(min_length=1, max_length=64)]


class PlanJobIn(BaseModel):
    day: date | None = Field(default=None, description="delivery day (default: next)")


class LineEditIn(BaseModel):
    qty: int = Field(strict=True, ge=0, le=10**9)


class ReasonIn(BaseModel):
    reason: str = Field(
        min_length=1, max_length=500, description="why the plan changes state (kept with it)"
    )


@router.post(
    "/plans/jobs",
    status_code=202,
    openapi_extra=act("plan.write"),
    summary="Start the nightly plan in the background",
)
def jobs_start(body: PlanJobIn, who: CurrentPrincipal, svc: ServiceDep):
    svc.read(lambda conn: require(conn, who, "plan.write"))
    return exact_json(start_plan_job(svc, who.username, body.day), 202)


@router.get(
    "/plans/jobs/{job_id}",
    openapi_extra=act("plan.read"),
    summary="A plan job's status and progress",
)
def jobs_get(
    job_id: Annotated[str, Path(max_length=64)], who: CurrentPrincipal, svc: ServiceDep
) -> dict:
    svc.read(lambda conn: require(conn, who, "plan.read"))
    return plan_job(svc, job_id)


@router.post(
    "/plans/jobs/{job_id}/cancel",
    status_code=202,
    openapi_extra=act("plan.write"),
    summary="Stop a running plan job (audited); it ends as cancelled, saving nothing",
)
def jobs_cancel(
    job_id: Annotated[str, Path(max_length=64)], who: CurrentPrincipal, svc: ServiceDep
):
    svc.read(lambda conn: require(conn, who, "plan.write"))
    return exact_json(cancel_plan_job(svc, who.username, job_id), 202)


@router.get(
    "/plans/{plan_id}", openapi_extra=act("plan.read"), summary="A plan's header and summary"
)
def plans_get(plan_id: PlanId, who: CurrentPrincipal, svc: ServiceDep) -> dict:
    """The summary counts the caller's stores only for scoped roles (as the console)."""

    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "plan.read")
        return plan_in_scope(conn, plan_id, visible_stores(conn, who))

    return svc.read(work)


@router.get(
    "/plans/{plan_id}/lines",
    openapi_extra=act("plan.read"),
    summary="Plan lines with their explanations (only the caller's stores for scoped roles)",
)
def plans_lines(
    plan_id: PlanId,
    who: CurrentPrincipal,
    svc: ServiceDep,
    page: PageDep,
    store: Annotated[str | None, Query(max_length=32)] = None,
    cut_only: bool = False,
) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "plan.read")
        get_plan(conn, plan_id)
        found = line_page(
            conn,
            plan_id,
            LineFilter(store_id=store, cut_only=cut_only),
            visible_stores(conn, who),
            limit=page.limit,
            offset=page.offset,
        )
        return {
            "items": [line_as_dict(plan_id, line) for line in found.lines],
            "limit": found.limit,
            "offset": found.offset,
            "next_offset": found.next_offset,
        }

    return svc.read(work)


@router.get(
    "/plans/{plan_id}/upstream-lines",
    openapi_extra=act("plan.read"),
    summary="The plan's supplier-order and warehouse-transfer lines with their "
    "explanations (scoped roles: only what flows into their stores' warehouses)",
)
def plans_upstream_lines(
    plan_id: PlanId,
    who: CurrentPrincipal,
    svc: ServiceDep,
    page: PageDep,
    kind: Annotated[Literal["purchase", "transfer"] | None, Query()] = None,
) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "plan.read")
        get_plan(conn, plan_id)
        seen = visible_stores(conn, who)
        lines = read_upstream(
            conn,
            plan_id,
            kind=kind,
            destinations=None if seen is None else warehouses_serving(conn, seen),
            limit=page.limit + 1,
            offset=page.offset,
        )
        more = len(lines) > page.limit
        return {
            "items": lines[: page.limit],
            "limit": page.limit,
            "offset": page.offset,
            "next_offset": page.offset + page.limit if more else None,
        }

    return svc.read(work)


@router.put(
    "/plans/{plan_id}/lines/{line_no}",
    openapi_extra=act("plan.write"),
    summary="Change a draft line's quantity (audited)",
)
def plans_edit(
    plan_id: PlanId,
    line_no: Annotated[int, Path(ge=1, le=10**9)],
    body: LineEditIn,
    who: CurrentPrincipal,
    svc: ServiceDep,
) -> dict:
    return svc.write(lambda conn: edit_plan_line(conn, who, plan_id, line_no, body.qty))


@router.post(
    "/plans/{plan_id}/approve",
    openapi_extra=act("plan.write"),
    summary="Approve a draft plan (audited)",
)
def plans_approve(plan_id: PlanId, who: CurrentPrincipal, svc: ServiceDep) -> dict:
    return svc.write(lambda conn: approve(conn, who, plan_id)).header


@router.post(
    "/plans/{plan_id}/release",
    openapi_extra=act("plan.write"),
    summary="Release an approved plan into the ledger, once (audited)",
)
def plans_release(plan_id: PlanId, who: CurrentPrincipal, svc: ServiceDep) -> dict:
    # Idempotent over the API: a second release answers the first result (a program
    # retrying after a lost answer must not see an error); the console says so.
    return svc.write(lambda conn: release(conn, who, plan_id)).header


@router.post(
    "/plans/{plan_id}/reopen",
    openapi_extra=act("plan.write"),
    summary="Take an approved plan back to draft, with a reason (audited)",
)
def plans_reopen(plan_id: PlanId, body: ReasonIn, who: CurrentPrincipal, svc: ServiceDep) -> dict:
    return svc.write(lambda conn: reopen(conn, who, plan_id, body.reason)).header


@router.post(
    "/plans/{plan_id}/cancel",
    openapi_extra=act("plan.write"),
    summary="Cancel a draft or approved plan, with a reason (audited); its day can be "
    "planned again",
)
def plans_cancel(plan_id: PlanId, body: ReasonIn, who: CurrentPrincipal, svc: ServiceDep) -> dict:
    return svc.write(lambda conn: cancel(conn, who, plan_id, body.reason)).header
