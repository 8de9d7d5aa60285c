"""Incentive programs and their versioned terms; publishing and acceptance.

A program (an id chosen by HQ, its idempotency key) has terms in versions 1, 2, ...
A version is drafted, then published; published terms never change (a change is the
next version). A franchisee accepts one published version, recorded with the version
and the time; a reward is computed only under terms its franchisee accepted
(storenet.franchise.rewards). The terms that apply to a period are the newest published
version whose `from_period` is not after it.
"""

from __future__ import annotations

import json
import re

from sqlalchemy import Connection, func, insert, select, update

from storenet.audit.chain import record
from storenet.errors import NotFound, Problem, Refused
from storenet.franchise.payouts import parse_tiers
from storenet.franchise.periods import Period, parse_period
from storenet.franchise.targets import METRICS, SUBSCRIPTIONS
from storenet.store.clock import utc_now
from storenet.store.schema import (
    franchisees,
    incentive_programs,
    program_terms,
    skus,
    terms_acceptances,
)

PROGRAM_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def create_program(conn: Connection, program_id: str, name: str, by: str) -> dict:
    """Create program `program_id` named `name` as `by`; the same id and name again
    is the same program (idempotent). Refused for a bad id, an empty name, or an id
    already used with another name."""
    name = (name or "").strip()
    problems = []
    if not PROGRAM_ID.match(program_id or ""):
        problems.append(
            Problem("id", "must be 1-64 letters, digits, '.', '_' or '-'", "", program_id)
        )
    if not name or len(name) > 200:
        problems.append(Problem("name", "must be 1-200 characters", "", name))
    if problems:
        raise Refused(problems)
    row = conn.execute(
        select(incentive_programs).where(incentive_programs.c.id == program_id)
    ).first()
    if row is not None:
        if row.name != name:
            raise Refused(
                [Problem("id", f"is already the program named {row.name!r}", "", program_id)]
            )
        return row._asdict()
    values = {"id": program_id, "name": name, "created_at": utc_now(), "created_by": by}
    conn.execute(insert(incentive_programs).values(**values))
    record(conn, by, "program.create", f"program:{program_id}", None, {"name": name})
    return values


def _check_terms(conn: Connection, terms: dict) -> dict:
    problems: list[Problem] = []
    kind = terms.get("period_kind")
    if kind not in ("month", "quarter"):
        problems.append(Problem("period_kind", "must be month or quarter", "", kind))
    try:
        start = parse_period(terms.get("from_period"), "from_period")
        if kind in ("month", "quarter") and start.kind != kind:
            problems.append(Problem("from_period", f"must be a {kind}", "", start.name))
    except Refused as refused:
        problems.extend(refused.problems)
        start = None
    basis = terms.get("basis")
    if basis not in ("attainment", "sales"):
        problems.append(Problem("basis", "must be attainment or sales", "", basis))
    metric = terms.get("metric", "revenue")
    if metric in ("subscriptions", "subscriptions_attached"):
        problems.append(Problem("metric", SUBSCRIPTIONS, "", metric))
    elif metric not in METRICS:
        problems.append(Problem("metric", f"must be one of {', '.join(METRICS)}", "", metric))
    elif basis == "sales" and metric == "units":
        problems.append(Problem("metric", "a sales basis measures revenue, not units", "", metric))
    category = (terms.get("category") or "").strip()
    known = set(conn.execute(select(skus.c.category).distinct()).scalars())
    if metric == "category_revenue" and category not in known:
        problems.append(Problem("category", "must name a SKU category", "", category))
    currency = str(terms.get("currency") or "").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        problems.append(Problem("currency", "must be a 3-letter code", "", terms.get("currency")))
    due = terms.get("due_days")
    if isinstance(due, bool) or not isinstance(due, int) or not 0 <= due <= 366:
        problems.append(Problem("due_days", "must be whole days, 0 to 366", "", due))
    eligible = terms.get("eligible", ["*"])
    ids = set(conn.execute(select(franchisees.c.id)).scalars())
    if not isinstance(eligible, list) or not eligible:
        problems.append(
            Problem("eligible", 'must list franchisee ids, or ["*"] for all', "", eligible)
        )
    elif eligible != ["*"]:
        unknown = [e for e in eligible if e not in ids]
        if unknown:
            problems.append(Problem("eligible", "names unknown franchisees", "", unknown))
    tiers = []
    try:
        tiers = parse_tiers(terms.get("tiers"))
    except Refused as refused:
        problems.extend(refused.problems)
    if problems or start is None:
        raise Refused(problems)
    return {
        "period_kind": kind,
        "from_period": start.name,
        "basis": basis,
        "metric": metric,
        "category": category,
        "tiers": json.dumps([t.as_json() for t in tiers]),
        "currency": currency,
        "due_days": due,
        "eligible": json.dumps(sorted(eligible)),
    }


def draft_terms(conn: Connection, program_id: str, terms: dict, by: str) -> dict:
    """Add the next version of `program_id`'s terms, unpublished, as `by`. `terms`:
    {period_kind, from_period, basis, metric, category?, tiers, currency, due_days,
    eligible}. Refused naming each bad field; NotFound for an unknown program."""
    _program(conn, program_id)
    values = _check_terms(conn, terms)
    last = conn.execute(
        select(func.max(program_terms.c.version)).where(program_terms.c.program_id == program_id)
    ).scalar()
    version = (last or 0) + 1
    conn.execute(
        insert(program_terms).values(
            program_id=program_id, version=version, created_at=utc_now(), created_by=by, **values
        )
    )
    record(conn, by, "program.draft", f"program:{program_id}:v{version}", None, values)
    return get_terms(conn, program_id, version)


