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
