"""The nightly plan: start it as a background job, follow it, read its explained
lines, edit, approve, release (once). Approval, edits and release are audited."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from storenet.accounts.access import require
from storenet.api.deps import CurrentPrincipal, ServiceDep
from storenet.api.jobs import get_job, start_plan_job
from storenet.api.pagination import PageDep, page_of
from storenet.api.routes.common import act, exact_json
from storenet.audit.chain import record
from storenet.errors import NotFound
from storenet.planning.documents import (
    approve_plan,
    edit_line,
    get_plan,
    read_lines,
    release_plan,
)
from storenet.store.schema import plans

router = APIRouter(tags=["plans"])
PlanId = Annotated[str, Path(min_length=1, max_length=64)]


class PlanJobIn(BaseModel):
    day: date | None = Field(default=None, description="delivery day (default: next)")


class LineEditIn(BaseModel):
    qty: int = Field(ge=0, le=10**9)


def _locked_status(conn, plan_id: str) -> str:  # type: ignore[no-untyped-def]
    """The plan's status, with its row locked until commit (so exactly one of two
    concurrent approvals or releases sees the change and audits it)."""
    status = conn.execute(
        select(plans.c.status).where(plans.c.id == plan_id).with_for_update()
    ).scalar()
    if status is None:
        raise NotFound("plan", plan_id)
    return status


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
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "plan.read")
        return get_job(conn, job_id)

    return svc.read(work)


@router.get(
    "/plans/{plan_id}", openapi_extra=act("plan.read"), summary="A plan's header and summary"
)
def plans_get(plan_id: PlanId, who: CurrentPrincipal, svc: ServiceDep) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "plan.read")
        return get_plan(conn, plan_id)

    return svc.read(work)


@router.get(
    "/plans/{plan_id}/lines",
    openapi_extra=act("plan.read"),
    summary="Plan lines with their explanations",
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
        rows = read_lines(
            conn,
            plan_id,
            store_id=store,
            cut_only=cut_only,
            limit=page.limit + 1,
            offset=page.offset,
        )
        return page_of(rows, page)

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
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "plan.write")
        _locked_status(conn, plan_id)
        before = read_lines(conn, plan_id, limit=1, offset=line_no - 1)
        if not before or before[0]["line_no"] != line_no:
            raise NotFound("plan line", f"{plan_id}#{line_no}")
        line = edit_line(conn, plan_id, line_no, body.qty)
        record(
            conn,
            who.username,
            "plan.edit",
            f"plan:{plan_id}#{line_no}",
            {"qty": before[0]["qty"]},
            {"qty": line["qty"]},
        )
        return line

    return svc.write(work)


@router.post(
    "/plans/{plan_id}/approve",
    openapi_extra=act("plan.write"),
    summary="Approve a draft plan (audited)",
)
def plans_approve(plan_id: PlanId, who: CurrentPrincipal, svc: ServiceDep) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "plan.write")
        before = _locked_status(conn, plan_id)
        header = approve_plan(conn, plan_id, who.username)
        if header["status"] != before:
            record(
                conn,
                who.username,
                "plan.approve",
                f"plan:{plan_id}",
                {"status": before},
                {"status": header["status"]},
            )
        return header

    return svc.write(work)


@router.post(
    "/plans/{plan_id}/release",
    openapi_extra=act("plan.write"),
    summary="Release an approved plan into the ledger, once (audited)",
)
def plans_release(plan_id: PlanId, who: CurrentPrincipal, svc: ServiceDep) -> dict:
    def work(conn):  # type: ignore[no-untyped-def]
        require(conn, who, "plan.write")
        before = _locked_status(conn, plan_id)
        header = release_plan(conn, plan_id)
        if header["status"] != before:
            record(
                conn,
                who.username,
                "plan.release",
                f"plan:{plan_id}",
                {"status": before},
                {
                    "status": header["status"],
                    "transfers": header.get("summary", {}).get("transfers"),
                },
            )
        return header

    return svc.write(work)