def publish_terms(conn: Connection, program_id: str, version: int, by: str) -> dict:
    """Publish version `version` of the program's terms as `by` (franchisees may then
    accept it). Publishing published terms again changes nothing. NotFound."""
    terms = _lock_terms(conn, program_id, version)
    if terms["published_at"] is None:
        now = utc_now()
        conn.execute(
            update(program_terms)
            .where(program_terms.c.id == terms["id"])
            .values(published_at=now, published_by=by)
        )
        record(
            conn,
            by,
            "program.publish",
            f"program:{program_id}:v{version}",
            None,
            {"published_at": now},
        )
    return get_terms(conn, program_id, version)


def accept_terms(
    conn: Connection, program_id: str, version: int, franchisee_id: str, by: str
) -> dict:
    """Record that franchisee `franchisee_id` (through `by`) accepts published version
    `version` of the program's terms; accepting again changes nothing. Refused when
    the terms are not published or the franchisee is not eligible. Returns
    {program_id, version, franchisee_id, accepted_at, accepted_by}."""
    terms = _lock_terms(conn, program_id, version)
    if terms["published_at"] is None:
        raise Refused(
            [
                Problem(
                    "version", "is not published: only published terms can be accepted", "", version
                )
            ]
        )
    if not eligible(terms, franchisee_id):
        raise Refused([Problem("franchisee", "is not eligible for these terms", "", franchisee_id)])
    found = acceptance(conn, terms["id"], franchisee_id)
    if found is None:
        now = utc_now()
        conn.execute(
            insert(terms_acceptances).values(
                terms_id=terms["id"], franchisee_id=franchisee_id, accepted_at=now, accepted_by=by
            )
        )
        record(
            conn,
            by,
            "program.accept",
            f"program:{program_id}:v{version}",
            None,
            {"franchisee": franchisee_id, "accepted_at": now},
        )
        found = acceptance(conn, terms["id"], franchisee_id)
    return {"program_id": program_id, "version": version, **(found or {})}


def acceptance(conn: Connection, terms_id: int, franchisee_id: str) -> dict | None:
    """{franchisee_id, accepted_at, accepted_by} of that acceptance, or None."""
    a = terms_acceptances
    row = conn.execute(
        select(a.c.franchisee_id, a.c.accepted_at, a.c.accepted_by).where(
            a.c.terms_id == terms_id, a.c.franchisee_id == franchisee_id
        )
    ).first()
    return row._asdict() if row else None


def eligible(terms: dict, franchisee_id: str) -> bool:
    """True when the terms' eligibility names `franchisee_id` (or everyone)."""
    names = json.loads(terms["eligible"])
    return names == ["*"] or franchisee_id in names


def get_terms(conn: Connection, program_id: str, version: int) -> dict:
    """One version of the program's terms, tiers and eligibility decoded, with its
    acceptances. NotFound."""
    row = conn.execute(
        select(program_terms).where(
            program_terms.c.program_id == program_id, program_terms.c.version == version
        )
    ).first()
    if row is None:
        raise NotFound("program terms", f"{program_id} v{version}")
    return _decoded(conn, row._asdict())


def _decoded(conn: Connection, terms: dict) -> dict:
    a = terms_acceptances
    accepted = conn.execute(
        select(a.c.franchisee_id, a.c.accepted_at, a.c.accepted_by)
        .where(a.c.terms_id == terms["id"])
        .order_by(a.c.franchisee_id)
    ).all()
    return {
        **terms,
        "tiers_list": json.loads(terms["tiers"]),
        "eligible_list": json.loads(terms["eligible"]),
        "acceptances": [r._asdict() for r in accepted],
    }


def terms_for(conn: Connection, program_id: str, period: Period) -> dict | None:
    """The terms that apply to `period`: the newest published version of the period's
    kind whose from_period is not after it; None when there is none."""
    rows = conn.execute(
        select(program_terms)
        .where(
            program_terms.c.program_id == program_id,
            program_terms.c.published_at.is_not(None),
            program_terms.c.period_kind == period.kind,
        )
        .order_by(program_terms.c.version.desc())
    ).all()
    for row in rows:
        if parse_period(row.from_period).first_day <= period.first_day:
            return _decoded(conn, row._asdict())
    return None


def list_programs(conn: Connection, franchisee_id: str | None = None) -> list[dict]:
    """Every program with its terms versions (newest first). For a franchisee: only
    published versions he is eligible for, and only his own acceptance shown."""
    out = []
    for p in conn.execute(select(incentive_programs).order_by(incentive_programs.c.id)):
        rows = conn.execute(
            select(program_terms)
            .where(program_terms.c.program_id == p.id)
            .order_by(program_terms.c.version.desc())
        ).all()
        versions = [_decoded(conn, r._asdict()) for r in rows]
        if franchisee_id is not None:
            versions = [
                {
                    **v,
                    "acceptances": [
                        a for a in v["acceptances"] if a["franchisee_id"] == franchisee_id
                    ],
                }
                for v in versions
                if v["published_at"] is not None and eligible(v, franchisee_id)
            ]
            if not versions:
                continue
        out.append({**p._asdict(), "versions": versions})
    return out


def _program(conn: Connection, program_id: str, lock: bool = False) -> dict:
    q = select(incentive_programs).where(incentive_programs.c.id == program_id)
    row = conn.execute(q.with_for_update() if lock else q).first()
    if row is None:
        raise NotFound("program", program_id)
    return row._asdict()


def _lock_terms(conn: Connection, program_id: str, version: int) -> dict:
    row = conn.execute(
        select(program_terms)
        .where(program_terms.c.program_id == program_id, program_terms.c.version == version)
        .with_for_update()
    ).first()
    if row is None:
        raise NotFound("program terms", f"{program_id} v{version}")
    return row._asdict()
