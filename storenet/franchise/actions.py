"""The franchise actions a person takes, each with its access check: function scope is
the policy's target.*, program.*, reward.* and statement.read actions
(storenet.accounts.roles); object scope is storenet.franchise.visibility (a franchise
owner: his own franchisee and its stores; finance and HQ: all) and
storenet.accounts.scope (stores, regions). Another franchisee's reward or statement
is answered as not found. Writes run once per (caller, key): a replay answers the
first result and writes nothing, not even a second audit entry. Reward transitions run
through reward_states.transition_audited, so a refused one is audited too.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, select

from storenet.accounts.access import require
from storenet.accounts.errors import Denied
from storenet.accounts.principal import Principal
from storenet.accounts.roles import FRANCHISE
from storenet.accounts.scope import visible_regions, visible_stores
from storenet.errors import NotFound, Problem, Refused
from storenet.franchise import corrections, programs, reward_lists, reward_states, rewards
from storenet.franchise.attainment import attainments
from storenet.franchise.periods import parse_period
from storenet.franchise.statement import statement
from storenet.franchise.targets import TargetInput, current_targets, set_targets
from storenet.franchise.visibility import require_franchisee, visible_franchisees
from storenet.ledger.idempotency import run_once
from storenet.store.schema import incentive_programs
from storenet.store.schema import rewards as rewards_table

SCOPE = "franchise"


def read_targets(
    conn: Connection, who: Principal, period: str | None, scope: str | None
) -> list[dict]:
    """Current targets of `period` the caller may see (target.read). Refused without
    a period (checked after access)."""
    require(conn, who, "target.read")
    period = parse_period(period).name
    rows = current_targets(conn, period, scope)
    stores, franchisees = visible_stores(conn, who), visible_franchisees(who)
    return [
        r
        for r in rows
        if (r["scope"] == "store" and (stores is None or r["subject"] in stores))
        or (r["scope"] == "franchisee" and (franchisees is None or r["subject"] in franchisees))
    ]


def write_targets(conn: Connection, who: Principal, key: str, targets: list[dict]) -> dict:
    """Set targets (target.write), all or nothing, once per key."""
    require(conn, who, "target.write")
    given = [TargetInput(**t) for t in targets]
    return run_once(
        conn,
        SCOPE,
        who.key_prefix + key,
        {"cmd": "targets", "targets": targets},
        lambda: set_targets(conn, given, who.username),
    )


def read_attainment(
    conn: Connection, who: Principal, period: str | None, scope: str, tz: str, through: date | None
) -> list[dict]:
    """Attainment of `period` per `scope` (store, franchisee, region) for what the
    caller may see (target.read), as JSON-able dicts."""
    require(conn, who, "target.read")
    period = parse_period(period).name
    if scope == "store":
        seen = visible_stores(conn, who)
    elif scope == "franchisee":
        seen = visible_franchisees(who)
    else:
        seen = visible_regions(conn, who)
    rows = attainments(conn, period, tz, scope, through, seen)
    return [
        {
            "scope": a.scope,
            "subject": a.subject,
            "period": a.period,
            "metric": a.metric,
            "category": a.category,
            "target": a.target,
            "currency": a.currency,
            "sold": a.sold,
            "returned": a.returned,
            "actual": a.actual,
            "share": a.share,
            "through": a.through,
            "daily": [{"day": d, "actual": v, "share": s} for d, v, s in a.daily],
        }
        for a in rows
    ]


def read_programs(conn: Connection, who: Principal) -> list[dict]:
    """Programs and terms (program.read): a franchise owner sees the published terms
    he is eligible for, with his own acceptance only."""
    require(conn, who, "program.read")
    own = who.franchisee_id or "" if who.role == FRANCHISE else None
    return programs.list_programs(conn, own)


def create_program(conn: Connection, who: Principal, key: str, program_id: str, name: str) -> dict:
    """Create a program (program.write), once per key."""
    require(conn, who, "program.write")
    return run_once(
        conn,
        SCOPE,
        who.key_prefix + key,
        {"cmd": "program", "id": program_id, "name": name},
        lambda: programs.create_program(conn, program_id, name, who.username),
    )


def draft_terms(conn: Connection, who: Principal, key: str, program_id: str, terms: dict) -> dict:
    """Draft the next terms version (program.write), once per key."""
    require(conn, who, "program.write")
    return run_once(
        conn,
        SCOPE,
        who.key_prefix + key,
        {"cmd": "terms", "program": program_id, "terms": terms},
        lambda: programs.draft_terms(conn, program_id, terms, who.username),
    )


def publish_terms(
    conn: Connection, who: Principal, key: str, program_id: str, version: int
) -> dict:
    """Publish a terms version (program.write), once per key."""
    require(conn, who, "program.write")
    return run_once(
        conn,
        SCOPE,
        who.key_prefix + key,
        {"cmd": "publish", "program": program_id, "version": version},
        lambda: programs.publish_terms(conn, program_id, version, who.username),
    )


def accept_terms(conn: Connection, who: Principal, key: str, program_id: str, version: int) -> dict:
    """Accept a published terms version for the caller's own franchisee
    (program.accept), once per key. Terms he is not eligible for answer not found."""
    require(conn, who, "program.accept")
    if not who.franchisee_id:
        raise Refused([Problem("franchisee", "your account belongs to no franchisee")])
    terms = programs.get_terms(conn, program_id, version)
    if terms["published_at"] is None or not programs.eligible(terms, who.franchisee_id):
        raise NotFound("program terms", f"{program_id} v{version}")
    return run_once(
        conn,
        SCOPE,
        who.key_prefix + key,
        {"cmd": "accept", "program": program_id, "version": version},
        lambda: programs.accept_terms(
            conn, program_id, version, who.franchisee_id or "", who.username
        ),
    )


def read_rewards(
    conn: Connection,
    who: Principal,
    today: date,
    *,
    status: str | None = None,
    period: str | None = None,
    overdue_only: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> list[dict]:
    """Rewards the caller may see (reward.read), oldest due first, without their
    calculation lines (one reward: `read_reward`)."""
    require(conn, who, "reward.read")
    rows = reward_lists.list_rewards(
        conn, today, visible_franchisees(who), status, period, overdue_only, limit + offset + 1
    )
    return [
        {k: v for k, v in r.items() if k not in ("calculation", "lines")} for r in rows[offset:]
    ]


def read_reward(conn: Connection, who: Principal, reward_id: str, today: date) -> dict:
    """One reward with its calculation and transitions (reward.read); another
    franchisee's answers not found."""
    require(conn, who, "reward.read")
    _require_reward(conn, who, reward_id, "reward.read")
    doc = reward_lists.get_reward(conn, reward_id, today)
    return {k: v for k, v in doc.items() if k != "calculation"}


