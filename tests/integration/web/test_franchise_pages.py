"""The console's franchise pages (issue 16): targets and attainment, programs with an
accept button for the franchise owner, rewards with overdue ones raised, a reward's
calculation and decisions (four eyes), and the franchisee's statement page and
printable download; another franchisee's reward and statement answer 404 (SQLite and
PostgreSQL)."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from storenet.franchise.programs import create_program, draft_terms, publish_terms
from storenet.franchise.rewards import close_period
from storenet.store.engine import unit_of_work
from storenet.store.schema import franchisees


def _program(console, fid: str) -> None:  # type: ignore[no-untyped-def]
    def work(conn):  # type: ignore[no-untyped-def]
        create_program(conn, "GROW", "Growth bonus", "planner")
        draft_terms(
            conn,
            "GROW",
            {
                "period_kind": "month",
                "from_period": "2026-11",
                "basis": "sales",
                "tiers": [{"threshold": "0", "payout": "fixed", "amount": "100.00"}],
                "currency": "CNY",
                "due_days": 5,
                "eligible": [fid],
            },
            "planner",
        )
        publish_terms(conn, "GROW", 1, "planner")

    unit_of_work(console.engine, work)


def _key(page: str) -> str:
    return re.search(r'name="key" value="([0-9a-f]+)"', page).group(1)


def test_the_franchise_pages_from_program_to_statement(console):
    fid = console.people["owner"]["franchisee_id"]
    rid = f"RW-GROW-2026-11-{fid}"
    _program(console, fid)
    with console.sign_in("owner") as owner:
        offered = owner.get("/console/programs")
        assert offered.status_code == 200 and 'id="accept-GROW-1"' in offered.text
        accepted = owner.post(
            "/console/programs/GROW/terms/1/accept", data={"key": _key(offered.text)}
        )
        assert accepted.status_code == 200 and "Accepted GROW version 1" in accepted.text
    unit_of_work(
        console.engine,
        lambda c: close_period(c, "GROW", "2026-11", "Asia/Shanghai", "planner", date(2026, 12, 1)),
    )
    with console.sign_in("owner") as owner:
        listed = owner.get("/console/rewards")
        assert listed.status_code == 200 and rid in listed.text
        assert 'id="overdue-alert"' in listed.text and 'class="overdue"' in listed.text
        assert 'href="/console/rewards"' in listed.text  # in the nav
        page = owner.get(f"/console/rewards/{rid}")
        assert "sales counted" in page.text and 'id="reward-overdue"' in page.text
        assert 'id="reward-approve"' not in page.text and 'id="reward-dispute"' in page.text
    with console.sign_in("planner") as planner:
        page = planner.get("/console/targets")
        assert page.status_code == 200 and 'id="attainment-table"' in page.text
    with console.sign_in("admin") as admin:
        page = admin.get(f"/console/rewards/{rid}")
        approved = admin.post(f"/console/rewards/{rid}/approve", data={"key": _key(page.text)})
        assert approved.status_code == 200 and 'data-status="approved"' in approved.text
        again = admin.post(f"/console/rewards/{rid}/approve", data={"key": "other"})
        assert again.status_code == 409 and "is approved" in again.text
        paid = admin.post(
            f"/console/rewards/{rid}/pay",
            data={"key": _key(approved.text), "payment_ref": "BANK-7", "paid_on": "2026-12-07"},
        )
        assert paid.status_code == 200 and 'data-status="paid"' in paid.text
    with console.sign_in("owner") as owner:
        st = owner.get("/console/statement?period=2026-11")
        assert st.status_code == 200 and rid in st.text and "BANK-7" in st.text
        assert "Growth bonus (GROW) version 1" in st.text
        download = owner.get(f"/console/franchisees/{fid}/statement?period=2026-11&download=1")
        assert download.status_code == 200
        assert "attachment" in download.headers["content-disposition"]
        assert "<nav" not in download.text and rid in download.text


def test_a_franchise_owner_sees_nothing_of_another_franchisee_on_the_pages(console):
    fid = console.people["owner"]["franchisee_id"]
    with console.engine.connect() as conn:
        other = conn.execute(
            select(franchisees.c.id)
            .where(franchisees.c.id != fid)
            .order_by(franchisees.c.id)
            .limit(1)
        ).scalar()
    _program(console, other)
    unit_of_work(
        console.engine,
        lambda c: __import__("storenet.franchise.programs", fromlist=["accept_terms"]).accept_terms(
            c, "GROW", 1, other, "someone"
        ),
    )
    done = unit_of_work(
        console.engine,
        lambda c: close_period(c, "GROW", "2026-11", "Asia/Shanghai", "planner", date(2026, 12, 1)),
    )
    with console.sign_in("owner") as owner:
        assert owner.get(f"/console/franchisees/{other}/statement").status_code == 404
        for rid in done["rewards"]:
            assert owner.get(f"/console/rewards/{rid}").status_code == 404
            assert (
                owner.post(
                    f"/console/rewards/{rid}/dispute", data={"key": "k", "text": "x"}
                ).status_code
                == 404
            )
            assert rid not in owner.get("/console/rewards").text
        assert "GROW" not in owner.get("/console/programs").text


def test_a_planner_sets_a_target_on_the_console_and_a_bad_one_is_refused_by_field(console):
    store = console.people["owner"]["store"]
    with console.sign_in("planner") as planner:
        page = planner.get("/console/targets?period=2026-11")
        assert 'id="target-set"' in page.text
        form = {
            "scope": "store",
            "subject": store,
            "period": "2026-11",
            "metric": "revenue",
            "amount": "12345.60",
            "currency": "CNY",
        }
        done = planner.post("/console/targets", data={**form, "key": _key(page.text)})
        assert done.status_code == 200 and "Target set: a new version." in done.text
        bad = planner.post("/console/targets", data={**form, "amount": "1.234", "key": "k2"})
        assert bad.status_code == 422 and 'data-field="amount"' in bad.text
        assert 'value="1.234"' in bad.text  # what was entered is kept
        shown = planner.get("/console/targets?period=2026-11")
        assert f'data-subject="{store}" data-metric="revenue"' in shown.text
        assert "12345.60 CNY" in shown.text
    with console.sign_in("owner") as owner:
        assert 'id="target-set"' not in owner.get("/console/targets").text
        assert owner.post("/console/targets", data={**form, "key": "k3"}).status_code == 403
