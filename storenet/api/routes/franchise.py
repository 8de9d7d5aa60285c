"""The franchise relationship over HTTP: targets and attainment, incentive programs
(terms drafted, published, accepted), rewards (close a period, approve, pay, dispute,
resolve, correct; the overdue digest) and a franchisee's statement.

Writes carry an Idempotency-Key (a replay answers the first result). Everything goes
through `storenet.franchise.actions`, which checks access and scope and audits. A
reward transition out of order answers 409; approving a reward you prepared answers
403 (four eyes); another franchisee's reward or statement answers 404. Money is
Decimal text with its currency ("1000.00", "CNY").
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from starlette.responses import Response

from storenet.api.deps import IdempotencyKey
from storenet.api.pagination import PageDep, page_of
from storenet.api.routes.common import act, exact_json
from storenet.franchise import actions
from storenet.http.callers import CurrentPrincipal
from storenet.http.service import Service, ServiceDep

router = APIRouter(tags=["franchise"])
ID = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
PERIOD = r"^\d{4}-(\d{2}|Q[1-4])$"
TEXT = r"^[^\x00]*$"
# Required, but checked by the service after the caller's access (as /recalls/trace),
# so a role that may not read gets 403 whatever it asks.
Period = Annotated[str | None, Query(pattern=PERIOD, description="2026-11 or 2026-Q4")]
RewardId = Annotated[str, Path(min_length=1, max_length=96, pattern=ID)]
ProgramId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID)]
Version = Annotated[int, Path(ge=1, le=100_000)]
Money = Annotated[str, Field(pattern=r"^\d{1,13}(\.\d{1,2})?$")]


def _today(svc: Service) -> date:
    return datetime.now(ZoneInfo(svc.settings.market_tz)).date()


class TargetIn(BaseModel):
    scope: str = Field(max_length=12)
    subject: str = Field(min_length=1, max_length=32, pattern=ID)
    period: str = Field(pattern=PERIOD)
    metric: str = Field(max_length=32)
    amount: str = Field(max_length=20, description='"12500.00" or whole units')
    category: str = Field(default="", max_length=32)
    currency: str = Field(default="CNY", max_length=3)


class TargetsIn(BaseModel):
    targets: list[TargetIn] = Field(min_length=1, max_length=20_000)


class ProgramIn(BaseModel):
    id: str = Field(min_length=1, max_length=64, pattern=ID)
    name: str = Field(min_length=1, max_length=200, pattern=TEXT)


class TierIn(BaseModel):
    threshold: str = Field(max_length=20, description="a ratio (1.00 = 100 %) or an amount")
    payout: str = Field(pattern="^(fixed|share)$")
    amount: Money | None = None
    rate: str | None = Field(default=None, max_length=12, description="0.02 = 2 %")


class TermsIn(BaseModel):
    period_kind: str = Field(pattern="^(month|quarter)$")
    from_period: str = Field(pattern=PERIOD)
    basis: str = Field(pattern="^(attainment|sales)$")
    metric: str = Field(default="revenue", max_length=32)
    category: str = Field(default="", max_length=32)
    tiers: list[TierIn] = Field(min_length=1, max_length=20)
    currency: str = Field(min_length=3, max_length=3)
    due_days: int = Field(ge=0, le=366)
    eligible: list[Annotated[str, Field(max_length=32)]] = Field(
        default_factory=lambda: ["*"], min_length=1, max_length=20_000
    )


class CloseIn(BaseModel):
    period: str = Field(pattern=PERIOD)
    programs: list[Annotated[str, Field(max_length=64, pattern=ID)]] | None = None


class PayIn(BaseModel):
    payment_ref: str = Field(min_length=1, max_length=100, pattern=TEXT)
    paid_on: date


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, pattern=TEXT)


class AnswerIn(BaseModel):
    answer: str = Field(min_length=1, max_length=500, pattern=TEXT)


class CorrectIn(BaseModel):
    amount: Money
    reason: str = Field(min_length=1, max_length=500, pattern=TEXT)


@router.get("/targets", openapi_extra=act("target.read"), summary="Current targets of a period")
def targets_list(
    who: CurrentPrincipal,
    svc: ServiceDep,
    period: Period = None,
    scope: Annotated[str | None, Query(pattern="^(store|franchisee)$")] = None,
) -> Response:
    return exact_json(svc.read(lambda conn: actions.read_targets(conn, who, period, scope)))


@router.post(
    "/targets",
    openapi_extra=act("target.write"),
    summary="Set targets, all or nothing (a changed one gets a new version)",
)
def targets_set(
    body: TargetsIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
) -> Response:
    rows = [t.model_dump() for t in body.targets]
    return exact_json(svc.write(lambda conn: actions.write_targets(conn, who, key, rows)))


@router.get(
    "/attainment",
    openapi_extra=act("target.read"),
    summary="Attainment (net sales / target) per store, franchisee or region, per day",
)
def attainment(
    who: CurrentPrincipal,
    svc: ServiceDep,
    period: Period = None,
    scope: Annotated[str, Query(pattern="^(store|franchisee|region)$")] = "store",
    through: date | None = None,
) -> Response:
    tz = svc.settings.market_tz
    return exact_json(
        svc.read(lambda conn: actions.read_attainment(conn, who, period, scope, tz, through))
    )


@router.get("/programs", openapi_extra=act("program.read"), summary="Incentive programs")
def programs_list(who: CurrentPrincipal, svc: ServiceDep) -> Response:
    return exact_json(svc.read(lambda conn: actions.read_programs(conn, who)))


@router.post(
    "/programs", status_code=201, openapi_extra=act("program.write"), summary="Create a program"
)
def programs_create(
    body: ProgramIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
) -> Response:
    made = svc.write(lambda conn: actions.create_program(conn, who, key, body.id, body.name))
    return exact_json(made, 201)


@router.post(
    "/programs/{program_id}/terms",
    status_code=201,
    openapi_extra=act("program.write"),
    summary="Draft the next version of a program's terms",
)
def programs_terms(
    program_id: ProgramId,
    body: TermsIn,
    key: IdempotencyKey,
    who: CurrentPrincipal,
    svc: ServiceDep,
) -> Response:
    terms = body.model_dump()
    terms["tiers"] = [{k: v for k, v in t.items() if v is not None} for t in terms["tiers"]]
    made = svc.write(lambda conn: actions.draft_terms(conn, who, key, program_id, terms))
    return exact_json(made, 201)


@router.post(
    "/programs/{program_id}/terms/{version}/publish",
    openapi_extra=act("program.write"),
    summary="Publish a terms version to the franchisees",
)
def programs_publish(
    program_id: ProgramId,
    version: Version,
    key: IdempotencyKey,
    who: CurrentPrincipal,
    svc: ServiceDep,
) -> Response:
    return exact_json(
        svc.write(lambda conn: actions.publish_terms(conn, who, key, program_id, version))
    )


@router.post(
    "/programs/{program_id}/terms/{version}/accept",
    openapi_extra=act("program.accept"),
    summary="Accept a published terms version for your franchisee (version and time kept)",
)
def programs_accept(
    program_id: ProgramId,
    version: Version,
    key: IdempotencyKey,
    who: CurrentPrincipal,
    svc: ServiceDep,
) -> Response:
    return exact_json(
        svc.write(lambda conn: actions.accept_terms(conn, who, key, program_id, version))
    )


@router.get("/rewards", openapi_extra=act("reward.read"), summary="Rewards, oldest due first")
def rewards_list(
    who: CurrentPrincipal,
    svc: ServiceDep,
    page: PageDep,
    status: Annotated[
        str | None, Query(pattern="^(owed|approved|paid|disputed|resolved|corrected)$")
    ] = None,
    period: Annotated[str | None, Query(pattern=PERIOD)] = None,
    overdue: bool = False,
) -> Response:
    today = _today(svc)
    rows = svc.read(
        lambda conn: actions.read_rewards(
            conn,
            who,
            today,
            status=status,
            period=period,
            overdue_only=overdue,
            limit=page.limit,
            offset=page.offset,
        )
    )
    return exact_json(page_of(rows, page))


@router.get(
    "/rewards/overdue",
    openapi_extra=act("reward.read"),
    summary="The overdue digest: rewards past their due day, not yet paid",
)
def rewards_overdue(who: CurrentPrincipal, svc: ServiceDep) -> Response:
    today = _today(svc)
    return exact_json(svc.read(lambda conn: actions.overdue(conn, who, today)))


@router.post(
    "/rewards/close-period",
    openapi_extra=act("reward.close"),
    summary="Close a period: each eligible franchisee's reward, owed (idempotent)",
)
def rewards_close(
    body: CloseIn, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
) -> Response:
    tz = svc.settings.market_tz
    return exact_json(
        svc.write(lambda conn: actions.close_period(conn, who, key, body.period, body.programs, tz))
    )


@router.get(
    "/rewards/{reward_id}",
    openapi_extra=act("reward.read"),
    summary="A reward with its calculation line by line and its transitions",
)
def rewards_get(reward_id: RewardId, who: CurrentPrincipal, svc: ServiceDep) -> Response:
    today = _today(svc)
    return exact_json(svc.read(lambda conn: actions.read_reward(conn, who, reward_id, today)))


def _move(svc: Service, who, key: str, reward_id: str, action: str, **given) -> Response:  # type: ignore[no-untyped-def]
    return exact_json(actions.transition(svc.engine, who, key, reward_id, action, **given))


@router.post(
    "/rewards/{reward_id}/approve",
    openapi_extra=act("reward.approve"),
    summary="Approve an owed or resolved reward (not by who prepared it: four eyes)",
)
def rewards_approve(
    reward_id: RewardId, key: IdempotencyKey, who: CurrentPrincipal, svc: ServiceDep
) -> Response:
    return _move(svc, who, key, reward_id, "approve")


@router.post(
    "/rewards/{reward_id}/pay",
    openapi_extra=act("reward.pay"),
    summary="Mark an approved reward paid: payment reference and day",
)
def rewards_pay(
    reward_id: RewardId,
    body: PayIn,
    key: IdempotencyKey,
    who: CurrentPrincipal,
    svc: ServiceDep,
) -> Response:
    return _move(
        svc, who, key, reward_id, "pay", payment_ref=body.payment_ref, paid_on=body.paid_on
    )


@router.post(
    "/rewards/{reward_id}/dispute",
    openapi_extra=act("reward.dispute"),
    summary="Dispute an owed or approved reward, saying why",
)
def rewards_dispute(
    reward_id: RewardId,
    body: ReasonIn,
    key: IdempotencyKey,
    who: CurrentPrincipal,
    svc: ServiceDep,
) -> Response:
    return _move(svc, who, key, reward_id, "dispute", reason=body.reason)


@router.post(
    "/rewards/{reward_id}/resolve",
    openapi_extra=act("reward.resolve"),
    summary="Answer a dispute; the reward goes back in the flow",
)
def rewards_resolve(
    reward_id: RewardId,
    body: AnswerIn,
    key: IdempotencyKey,
    who: CurrentPrincipal,
    svc: ServiceDep,
) -> Response:
    return _move(svc, who, key, reward_id, "resolve", answer=body.answer)


@router.post(
    "/rewards/{reward_id}/correct",
    openapi_extra=act("reward.correct"),
    summary="Correct an unpaid reward: a new reward referencing it",
)
def rewards_correct(
    reward_id: RewardId,
    body: CorrectIn,
    key: IdempotencyKey,
    who: CurrentPrincipal,
    svc: ServiceDep,
) -> Response:
    return _move(svc, who, key, reward_id, "correct", amount=body.amount, reason=body.reason)


@router.get(
    "/franchisees/{franchisee_id}/statement",
    openapi_extra=act("statement.read"),
    summary="A franchisee's statement for a period: sales, attainment, rewards, terms",
)
def statement(
    franchisee_id: Annotated[str, Path(min_length=1, max_length=32, pattern=ID)],
    who: CurrentPrincipal,
    svc: ServiceDep,
    period: Period = None,
) -> Response:
    tz, today = svc.settings.market_tz, _today(svc)
    doc = svc.read(lambda conn: actions.read_statement(conn, who, franchisee_id, period, tz, today))
    doc["attainment"] = [
        {
            "metric": a.metric,
            "category": a.category,
            "target": a.target,
            "actual": a.actual,
            "share": a.share,
            "currency": a.currency,
        }
        for a in doc["attainment"]
    ]
    return exact_json(doc)
