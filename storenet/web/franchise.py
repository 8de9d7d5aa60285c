"""The console's franchise pages: targets and attainment (per store, franchisee or
region, per day), incentive programs and their acceptances (a franchise owner accepts
the terms offered to him here), rewards with their state and due date (overdue ones
raised), one reward with its calculation and its next decision, and a franchisee's
statement (a page, and a printable HTML document to download).

Every read and write goes through `storenet.franchise.actions`, the functions the API
calls, so the page checks access and scope and audits as the API does; a page only
hides the buttons a role may not use (approve from the reward's preparer: four eyes).
Each form carries an idempotency key made when it was drawn. Another franchisee's
reward or statement answers 404 exactly as an unknown one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Path, Query, Request
from starlette.responses import Response

from storenet.accounts.errors import Denied
from storenet.accounts.principal import Principal
from storenet.accounts.roles import FRANCHISE, allowed
from storenet.errors import IdempotencyConflict, Problem, Refused, StatusConflict
from storenet.franchise import actions
from storenet.franchise.reward_states import STATUSES
from storenet.http.service import Service, ServiceDep
from storenet.web.layout import PREFIX, Viewer, render

router = APIRouter(include_in_schema=False)

PeriodQ = Annotated[str, Query(max_length=8)]
RewardId = Annotated[str, Path(min_length=1, max_length=96)]
Key = Annotated[str, Form(max_length=64)]
Text = Annotated[str, Form(max_length=500)]
DECISIONS = ("approve", "pay", "dispute", "resolve")


def _today(svc: Service) -> date:
    return datetime.now(ZoneInfo(svc.settings.market_tz)).date()


def _last_month(svc: Service) -> str:
    first = _today(svc).replace(day=1)
    prev = date.fromordinal(first.toordinal() - 1)
    return f"{prev:%Y-%m}"


@router.get(PREFIX + "/targets")
def targets_page(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    period: PeriodQ = "",
    scope: Annotated[str, Query(pattern="^(store|franchisee|region)$")] = "store",
) -> Response:
    """Targets of a period and their attainment so far, per store, franchisee or region
    (target.read); default: last month."""
    period = period or _last_month(svc)
    tz = svc.settings.market_tz
    rows = svc.read(lambda conn: actions.read_attainment(conn, who, period, scope, tz, _today(svc)))
    return render(
        request,
        "franchise/targets.html",
        who,
        period=period,
        scope=scope,
        rows=rows,
        note=None,
        can_set=allowed(who.role, "target.write"),
        new_key=lambda: uuid4().hex,
    )


@router.post(PREFIX + "/targets")
def target_set(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    key: Key = "",
    scope: Annotated[str, Form(max_length=12)] = "",
    subject: Annotated[str, Form(max_length=32)] = "",
    period: Annotated[str, Form(max_length=8)] = "",
    metric: Annotated[str, Form(max_length=32)] = "",
    category: Annotated[str, Form(max_length=32)] = "",
    amount: Annotated[str, Form(max_length=20)] = "",
    currency: Annotated[str, Form(max_length=3)] = "CNY",
) -> Response:
    """Set one target (target.write): a new version when it changed. Answers the form:
    200 with a message, 422 naming the refused field, 409 for a key reused."""
    given = {
        "scope": scope,
        "subject": subject.strip(),
        "period": period.strip(),
        "metric": metric,
        "category": category.strip(),
        "amount": amount.strip(),
        "currency": currency.strip() or "CNY",
    }
    status, note = 200, {"form": "target", "message": None, "problems": [], "entered": given}
    try:
        done = svc.write(lambda conn: actions.write_targets(conn, who, _key(key), [given]))
        note["message"] = (
            "Target set: a new version."
            if done["set"]
            else "Unchanged: the target already has this amount."
        )
    except Refused as refused:
        status, note["problems"] = 422, refused.problems
    except IdempotencyConflict as conflict:
        status = 409
        note["problems"] = [Problem(conflict.field, "this form was sent before with other input")]
    return render(
        request,
        "franchise/target_form.html",
        who,
        status=status,
        note=note,
        new_key=lambda: uuid4().hex,
        period=period,
    )


@router.get(PREFIX + "/programs")
def programs_page(request: Request, who: Viewer, svc: ServiceDep) -> Response:
    """Incentive programs, their terms versions and acceptances (program.read)."""
    rows = svc.read(lambda conn: actions.read_programs(conn, who))
    return render(
        request,
        "franchise/programs.html",
        who,
        programs=rows,
        note=None,
        new_key=lambda: uuid4().hex,
        can_accept=allowed(who.role, "program.accept"),
    )


@router.post(PREFIX + "/programs/{program_id}/terms/{version}/accept")
def accept(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    program_id: Annotated[str, Path(max_length=64)],
    version: Annotated[int, Path(ge=1)],
    key: Key = "",
) -> Response:
    """Accept a published terms version for the caller's franchisee (program.accept)."""
    status, note = 200, {"form": "accept", "message": None, "problems": []}
    try:
        done = svc.write(
            lambda conn: actions.accept_terms(conn, who, _key(key), program_id, version)
        )
        when = str(done["accepted_at"])[:16].replace("T", " ")
        note["message"] = f"Accepted {program_id} version {version} on {when} UTC."
    except Refused as refused:
        status, note["problems"] = 422, refused.problems
    rows = svc.read(lambda conn: actions.read_programs(conn, who))
    return render(
        request,
        "franchise/programs.html",
        who,
        status=status,
        programs=rows,
        note=note,
        new_key=lambda: uuid4().hex,
        can_accept=allowed(who.role, "program.accept"),
    )