def overdue(conn: Connection, who: Principal, today: date) -> dict:
    """The overdue digest (reward.read), of the caller's own franchisee when scoped."""
    require(conn, who, "reward.read")
    return reward_lists.overdue_digest(conn, today, visible_franchisees(who))


def overdue_summary(conn: Connection, who: Principal, today: date) -> dict:
    """How many of the rewards the caller may see are overdue, and their totals per
    currency (reward.read): the console's alarm."""
    require(conn, who, "reward.read")
    return reward_lists.overdue_totals(conn, today, visible_franchisees(who))


def close_period(
    conn: Connection,
    who: Principal,
    key: str,
    period: str,
    program_ids: list[str] | None,
    tz: str,
    today: date | None = None,
) -> dict:
    """Close `period` for the programs named (default: every one) (reward.close),
    once per key. Returns {"closes": [...]}."""
    require(conn, who, "reward.close")

    def work() -> dict:
        ids = program_ids or list(
            conn.execute(
                select(incentive_programs.c.id).order_by(incentive_programs.c.id)
            ).scalars()
        )
        return {
            "closes": [rewards.close_period(conn, p, period, tz, who.username, today) for p in ids]
        }

    return run_once(
        conn,
        SCOPE,
        who.key_prefix + key,
        {"cmd": "close", "period": period, "programs": program_ids},
        work,
    )


def transition(
    engine: Engine, who: Principal, key: str, reward_id: str, action: str, **given: Any
) -> dict:
    """Move a reward (approve, pay, dispute, resolve, correct) as `who` (reward.<action>),
    once per key, in its own transaction; a refusal (conflict, four eyes, scope) is
    audited (reward_states.transition_audited). A franchise owner acts on his own
    franchisee's rewards only."""

    def work(conn: Connection) -> dict:
        require(conn, who, f"reward.{action}")
        _require_reward(conn, who, reward_id, f"reward.{action}")

        def do() -> dict:
            if action == "correct":
                made = corrections.correct_reward(
                    conn, reward_id, who.username, given["amount"], given.get("reason", "")
                )
                return {"id": made["id"], "status": made["status"], "corrects": reward_id}
            if action == "approve":
                row = reward_states.approve_reward(conn, reward_id, who.username)
            elif action == "pay":
                row = reward_states.pay_reward(
                    conn, reward_id, who.username, given["payment_ref"], given["paid_on"]
                )
            elif action == "dispute":
                row = reward_states.dispute_reward(
                    conn, reward_id, who.username, given.get("reason", "")
                )
            else:
                row = reward_states.resolve_reward(
                    conn, reward_id, who.username, given.get("answer", "")
                )
            return {"id": row["id"], "status": row["status"]}

        return run_once(
            conn, SCOPE, who.key_prefix + key, {"cmd": action, "reward": reward_id, **given}, do
        )

    return reward_states.transition_audited(engine, action, reward_id, who.username, work)


def read_statement(
    conn: Connection, who: Principal, franchisee_id: str, period: str | None, tz: str, today: date
) -> dict:
    """A franchisee's statement (statement.read); another franchisee's answers not
    found."""
    require(conn, who, "statement.read")
    require_franchisee(who, franchisee_id, "statement.read")
    period = parse_period(period).name
    return statement(conn, franchisee_id, period, tz, today)


def _require_reward(conn: Connection, who: Principal, reward_id: str, action: str) -> None:
    owner = conn.execute(
        select(rewards_table.c.franchisee_id).where(rewards_table.c.id == reward_id)
    ).scalar()
    seen = visible_franchisees(who)
    if owner is None or (seen is not None and owner not in seen):
        if seen is not None:
            raise Denied(
                action,
                target=reward_id,
                reason="not your franchisee's reward",
                hidden=True,
                kind="reward",
            )
        raise NotFound("reward", reward_id)
