"""The console in a real browser: sign-in per role, what each can and cannot see,
charts drawn from the vendored library, keyboard use, screenshots of every page."""

from __future__ import annotations

from tests.e2e.web.conftest import shoot


def _chart_drawn(page, source: str) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate(
        "(id) => { const c = document.querySelector(`canvas[data-chart='${id}']`);"
        " return !!(c && window.Chart && Chart.getChart(c)); }",
        source,
    )


def test_sign_in_page_is_labelled_and_rejects_a_wrong_password(page_for):
    page = page_for(None)
    page.goto("/console/")
    # not signed in: sent to sign-in, and back to the page after
    assert "/console/sign-in" in page.url
    shoot(page, "sign-in")
    page.get_by_label("Username").fill("planner")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text() == "Wrong username or password."


def test_a_planner_sees_the_whole_network_with_its_charts(page_for, site):
    page = page_for("planner")
    assert page.get_by_role("heading", name="Network overview").is_visible()
    for chart in ("trend-data", "map-data", "openings-data"):
        assert _chart_drawn(page, chart), chart
    regions = page.locator("table").first.locator("tbody tr").count()
    assert regions >= 2
    assert page.get_by_role("link", name="Nightly plan").is_visible()
    shoot(page, "overview-planner")


def test_a_franchise_owner_sees_only_their_stores_and_no_plan(page_for, site):
    page = page_for("owner")
    store_links = page.locator("table tbody th a")
    shown = {a.get_attribute("href").rsplit("/", 1)[1] for a in store_links.all()}
    assert site.people["owner"]["store"] in shown
    assert page.get_by_role("link", name="Nightly plan").count() == 0
    shoot(page, "overview-owner")
    answer = page.goto("/console/plans")
    assert answer is not None and answer.status in (403, 404)


def test_a_regional_manager_sees_one_region(page_for, site):
    page = page_for("rm")
    rows = page.locator("table").first.locator("tbody tr")
    assert rows.count() == 1
    assert rows.first.locator("th").inner_text() != ""


def test_the_keyboard_reaches_the_content_first_and_focus_is_visible(page_for):
    page = page_for("planner")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_the_map_colours_by_stock_out_band_with_shapes_and_labels(page_for):
    page = page_for("planner")
    page.get_by_label("Colour by").select_option("stockout")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**colour=stockout")
    labels = page.evaluate(
        "() => Chart.getChart(document.querySelector(\"canvas[data-chart='map-data']\"))"
        ".data.datasets.map(d => d.label)"
    )
    assert labels and all(label.startswith("stock-outs") for label in labels)
    shoot(page, "overview-map-stockouts")


def test_signing_out_ends_the_session(page_for):
    page = page_for("auditor")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/sign-in")
    page.goto("/console/")
    assert "/console/sign-in" in page.url


def test_a_planner_reviews_edits_approves_and_releases_the_plan(page_for, site):
    page = page_for("planner")
    page.get_by_role("link", name="Nightly plan").click()
    page.wait_for_url("**/console/plans")
    assert page.get_by_role("heading", name="Nightly plans").is_visible()
    shoot(page, "plans")
    page.goto(f"/console/plans/{site.plan_id}")
    assert page.locator("#plan-status").get_attribute("data-status") == "draft"
    for section in ("cut", "at_risk", "excess", "rebalance"):
        assert page.locator(f"span[data-count={section}]").count() == 1
    shoot(page, "plan-review")
    # edit the first line's quantity inline (down: warehouse stock is shared out
    # already, and the release would refuse more than there is)
    first = page.locator("#lines-table tbody tr").first
    line_no = first.get_attribute("id").split("-")[1]
    box = page.locator(f"#qty-{line_no}")
    new_qty = max(int(box.input_value()) - 1, 0)
    box.fill(str(new_qty))
    first.get_by_role("button", name="Save").click()
    page.locator(f"#line-{line_no}").get_by_text("Saved.").wait_for()
    assert page.locator(f"#qty-{line_no}").input_value() == str(new_qty)
    # approve, then release after the confirmation step
    page.locator("#approve-plan").click()
    page.locator("#decision-message").wait_for()
    assert "approved" in page.locator("#decision-message").inner_text()
    page.locator("#release-plan").click()
    page.locator("#confirm-release").click()
    page.locator("#decision-message, #decision-error").first.wait_for()
    refused = page.locator("#decision-error")
    assert refused.count() == 0, refused.inner_text()
    assert "released" in page.locator("#decision-message").inner_text()
    shoot(page, "plan-released")
    page.reload()
    assert page.locator("#plan-status").get_attribute("data-status") == "released"


