"""Purchase orders in a real browser: an administrator approves, sends and confirms a
planner's order through the htmx panels, and the regional manager receives it on the
receiving form, one unit damaged. Screenshots of each page."""

from __future__ import annotations

from tests.e2e.web.conftest import shoot
from tests.integration.web.test_purchase_orders_page import seed_orders


def test_an_order_is_approved_sent_confirmed_and_received_in_the_browser(page_for, site):
    own, _, skus = seed_orders(site)
    page = page_for("admin")
    page.get_by_role("link", name="Purchase orders").click()
    page.wait_for_url("**/console/purchase-orders")
    assert page.locator(f"tr[data-po='{own}']").count() == 1
    shoot(page, "purchase-orders")
    page.get_by_role("link", name=own).click()
    page.wait_for_url(f"**/console/purchase-orders/{own}")
    page.get_by_role("button", name="Approve order").click()
    page.locator("#po-status[data-status='approved']").wait_for()
    page.get_by_role("button", name="Mark as sent to SUP-W").click()
    page.locator("#po-status[data-status='sent']").wait_for()
    page.get_by_label("Promised day").fill("2026-12-24")
    page.get_by_label("Confirmed units, line 1").fill("10")
    page.get_by_role("button", name="Record confirmation").click()
    page.locator("#po-status[data-status='confirmed']").wait_for()
    assert page.locator("#po-transitions tbody tr").count() == 3
    assert page.locator("tr[data-line='1'] [data-open]").inner_text() == "10"
    shoot(page, "purchase-order-confirmed")

    keeper = page_for("rm")
    keeper.goto(f"/console/purchase-orders/{own}")
    keeper.get_by_role("link", name="Receive a delivery…").click()
    keeper.wait_for_url(f"**/console/purchase-orders/{own}/receive")
    keeper.get_by_label("Delivery note").fill("DN-BROWSER")
    keeper.get_by_label("Good units, line 1").fill("9")
    keeper.get_by_label("Damaged units, line 1").fill("1")
    keeper.get_by_label("Good units, line 2").fill("2")
    shoot(keeper, "purchase-order-receiving")
    keeper.get_by_role("button", name="Book delivery").click()
    message = keeper.locator("[data-answer=po]")
    message.wait_for()
    assert "Received 12 units on 2 lines; the order is partly received" in message.inner_text()
    shoot(keeper, "purchase-order-received")
    keeper.goto(f"/console/purchase-orders/{own}")
    assert keeper.locator("#po-receipts tbody tr").count() == 2
    assert keeper.locator("#po-transitions tbody tr").count() == 4
    assert skus[0] in keeper.locator("tr[data-line='1']").inner_text()
    shoot(keeper, "purchase-order")
