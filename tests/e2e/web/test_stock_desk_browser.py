"""The stock desk in a real browser: a store manager follows the store page's link and
receives a shipped transfer, one line short, through the htmx form."""

from __future__ import annotations

from sqlalchemy import select

from storenet.ledger.stock import receive_from_supplier
from storenet.ledger.transfers import create_transfer, ship_transfer
from storenet.store.engine import unit_of_work
from storenet.store.schema import assortment, skus, stores, transfer_lines
from tests.e2e.web.conftest import shoot


def test_a_store_manager_receives_a_transfer_at_the_stock_desk(page_for, site):
    store = site.people["sm"]["store_id"]

    def send(conn):  # type: ignore[no-untyped-def]
        wh = conn.execute(select(stores.c.warehouse_id).where(stores.c.id == store)).scalar()
        sku = conn.execute(
            select(assortment.c.sku_id)
            .join(skus, skus.c.id == assortment.c.sku_id)
            .where(assortment.c.store_id == store, skus.c.serial_tracked.is_(False))
            .order_by(assortment.c.sku_id)
        ).scalar()
        receive_from_supplier(conn, key="e2e-in", location=wh, lines=[{"sku": sku, "qty": 5}])
        lines = [{"sku": sku, "qty": 5}]
        create_transfer(
            conn, key="e2e-c", transfer_id="T-E2E-DESK", source=wh, destination=store, lines=lines
        )
        ship_transfer(conn, key="e2e-s", transfer_id="T-E2E-DESK")
        return sku

    sku = unit_of_work(site.engine, send)
    page = page_for("sm")
    page.goto(f"/console/stores/{store}")
    page.get_by_role("link", name="Stock desk").click()
    page.wait_for_url(f"**/console/stores/{store}/stock-desk")
    form = page.locator("form[data-transfer='T-E2E-DESK']")
    assert form.get_by_label(f"Units of {sku} that arrived").input_value() == "5"
    shoot(page, "stock-desk")
    form.get_by_label(f"Units of {sku} that arrived").fill("4")
    form.get_by_role("button", name="Receive T-E2E-DESK").click()
    message = page.locator("#desk-transfers [role=status]")
    message.wait_for()
    assert "Transfer T-E2E-DESK received; 1 discrepancy opened" in message.inner_text()
    shoot(page, "stock-desk-received")
    with site.engine.connect() as conn:
        got = conn.execute(
            select(transfer_lines.c.qty_received).where(
                transfer_lines.c.transfer_id == "T-E2E-DESK"
            )
        ).scalar()
    assert got == 4
    # the count panel lists the shortage to count
    assert page.locator(f"#desk-discrepancies tr:has(th:text-is('{sku}'))").count() >= 1