def test_following_a_store_from_the_overview(page_for, site):
    page = page_for("owner")
    store = site.people["owner"]["store"]
    page.locator(f"table tbody th a[href='/console/stores/{store}']").click()
    page.wait_for_url(f"**/console/stores/{store}")
    assert store in page.locator("#store-h").inner_text()
    assert _chart_drawn(page, "sales-data")
    assert page.locator("#stock-table tbody tr").count() >= 1
    shoot(page, "store")
    # a category's SKUs open in place (an htmx fragment)
    page.locator("#stock-table").get_by_role("link", name="SKUs").first.click()
    page.locator("#sku-slot table").wait_for()
    shoot(page, "store-skus")
    # another franchisee's store is simply not there
    page.goto("/console/stores")
    shoot(page, "stores")
    own = {
        a.get_attribute("href").rsplit("/", 1)[1]
        for a in page.locator("#stores-table tbody a").all()
    }
    assert store in own
    with site.engine.connect() as conn:
        from sqlalchemy import select

        from storenet.store.schema import stores

        others = [s for s in conn.execute(select(stores.c.id)).scalars() if s not in own]
    answer = page.goto(f"/console/stores/{others[0]}")
    assert answer is not None and answer.status == 404


def test_a_product_page_and_a_serial_look_up(page_for, site):
    page = page_for("planner")
    page.get_by_role("link", name="Products").click()
    page.wait_for_url("**/console/products")
    shoot(page, "products")
    page.locator("#products-table tbody a").first.click()
    page.locator("#product-h").wait_for()
    assert page.locator("#holders-table").count() == 1
    shoot(page, "product")
    with site.engine.connect() as conn:
        from sqlalchemy import select

        from storenet.store.schema import serials

        serial = conn.execute(select(serials.c.serial).limit(1)).scalar()
    page.goto("/console/products")
    page.get_by_label("Serial number").fill(serial)
    page.get_by_label("Serial number").press("Enter")
    page.locator("#unit-h").wait_for()
    assert serial in page.content()
    shoot(page, "serial")


def test_a_planner_runs_the_simulator_and_sees_the_frontier(page_for):
    page = page_for("planner")
    page.get_by_role("link", name="Simulator").click()
    page.wait_for_url("**/console/simulator")
    page.locator("#sim-days").fill("3")
    page.locator("#sim-start").click()
    page.locator("#sim-run[data-status=done]").wait_for(timeout=120_000)
    canvas = page.locator("canvas[data-chart^='frontier-data']")
    assert page.evaluate("(c) => !!Chart.getChart(c)", canvas.element_handle())
    assert page.locator("#sim-kpis tbody tr").count() >= 2
    shoot(page, "simulator")


def test_session_cookies_are_strict_and_rotate_at_each_sign_in(page_for, site):
    # RELIABILITY 15 as the browser holds it
    page = page_for("auditor")
    first = {c["name"]: c for c in page.context.cookies()}
    session = first["storenet_session"]
    assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Strict"
    assert not first["storenet_csrf"]["httpOnly"]  # the page's script echoes it
    # signing in again in the same browser ends the old session
    page.goto("/console/sign-in")
    page.get_by_label("Username").fill("auditor")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/")
    again = {c["name"]: c for c in page.context.cookies()}["storenet_session"]
    assert again["value"] != session["value"]
    import httpx

    with httpx.Client(base_url=site.url) as old:
        stale = old.get(
            "/console/",
            headers={"Cookie": f"storenet_session={session['value']}"},
            follow_redirects=False,
        )
    assert stale.status_code == 303
