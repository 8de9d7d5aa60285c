"""Recalls in a real browser: the campaigns list, one campaign's page (funnel, chart by
day, stores) and the serial look-up saying "recalled, stop sale". Screenshots of each."""

from __future__ import annotations

from tests.e2e.web.conftest import shoot
from tests.integration.web.test_recalls_page import seed_recall


def test_the_campaign_page_and_the_serial_look_up_in_the_browser(page_for, site):
    seeded = seed_recall(site)
    page = page_for("planner")
    page.get_by_role("link", name="Recalls").click()
    page.wait_for_url("**/console/recalls")
    assert page.locator(f"tr[data-campaign='{seeded['id']}']").count() == 1
    shoot(page, "recalls")
    page.get_by_role("link", name=seeded["id"]).click()
    page.wait_for_url(f"**/console/recalls/{seeded['id']}")
    page.locator("canvas[data-chart='recall-progress']").wait_for()
    held = page.locator("td[data-bucket='held_in_network']").inner_text()
    assert int(held.replace(",", "")) > 0
    assert page.locator("#recall-places tbody tr").count() > 0
    shoot(page, "recall-campaign")

    counter = page_for("sm")
    counter.get_by_role("link", name="Recalls").click()
    counter.get_by_role("link", name="Look a serial up").click()
    counter.get_by_label("Serial", exact=True).fill(seeded["serial"])
    counter.get_by_role("button", name="Look up").click()
    answer = counter.locator("#recall-answer[data-stop-sale='1']")
    answer.wait_for()
    assert "recalled, stop sale" in answer.inner_text()
    shoot(counter, "recall-serial-look-up")