@router.get(PREFIX + "/rewards")
def rewards_page(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    status: Annotated[str, Query(max_length=12)] = "",
    overdue: Annotated[str, Query(max_length=1)] = "",
) -> Response:
    """Rewards with their state and due day, overdue ones raised (reward.read)."""
    if status and status not in STATUSES:
        raise Refused([Problem("status", f"must be one of {', '.join(STATUSES)}", value=status)])
    today = _today(svc)

    def work(conn):  # type: ignore[no-untyped-def]
        rows = actions.read_rewards(
            conn, who, today, status=status or None, overdue_only=bool(overdue), limit=500
        )
        return rows, actions.overdue_summary(conn, who, today)

    rows, digest = svc.read(work)
    return render(
        request,
        "franchise/rewards.html",
        who,
        rewards=rows[:500],
        digest=digest,
        wanted=status,
        overdue=bool(overdue),
        statuses=STATUSES,
        today=today,
    )


def _can(who: Principal, reward: dict) -> dict[str, bool]:
    can = {d: allowed(who.role, f"reward.{d}") for d in DECISIONS}
    if reward["prepared_by"] == who.username:
        can["approve"] = False
    return can


def _reward(
    request: Request,
    who: Principal,
    svc: Service,
    reward_id: str,
    status: int = 200,
    note: dict | None = None,
    template: str = "franchise/reward.html",
) -> Response:
    doc = svc.read(lambda conn: actions.read_reward(conn, who, reward_id, _today(svc)))
    return render(
        request,
        template,
        who,
        status=status,
        r=doc,
        note=note,
        can=_can(who, doc),
        new_key=lambda: uuid4().hex,
    )


@router.get(PREFIX + "/rewards/{reward_id}")
def reward_page(request: Request, who: Viewer, svc: ServiceDep, reward_id: RewardId) -> Response:
    """One reward: its calculation line by line, transitions and next decision."""
    return _reward(request, who, svc, reward_id)


@router.post(PREFIX + "/rewards/{reward_id}/{decision}")
def reward_decide(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    reward_id: RewardId,
    decision: Annotated[str, Path(pattern="^(approve|pay|dispute|resolve)$")],
    key: Key = "",
    text: Text = "",
    payment_ref: Annotated[str, Form(max_length=100)] = "",
    paid_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Make a decision on a reward and answer its decision panel: 200 with a message,
    422 with the refusal's reasons, 409 when the reward moved on."""
    status, note = 200, {"form": "reward", "message": None, "problems": []}
    given: dict[str, Any] = {}
    try:
        if decision == "pay":
            try:
                given = {"payment_ref": payment_ref, "paid_on": date.fromisoformat(paid_on)}
            except ValueError:
                reason = "must be a date YYYY-MM-DD"
                raise Refused([Problem("paid_on", reason, value=paid_on)]) from None
        elif decision == "dispute":
            given = {"reason": text}
        elif decision == "resolve":
            given = {"answer": text}
        done = actions.transition(svc.engine, who, _key(key), reward_id, decision, **given)
        note["message"] = f"Reward {done['id']} is {done['status']}."
    except Refused as refused:
        status, note["problems"] = 422, refused.problems
    except StatusConflict as conflict:
        status, note["problems"] = 409, [Problem("status", str(conflict), value=conflict.status)]
    except IdempotencyConflict as conflict:
        status = 409
        note["problems"] = [Problem(conflict.field, "this form was sent before with other input")]
    except Denied as denied:
        if denied.hidden:
            raise
        status, note["problems"] = 403, [Problem("decision", denied.reason)]
    return _reward(request, who, svc, reward_id, status, note, "franchise/reward_decision.html")


@router.get(PREFIX + "/franchisees/{franchisee_id}/statement")
def statement_page(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    franchisee_id: Annotated[str, Path(max_length=32)],
    period: PeriodQ = "",
    download: Annotated[str, Query(max_length=1)] = "",
) -> Response:
    """A franchisee's statement for a period (statement.read); `download=1`: the same
    as a standalone printable HTML document, as an attachment."""
    period = period or _last_month(svc)
    tz, today = svc.settings.market_tz, _today(svc)
    doc = svc.read(lambda conn: actions.read_statement(conn, who, franchisee_id, period, tz, today))
    if download:
        response = render(request, "franchise/statement_print.html", who, s=doc, today=today)
        name = f"statement-{franchisee_id}-{doc['period']}.html"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(request, "franchise/statement.html", who, s=doc, today=today)


@router.get(PREFIX + "/statement")
def my_statement(request: Request, who: Viewer, svc: ServiceDep, period: PeriodQ = "") -> Response:
    """A franchise owner's own statement (others: the rewards page)."""
    if who.role == FRANCHISE and who.franchisee_id:
        return statement_page(request, who, svc, who.franchisee_id, period)
    return rewards_page(request, who, svc)


def _key(key: str) -> str:
    if not key.strip():
        raise Refused([Problem("key", "is missing: reload the page and send the form again")])
    return "console:" + key.strip()
