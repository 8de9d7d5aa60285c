"""People and a checklist for the standards tests, on the small network of
tests.support (S1, S2 in EAST; S3, S4 in WEST; franchisee F1 owns S2, F2 owns S3).

People: hq (administrator), planner (HQ planner), aud_east (standards auditor assigned
region EAST: S1, S2), aud_s3 (standards auditor assigned store S3), fr_f1 and fr_f2
(franchise owners of F1 and F2), auditor (the network-wide read-only auditor).

The checklist "store-standard" v1 has five items, weights 1+2+1+3+3 = 10:

    decor.sign      decor        pass_fail  weight 1  due 30 days
    display.facing  display      score 0-5  weight 2  passes at 4, due 7 days
    service.greet   service      pass_fail  weight 1  due 14 days
    clean.floor     cleanliness  pass_fail  weight 3  due 2 days
    staff.uniform   staff        score 0-4  weight 3  passes at 3, due 14 days
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, select

from storenet.accounts.principal import Principal
from storenet.accounts.users import create_user
from storenet.standards import actions
from storenet.standards.assignments import assign
from storenet.store.engine import unit_of_work
from storenet.store.schema import users

TODAY = date(2026, 12, 1)
ITEMS = [
    {"section": "decor", "code": "decor.sign", "text": "Sign lit and clean", "due_days": 30},
    {
        "section": "display",
        "code": "display.facing",
        "text": "Phones faced, prices shown",
        "weight": 2,
        "scoring": "score",
        "max_score": 5,
        "pass_mark": 4,
        "due_days": 7,
    },
    {"section": "service", "code": "service.greet", "text": "Greeted within 30 s"},
    {
        "section": "cleanliness",
        "code": "clean.floor",
        "text": "Floor clean",
        "weight": 3,
        "due_days": 2,
    },
    {
        "section": "staff",
        "code": "staff.uniform",
        "text": "Uniforms worn",
        "weight": 3,
        "scoring": "score",
        "max_score": 4,
        "pass_mark": 3,
    },
]
PEOPLE = {
    "hq": {"role": "administrator"},
    "planner": {"role": "hq_planner"},
    "aud_east": {"role": "standards_auditor"},
    "aud_s3": {"role": "standards_auditor"},
    "fr_f1": {"role": "franchise_owner", "franchisee_id": "F1"},
    "fr_f2": {"role": "franchise_owner", "franchisee_id": "F2"},
    "auditor": {"role": "auditor"},
}


def seed_standards(engine: Engine) -> None:
    """The PEOPLE, the auditors' assignments and the checklist of the docstring."""

    def work(conn):  # type: ignore[no-untyped-def]
        for name, spec in PEOPLE.items():
            create_user(conn, actor="test", username=name, password="x" * 16, **spec)
        assign(conn, auditor="aud_east", by="test", region_id="EAST")
        assign(conn, auditor="aud_s3", by="test", store_id="S3")

    unit_of_work(engine, work)
    who = person(engine, "planner")
    unit_of_work(
        engine,
        lambda conn: actions.save_template(
            conn, who, key="tpl-1", template_id="store-standard", name="Store standard", items=ITEMS
        ),
    )


def person(engine: Engine, name: str) -> Principal:
    """The principal of seeded person `name`."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == name)).one()
    return Principal(
        user_id=row.id,
        username=row.username,
        role=row.role,
        token_id=0,
        token_kind="cli",
        franchisee_id=row.franchisee_id,
        store_id=row.store_id,
    )


def run(engine: Engine, work):  # type: ignore[no-untyped-def]
    """`work(conn)` in one transaction."""
    return unit_of_work(engine, work)


def start(engine: Engine, store: str = "S1", who: str = "aud_east", key: str | None = None) -> str:
    """Start an audit of `store` as `who`; its id."""
    p = person(engine, who)
    made = run(
        engine,
        lambda conn: actions.start(
            conn, p, key=key or f"start-{store}-{who}", store_id=store, template_id="store-standard"
        ),
    )
    return made["id"]


# Scores that pass every item, and scores that fail clean.floor and display.facing.
ALL_PASS = {
    "decor.sign": {"passed": True},
    "display.facing": {"score": 5},
    "service.greet": {"passed": True},
    "clean.floor": {"passed": True},
    "staff.uniform": {"score": 4},
}
TWO_FAIL = {
    "decor.sign": {"passed": True},
    "display.facing": {"score": 3},
    "service.greet": {"passed": True},
    "clean.floor": {"passed": False, "note": "dust under the counters"},
    "staff.uniform": {"score": 3},
}


def score_all(engine: Engine, audit_id: str, scores: dict, who: str = "aud_east") -> None:
    """Score each item of `scores` ({code: {passed|score, note?}})."""
    p = person(engine, who)
    for code, given in scores.items():
        run(
            engine,
            lambda conn, code=code, given=given: actions.score(
                conn,
                p,
                key=f"score-{audit_id}-{code}-{given}",
                audit_id=audit_id,
                code=code,
                **given,
            ),
        )


def submit(engine: Engine, audit_id: str, who: str = "aud_east", today: date = TODAY) -> dict:
    """Submit the audit as `who` on market day `today`."""
    p = person(engine, who)
    return run(
        engine,
        lambda conn: actions.change(
            conn, p, key=f"submit-{audit_id}", audit_id=audit_id, action="submit", today=today
        ),
    )
