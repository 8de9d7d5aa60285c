"""The nightly plan pages over HTTP: exceptions against a direct query, an audited
inline edit, approve then release once, CSRF, scope per role and the plan job button."""

from __future__ import annotations

import re
import time
from collections import defaultdict

import httpx
from sqlalchemy import select

from storenet.planning.documents import edit_line
from storenet.store.engine import unit_of_work
from storenet.store.schema import plan_lines, plan_upstream_lines, stores
from tests.integration.api.helpers import audit_actions, snapshot


def _lines(console) -> list:  # type: ignore[no-untyped-def]
    with console.engine.connect() as conn:
        return conn.execute(select(plan_lines).where(plan_lines.c.plan_id == console.plan_id)).all()


def _expected_counts(rows) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The exception counts computed here, in Python, from every line."""
    pairs: dict[tuple[str, str], list] = defaultdict(list)
    for r in rows:
        pairs[(r.store_id, r.sku_id)].append(r)
    at_risk = excess = 0
    for lines in pairs.values():
        after = lines[0].position + sum(r.qty for r in lines)
        at_risk += after < lines[0].forecast_mean
        excess += after > lines[0].target and after > 1.5 * lines[0].target
    return {
        "cut": sum(1 for r in rows if r.cut_reason),
        "at_risk": at_risk,
        "excess": excess,
        "rebalance": sum(1 for r in rows if r.kind == "rebalance"),
    }


def _shown_counts(html: str) -> dict[str, int]:
    found = re.findall(r'data-count="(\w+)">([\d,]+)<', html)
    return {name: int(n.replace(",", "")) for name, n in found}


def _line_nos(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="line-(\d+)"', html)]


def _plan_edits(engine) -> list:  # type: ignore[no-untyped-def]
    return [a for a in audit_actions(engine) if a[1] == "plan.edit"]


def test_the_exception_sections_count_what_a_direct_query_counts(console):
    # given a line edited far above its target (an excess)
    rows = _lines(console)
    big = rows[0]
    unit_of_work(
        console.engine,
        lambda conn: edit_line(conn, console.plan_id, big.line_no, big.target * 3 + 10),
    )
    expected = _expected_counts(_lines(console))
    assert expected["cut"] > 0 and expected["at_risk"] > 0 and expected["excess"] >= 1
    # when
    with console.sign_in("planner") as c:
        html = c.get(f"/console/plans/{console.plan_id}").text
        cut_list = c.get(f"/console/plans/{console.plan_id}", params={"show": "cut"}).text
        excess_list = c.get(f"/console/plans/{console.plan_id}", params={"show": "excess"}).text
    # then every section shows the direct count, and its full list holds its lines
    assert _shown_counts(html) == expected
    assert "Allocation cuts" in html and "At risk of stock-out" in html
    assert "Excess stock" in html and "Large rebalancing moves" in html
    cut_shown = _line_nos(cut_list)
    cut_rows = {r.line_no: r for r in rows if r.cut_reason}
    assert cut_shown and set(cut_shown) <= set(cut_rows)
    cuts = [cut_rows[n].requested - cut_rows[n].planned_qty for n in cut_shown]
    assert cuts == sorted(cuts, reverse=True)
    assert big.line_no in _line_nos(excess_list)
    # and never all lines at once: one page, with a link to the next
    all_lines = _line_nos(html)
    assert len(all_lines) == min(50, len(rows)) and all_lines == sorted(all_lines)
    if len(rows) > 50:
        assert 'rel="next"' in html


def test_an_edit_changes_the_line_and_writes_exactly_one_audit_entry(console):
    line = _lines(console)[3]
    new_qty = line.qty + 2
    with console.sign_in("planner") as c:
        answer = c.post(
            f"/console/plans/{console.plan_id}/lines/{line.line_no}",
            data={"qty": str(new_qty)},
            headers={"HX-Request": "true"},
        )
        assert answer.status_code == 200, answer.text
        assert answer.text.lstrip().startswith(f'<tr id="line-{line.line_no}"')
        assert f'data-qty="{new_qty}"' in answer.text and "Saved." in answer.text
        assert 'data-tag="edited"' in answer.text
        # an unusable quantity is refused in the row, and writes nothing
        bad = c.post(f"/console/plans/{console.plan_id}/lines/{line.line_no}", data={"qty": "-3"})
        assert bad.status_code == 422 and "Not saved" in bad.text
    after = {r.line_no: r for r in _lines(console)}
    assert after[line.line_no].qty == new_qty
    assert after[line.line_no].planned_qty == line.planned_qty
    edits = _plan_edits(console.engine)
    assert edits == [("planner", "plan.edit", f"plan:{console.plan_id}#{line.line_no}")]


def test_approve_then_release_works_once_and_a_second_release_is_refused(console):
    plan = f"/console/plans/{console.plan_id}"
    first = _lines(console)[0]
    with console.sign_in("planner") as c:
        assert c.get(plan).status_code == 200
        approved = c.post(f"{plan}/approve")
        assert approved.status_code == 200 and 'data-status="approved"' in approved.text
        assert "Plan approved." in approved.text and "Release plan…" in approved.text
        assert c.post(f"{plan}/approve").status_code == 409
        # an approved plan's lines are frozen
        frozen = c.post(f"{plan}/lines/{first.line_no}", data={"qty": "0"})
        assert frozen.status_code == 422 and "only drafts are edited" in frozen.text
        # the confirmation step writes nothing
        confirm = c.get(f"{plan}/release", headers={"HX-Request": "true"})
        assert confirm.status_code == 200 and "Confirm release" in confirm.text
        assert 'data-status="approved"' in c.get(f"{plan}/decision").text
        released = c.post(f"{plan}/release")
        assert released.status_code == 200, released.text
        assert 'data-status="released"' in released.text and "Plan released" in released.text
        again = c.post(f"{plan}/release")
        assert again.status_code == 409
        assert "already released" in again.text and "released once" in again.text
    # (the seeded nights' own approvals are audited under "demo-night")
    actions = [
        a[1]
        for a in audit_actions(console.engine)
        if a[0] == "planner" and a[1].startswith("plan.")
    ]
    assert actions.count("plan.approve") == 1 and actions.count("plan.release") == 1
    assert "plan.edit" not in actions


def test_a_post_without_the_csrf_header_is_refused_and_writes_nothing(console):
    line = _lines(console)[0]
    with console.sign_in("planner") as signed:
        cookie = signed.headers["Cookie"]
    before = snapshot(console.engine)
    with httpx.Client(base_url=console.url, headers={"Cookie": cookie}) as c:
        plan = f"/console/plans/{console.plan_id}"
        assert c.post(f"{plan}/lines/{line.line_no}", data={"qty": "0"}).status_code == 403
        assert c.post(f"{plan}/approve").status_code == 403
        assert c.post("/console/plans/jobs").status_code == 403
    assert snapshot(console.engine) == before
    assert _plan_edits(console.engine) == []


def test_a_regional_manager_sees_only_the_lines_of_their_regions_stores(console):
    region = console.people["rm"]["region"]
    with console.engine.connect() as conn:
        theirs = set(
            conn.execute(select(stores.c.id).where(stores.c.region_id == region)).scalars()
        )
    rows = _lines(console)
    mine = [r for r in rows if r.store_id in theirs]
    assert mine and len(mine) < len(rows)
    plan = f"/console/plans/{console.plan_id}"
    with console.sign_in("rm") as c:
        html = c.get(plan).text
        # the counts are those of their stores
        assert _shown_counts(html) == _expected_counts(mine)
        shown: list[int] = []
        offset = 0
        while True:
            page = c.get(plan, params={"offset": offset}).text
            shown += _line_nos(page)
            if 'rel="next"' not in page:
                break
            offset += 50
        assert sorted(shown) == sorted(r.line_no for r in mine)
        # read only: no edit field, no decision button, and writes are refused
        assert 'name="qty"' not in html and "Approve plan" not in html
        assert c.post(f"{plan}/approve").status_code == 403
        # a store outside their regions shows nothing
        outside = next(r.store_id for r in rows if r.store_id not in theirs)
        assert _line_nos(c.get(plan, params={"store": outside}).text) == []
        # the API's plan lines are filtered the same way
        api = c.get(f"/plans/{console.plan_id}/lines", params={"limit": 1000}).json()
        assert sorted(i["line_no"] for i in api["items"]) == sorted(r.line_no for r in mine)


def test_store_managers_and_franchise_owners_cannot_see_plan_pages(console):
    for name in ("sm", "owner"):
        with console.sign_in(name) as c:
            for url in (
                "/console/plans",
                f"/console/plans/{console.plan_id}",
                f"/plans/{console.plan_id}/lines",
                f"/console/plans/{console.plan_id}/upstream",
                f"/plans/{console.plan_id}/upstream-lines",
            ):
                answer = c.get(url)
                assert answer.status_code in (403, 404), (name, url)
                assert "SKU" not in answer.text or answer.status_code == 403
            assert "Nightly plan" not in c.get("/console/").text


def test_the_plan_tonight_button_starts_a_job_whose_progress_reaches_done(console):
    with console.sign_in("auditor") as c:
        page = c.get("/console/plans").text
        assert "Plan tonight" not in page and console.plan_id in page
        assert c.post("/console/plans/jobs").status_code == 403
    with console.sign_in("planner") as c:
        assert "Plan tonight" in c.get("/console/plans").text
        started = c.post("/console/plans/jobs", headers={"HX-Request": "true"})
        assert started.status_code == 202, started.text
        poll = re.search(r'hx-get="(/console/plans/jobs/job-[0-9a-f]+)"', started.text).group(1)
        assert 'hx-trigger="every 1s"' in started.text and "<progress" in started.text
        fragment = started.text
        deadline = time.monotonic() + 240
        while 'data-job-status="running"' in fragment and time.monotonic() < deadline:
            time.sleep(0.5)
            fragment = c.get(poll, headers={"HX-Request": "true"}).text
        assert 'data-job-status="done"' in fragment, fragment
        assert "hx-trigger" not in fragment
        link = re.search(r'href="(/console/plans/plan-[^"]+)" id="plan-job-result"', fragment)
        assert link and c.get(link.group(1)).status_code == 200
    assert ("planner", "plan.start") in [a[:2] for a in audit_actions(console.engine)]


def test_a_bad_edit_is_warned_in_its_row_refused_at_approval_and_the_plan_reopens_or_cancels(
    console,
):
    plan = f"/console/plans/{console.plan_id}"
    line = next(r for r in _lines(console) if r.kind == "replenish")
    with console.sign_in("planner") as c:
        # an edit beyond the warehouse's stock is saved with a warning in its row
        edited = c.post(f"{plan}/lines/{line.line_no}", data={"qty": "1000000"})
        assert edited.status_code == 200 and "Warning:" in edited.text and "free" in edited.text
        # approval refuses it, in the decision panel, and the plan stays a draft
        refused = c.post(f"{plan}/approve")
        assert refused.status_code == 422 and "Not approved" in refused.text
        assert 'data-status="draft"' in refused.text
        assert c.post(f"{plan}/lines/{line.line_no}", data={"qty": "0"}).status_code == 200
        approved = c.post(f"{plan}/approve")
        assert approved.status_code == 200 and "Back to draft" in approved.text
        # reopening needs a reason
        assert c.post(f"{plan}/reopen", data={"reason": ""}).status_code == 422
        reopened = c.post(f"{plan}/reopen", data={"reason": "one more edit"})
        assert reopened.status_code == 200 and 'data-status="draft"' in reopened.text
        cancelled = c.post(f"{plan}/cancel", data={"reason": "start over"})
        assert cancelled.status_code == 200 and 'data-status="cancelled"' in cancelled.text
        assert "Approve plan" not in cancelled.text and "Cancel plan" not in cancelled.text
    actions = [a[1] for a in audit_actions(console.engine) if a[1].startswith("plan.")]
    assert actions[-3:] == ["plan.approve", "plan.reopen", "plan.cancel"]


def test_a_planner_stops_a_running_plan_job_from_its_progress_fragment(console, monkeypatch):
    import threading

    started = threading.Event()

    def slow_plan(settings, engine, day=None, progress=None):  # type: ignore[no-untyped-def]
        started.set()
        for step in range(600):
            progress("forecast", step, 600)
            time.sleep(0.1)
        raise AssertionError("the job was not cancelled")

    monkeypatch.setattr("storenet.http.plan_jobs.run_plan", slow_plan)
    with console.sign_in("planner") as c:
        begun = c.post("/console/plans/jobs", headers={"HX-Request": "true"})
        assert begun.status_code == 202 and 'id="plan-job-cancel"' in begun.text
        stop = re.search(r'hx-post="(/console/plans/jobs/job-[0-9a-f]+/cancel)"', begun.text)
        assert started.wait(10)
        stopping = c.post(stop.group(1), headers={"HX-Request": "true"})
        assert stopping.status_code == 202 and "Stopping" in stopping.text
        poll = stop.group(1).removesuffix("/cancel")
        deadline = time.monotonic() + 20
        fragment = stopping.text
        while 'data-job-status="running"' in fragment:
            assert time.monotonic() < deadline, fragment
            time.sleep(0.2)
            fragment = c.get(poll, headers={"HX-Request": "true"}).text
        assert 'data-job-status="cancelled"' in fragment and "nothing was saved" in fragment
    assert ("planner", "plan.job_cancel") in [a[:2] for a in audit_actions(console.engine)]


def _upstream(console) -> list:  # type: ignore[no-untyped-def]
    with console.engine.connect() as conn:
        return conn.execute(
            select(plan_upstream_lines)
            .where(plan_upstream_lines.c.plan_id == console.plan_id)
            .order_by(plan_upstream_lines.c.line_no)
        ).all()


def test_the_upstream_page_explains_supplier_orders_and_warehouse_transfers(console):
    rows = _upstream(console)
    assert {r.kind for r in rows} == {"purchase", "transfer"}
    upstream = f"/console/plans/{console.plan_id}/upstream"
    with console.sign_in("planner") as c:
        assert "see them with their explanations" in c.get(f"/console/plans/{console.plan_id}").text
        shown = []
        offset = 0
        while True:
            page = c.get(upstream, params={"offset": offset})
            assert page.status_code == 200
            shown += re.findall(r"<tr>\s*<td>(\d+)</td><td>(purchase|transfer)</td>", page.text)
            if 'rel="next"' not in page.text:
                break
            offset += 50
        assert [int(n) for n, _ in shown] == [r.line_no for r in rows]
        buys = c.get(upstream, params={"kind": "purchase"}).text
        assert "<td>transfer</td>" not in buys and "<td>purchase</td>" in buys
        api = c.get(f"/plans/{console.plan_id}/upstream-lines", params={"limit": 1000}).json()
        assert [i["line_no"] for i in api["items"]] == [r.line_no for r in rows]
        first = api["items"][0]
        assert first["target"] == rows[0].target and first["position"] == rows[0].position


def test_a_regional_manager_sees_the_upstream_lines_into_their_stores_warehouses(console):
    region = console.people["rm"]["region"]
    with console.engine.connect() as conn:
        theirs = set(
            conn.execute(
                select(stores.c.warehouse_id).where(stores.c.region_id == region)
            ).scalars()
        )
    rows = _upstream(console)
    mine = [r.line_no for r in rows if r.destination_id in theirs]
    assert mine and len(mine) < len(rows)
    with console.sign_in("rm") as c:
        api = c.get(f"/plans/{console.plan_id}/upstream-lines", params={"limit": 1000}).json()
        assert [i["line_no"] for i in api["items"]] == mine
