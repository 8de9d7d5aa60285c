"""The franchise pages in a real browser: the owner accepts a program's terms, finance
approves and pays the overdue reward on its page, and the owner's statement shows it
paid. Screenshots of each page."""

from __future__ import annotations

from datetime import date

from storenet.accounts.users import create_user
from storenet.franchise.programs import create_program, draft_terms, publish_terms
from storenet.franchise.rewards import close_period
from storenet.store.engine import unit_of_work
from tests.e2e.web.conftest import shoot
from tests.integration.web.conftest import PASSWORD


def test_accept_close_approve_pay_and_the_statement_in_the_browser(page_for, site):
    fid = site.people["owner"]["franchisee_id"]
    rid = f"RW-BRW-2026-11-{fid}"

    def seed(conn):  # type: ignore[no-untyped-def]
        create_user(conn, actor="test", username="fin", role="finance", password=PASSWORD)
        create_program(conn, "BRW", "Browser bonus", "planner")
        draft_terms(
            conn,
            "BRW",
            {
                "period_kind": "month",
                "from_period": "2026-11",
                "basis": "sales",
                "tiers": [{"threshold": "0", "payout": "share", "rate": "0.02"}],
                "currency": "CNY",
                "due_days": 2,
                "eligible": [fid],
            },
            "planner",
        )
        publish_terms(conn, "BRW", 1, "planner")

    unit_of_work(site.engine, seed)
    owner = page_for("owner")
    owner.get_by_role("link", name="Programs").click()
    owner.wait_for_url("**/console/programs")
    shoot(owner, "franchise-programs-offered")
    owner.locator("#accept-BRW-1").click()
    owner.locator("[data-answer='accept']").wait_for()
    assert "Accepted BRW version 1" in owner.locator("[data-answer='accept']").inner_text()
    shoot(owner, "franchise-programs-accepted")
    unit_of_work(
        site.engine,
        lambda c: close_period(c, "BRW", "2026-11", "Asia/Shanghai", "planner", date(2026, 12, 1)),
    )
    owner.get_by_role("link", name="Rewards").click()
    owner.wait_for_url("**/console/rewards")
    owner.locator("#overdue-alert").wait_for()
    assert owner.locator(f"tr[data-reward='{rid}'].overdue").count() == 1
    shoot(owner, "franchise-rewards-overdue")

    fin = page_for("fin")
    fin.goto(f"/console/rewards/{rid}")
    shoot(fin, "franchise-reward-owed")
    fin.locator("#reward-approve").click()
    fin.locator("#reward-status[data-status='approved']").wait_for()
    fin.get_by_label("Payment reference").fill("BANK-77")
    fin.get_by_label("Paid on").fill("2026-12-07")
    fin.locator("#reward-pay").click()
    fin.locator("#reward-status[data-status='paid']").wait_for()
    shoot(fin, "franchise-reward-paid")

    owner.get_by_role("link", name="Statement").click()
    owner.locator(f"#statement-rewards tr[data-reward='{rid}']").wait_for()
    assert "BANK-77" in owner.locator("#statement-rewards").inner_text()
    shoot(owner, "franchise-statement")
    owner.get_by_role("link", name="Targets").click()
    owner.wait_for_url("**/console/targets")
    shoot(owner, "franchise-targets")
