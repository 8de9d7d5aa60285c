"""The console's purchase orders over HTTP: the list, one order with its decisions
(four eyes: no approve button for the author), the receiving form with its refusals;
every write audited once per form key; scope and role decide what a person sees."""

from __future__ import annotations

import re
import uuid

from sqlalchemy import insert, select

from storenet.purchasing.orders import create_purchase_order, get_purchase_order
from storenet.store.engine import unit_of_work
from storenet.store.schema import skus, supplier_items, suppliers, warehouses
from tests.integration.api.helpers import audit_actions


def seed_orders(console) -> tuple[str, str, list[str]]:  # type: ignore[no-untyped-def]
    """A supplier and two drafts by the planner: one to the regional manager's
    warehouse, one to another warehouse. Returns (own order, other order, SKUs)."""
    region = console.people["rm"]["region"]

    def work(conn):  # type: ignore[no-untyped-def]
        rows = conn.execute(select(warehouses.c.id, warehouses.c.region_id)).all()
        own = next(r.id for r in rows if r.region_id == region)
        other = next(r.id for r in rows if r.region_id != region)
        picked = list(
            conn.execute(
                select(skus.c.id).where(skus.c.serial_tracked.is_(False)).order_by(skus.c.id)
            ).scalars()
        )[:2]
        conn.execute(insert(suppliers).values(id="SUP-W", name="Web Supplies", currency="EUR"))
        conn.execute(
            insert(supplier_items),
            [
                {
                    "supplier_id": "SUP-W",
                    "sku_id": sku,
                    "lead_days_mean": 7.0,
                    "unit_cost_cents": 990,
                    "currency": "EUR",
                    "is_primary": False,
                }
                for sku in picked
            ],
        )
        made = [
            create_purchase_order(
                conn,
                key=f"web-{where}",
                supplier="SUP-W",
                warehouse=where,
                lines=[{"sku": picked[0], "qty": 12}, {"sku": picked[1], "qty": 3}],
                by="planner",
                po_id=f"PO-WEB-{n}",
            )["id"]
            for n, where in enumerate((own, other))
        ]
        return made[0], made[1], picked

    return unit_of_work(console.engine, work)


def _form(**fields) -> dict:  # type: ignore[no-untyped-def]
    return {"key": uuid.uuid4().hex, **fields}


def test_an_order_is_decided_and_received_in_the_console(console):
    own, other, _ = seed_orders(console)
    url = f"/console/purchase-orders/{own}"
    with console.sign_in("planner") as planner:
        listed = planner.get("/console/purchase-orders")
        assert listed.status_code == 200
        assert own in listed.text and other in listed.text
        assert 'href="/console/purchase-orders"' in listed.text  # in the nav
        filtered = planner.get("/console/purchase-orders", params={"status": "approved"})
        assert own not in filtered.text and "No purchase order matches" in filtered.text
        page = planner.get(url)
        assert page.status_code == 200 and "four eyes" in page.text
        assert 'id="po-approve"' not in page.text
        # Forcing it anyway: refused (403) and audited.
        forced = planner.post(f"{url}/approve", data=_form())
        assert forced.status_code == 403
        assert audit_actions(console.engine)[-1][:2] == ("planner", "denied")
    with console.sign_in("admin") as admin:
        approved = admin.post(f"{url}/approve", data=_form())
        assert approved.status_code == 200 and 'data-status="approved"' in approved.text
        again = admin.post(f"{url}/approve", data=_form())
        assert again.status_code == 409 and "is approved" in again.text
    with console.sign_in("planner") as planner:
        assert planner.post(f"{url}/send", data=_form()).status_code == 200
        confirmed = planner.post(
            f"{url}/confirm",
            data=_form(promised_on="2026-12-24", line_no=["1", "2"], qty=["10", ""]),
        )
        assert confirmed.status_code == 200, confirmed.text
        assert 'data-status="confirmed"' in confirmed.text
        assert 'data-open="10"' in confirmed.text  # the lines, swapped out of band
    with console.sign_in("rm") as rm:
        form = rm.get(f"{url}/receive")
        assert form.status_code == 200 and 'id="po-receive-form"' in form.text
        rows = {"line_no": ["1", "2"], "serials": ["", ""], "damaged_serials": ["", ""]}
        over = rm.post(
            f"{url}/receive",
            data=_form(good=["11", ""], damaged=["", ""], over_note=["", ""], **rows),
        )
        assert over.status_code == 422 and "expects 10 more" in over.text
        assert 'value="11"' in over.text  # what was entered is kept
        key = uuid.uuid4().hex
        sent = {"key": key, "delivery_note": "DN-9", "good": ["8", "3"], "damaged": ["1", ""]}
        done = rm.post(f"{url}/receive", data={**sent, "over_note": ["", ""], **rows})
        assert done.status_code == 200, done.text
        assert "Received 12 units on 2 lines; the order is partly received" in done.text
        replay = rm.post(f"{url}/receive", data={**sent, "over_note": ["", ""], **rows})
        assert re.sub(r'value="[0-9a-f]{32}"', "", replay.text) == re.sub(
            r'value="[0-9a-f]{32}"', "", done.text
        )
        # Another warehouse's order answers as an unknown one.
        hidden = rm.get(f"/console/purchase-orders/{other}")
        ghost = rm.get("/console/purchase-orders/PO-NOBODY")
        assert hidden.status_code == ghost.status_code == 404
        assert other not in rm.get("/console/purchase-orders").text
    with console.engine.connect() as conn:
        doc = get_purchase_order(conn, own)
    assert [(line["qty_received"], line["qty_damaged"]) for line in doc["lines"]] == [
        (8, 1),
        (3, 0),
    ]
    assert [a[1] for a in audit_actions(console.engine) if a[2] == f"po:{own}"] == [
        "po.create",
        "po.approve",
        "po.send",
        "po.confirm",
        "po.receive",
    ]
    with console.sign_in("sm") as sm:
        assert sm.get("/console/purchase-orders").status_code == 403
        assert "Purchase orders" not in sm.get("/console/").text
