"""The catalog, a product's page and the serial look-up over HTTP: figures equal a
direct query, scope per role (a serial at another's store answers like an unknown
one), pagination."""

from __future__ import annotations

import html as html_lib
import re
from datetime import datetime, time, timedelta

import polars as pl
from sqlalchemy import func, select

from storenet.ledger.locations import SUPPLIER, TRANSIT
from storenet.ledger.stock import receive_from_supplier
from storenet.ledger.transfers import create_transfer, receive_transfer, ship_transfer
from storenet.sales.history import day_window, read_history
from storenet.store.engine import unit_of_work
from storenet.store.schema import (
    balances,
    locations,
    movements,
    plan_lines,
    serials,
    skus,
    store_owners,
    stores,
)


def _cell(html: str, attr: str, key: str) -> str:
    found = re.search(rf'{attr}="{re.escape(key)}">([^<]+)<', html)
    assert found, f"{attr}={key} not on the page"
    return found.group(1).strip()


def _number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def _owned(conn, franchisee_id: str) -> set[str]:  # type: ignore[no-untyped-def]
    return set(
        conn.execute(
            select(store_owners.c.store_id).where(
                store_owners.c.franchisee_id == franchisee_id, store_owners.c.valid_to.is_(None)
            )
        ).scalars()
    )


def test_the_product_page_shows_stock_sell_through_and_allocation_as_queried(console, tmp_path):
    last = console.last_day
    with console.engine.connect() as conn:
        # a SKU the latest plan replenishes, that a warehouse holds and is not serial-tracked
        sku, store_id = conn.execute(
            select(plan_lines.c.sku_id, plan_lines.c.store_id)
            .join(skus, skus.c.id == plan_lines.c.sku_id)
            .where(
                plan_lines.c.plan_id == console.plan_id,
                plan_lines.c.kind == "replenish",
                skus.c.serial_tracked.is_(False),
            )
            .order_by(plan_lines.c.sku_id, plan_lines.c.store_id)
        ).first()
        wh = conn.execute(select(stores.c.warehouse_id).where(stores.c.id == store_id)).scalar()
        region = conn.execute(select(stores.c.region_id).where(stores.c.id == store_id)).scalar()

    # given 4 units that arrived at the store on the last closed day (a receipt)
    arrived = datetime.combine(last, time(4))

    def receive(conn):  # type: ignore[no-untyped-def]
        # the warehouse restocked first: the seeded nights may have shipped all it had
        receive_from_supplier(
            conn,
            key="w1",
            location=wh,
            lines=[{"sku": sku, "qty": 4}],
            at=arrived - timedelta(hours=2),
        )
        create_transfer(
            conn,
            key="p1",
            transfer_id="T-PROD-1",
            source=wh,
            destination=store_id,
            lines=[{"sku": sku, "qty": 4}],
        )
        ship_transfer(conn, key="p1s", transfer_id="T-PROD-1", at=arrived - timedelta(hours=1))
        receive_transfer(conn, key="p1r", transfer_id="T-PROD-1", at=arrived)

    unit_of_work(console.engine, receive)
    with console.sign_in("planner") as c:
        answer = c.get(f"/console/products/{sku}")
    assert answer.status_code == 200, answer.text
    page = answer.text

    with console.engine.connect() as conn:
        wh_units, store_units, transit = conn.execute(
            select(
                func.sum(balances.c.on_hand).filter(locations.c.warehouse_id.is_not(None)),
                func.sum(balances.c.on_hand).filter(locations.c.store_id.is_not(None)),
                func.sum(balances.c.in_transit),
            )
            .join(locations, locations.c.id == balances.c.location_id)
            .where(balances.c.sku_id == sku)
        ).one()
        planned = dict(
            conn.execute(
                select(stores.c.region_id, func.sum(plan_lines.c.qty))
                .join(stores, stores.c.id == plan_lines.c.store_id)
                .where(
                    plan_lines.c.plan_id == console.plan_id,
                    plan_lines.c.sku_id == sku,
                    plan_lines.c.kind == "replenish",
                )
                .group_by(stores.c.region_id)
            ).all()
        )
        region_stores = set(
            conn.execute(select(stores.c.id).where(stores.c.region_id == region)).scalars()
        )
    # then where it is = the balances summed
    assert _number(_cell(page, "data-kpi", "warehouse_units")) == (wh_units or 0)
    assert _number(_cell(page, "data-kpi", "store_units")) == (store_units or 0)
    assert _number(_cell(page, "data-kpi", "in_transit")) == (transit or 0)
    # and the plan's allocation per region = its replenishment lines summed
    assert planned
    for reg, qty in planned.items():
        assert _number(_cell(page, "data-alloc", reg)) == qty
    # and sell-through in the region = units sold (history) / units received (ledger)
    sold = (
        read_history(tmp_path / "history", last - timedelta(days=27), last)
        .filter(pl.col("sku_id") == sku, pl.col("store_id").is_in(sorted(region_stores)))
        .select(pl.col("units").sum())
        .collect()
        .item()
    )
    # received: the test's 4 units and whatever the seeded nights delivered there
    start, _ = day_window(last - timedelta(days=27), "Asia/Shanghai")
    _, end = day_window(last, "Asia/Shanghai")
    with console.engine.connect() as conn:
        received = conn.execute(
            select(func.sum(movements.c.qty))
            .join(locations, locations.c.id == movements.c.to_location)
            .where(
                movements.c.sku_id == sku,
                movements.c.from_location.in_((SUPPLIER, TRANSIT)),
                locations.c.store_id.in_(sorted(region_stores)),
                movements.c.occurred_at >= start,
                movements.c.occurred_at < end,
            )
        ).scalar()
    assert received >= 4
    shown = _cell(page, "data-sell-through", region)
    assert _number(shown) == round(100 * (sold or 0) / received, 1)


def test_a_franchise_owner_sees_their_stores_only_and_not_anothers_serials(console):
    owner = console.people["owner"]
    with console.engine.connect() as conn:
        own = _owned(conn, owner["franchisee_id"])
        at_store = (
            select(serials.c.serial, serials.c.sku_id, locations.c.store_id)
            .join(locations, locations.c.id == serials.c.location_id)
            .where(locations.c.store_id.is_not(None))
            .order_by(serials.c.serial)
        )
        mine = conn.execute(at_store.where(locations.c.store_id.in_(sorted(own)))).first()
        other = conn.execute(at_store.where(locations.c.store_id.not_in(sorted(own)))).first()
        sku = mine.sku_id if mine else other.sku_id
        own_units = conn.execute(
            select(func.coalesce(func.sum(balances.c.on_hand), 0))
            .join(locations, locations.c.id == balances.c.location_id)
            .where(balances.c.sku_id == sku, locations.c.store_id.in_(sorted(own)))
        ).scalar()
    assert other is not None
    with console.sign_in("owner") as c:
        page = c.get(f"/console/products/{sku}").text
        theirs = c.get("/console/products/serials", params={"serial": other.serial})
        unknown = c.get("/console/products/serials", params={"serial": "NO-SUCH-SERIAL"})
        form = c.get("/console/products/serials")
        found = c.get("/console/products/serials", params={"serial": mine.serial}) if mine else None
    # the product page: the owner's stores only, and no network warehouse total
    assert 'data-kpi="warehouse_units"' not in page
    assert _number(_cell(page, "data-kpi", "store_units")) == own_units
    rows = set(re.findall(r'<tr data-location="([^"]+)"', page))
    assert rows <= own
    # a serial at another's store answers exactly like an unknown serial
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.text.replace(other.serial, "X") == unknown.text.replace("NO-SUCH-SERIAL", "X")
    assert form.status_code == 200 and 'id="serial-q"' in form.text
    if found is not None:
        assert found.status_code == 200
        assert f'href="/console/stores/{mine.store_id}"' in found.text
    # while a network-wide role finds the other store's serial
    with console.sign_in("auditor") as c:
        seen = c.get("/console/products/serials", params={"serial": other.serial})
    assert seen.status_code == 200 and f'href="/console/stores/{other.store_id}"' in seen.text


def test_the_catalog_is_searchable_and_paginated_and_an_unknown_sku_is_404(console):
    with console.engine.connect() as conn:
        every = list(conn.execute(select(skus.c.id).order_by(skus.c.id)).scalars())
        one = conn.execute(select(skus.c.id, skus.c.model).order_by(skus.c.id)).first()
    seen: list[str] = []
    with console.sign_in("sm") as c:
        url = "/console/products?limit=7"
        while url:
            page = c.get(url).text
            seen += re.findall(r'<th scope="row"><a href="/console/products/([^"/]+)"', page)
            nxt = re.search(r'<a rel="next" href="([^"]+)"', page)
            url = html_lib.unescape(nxt.group(1)) if nxt else None
        found = c.get("/console/products", params={"q": one.model.upper()}).text
        missing = c.get("/console/products/NO-SUCH-SKU")
        holders = c.get(f"/console/products/{one.id}", params={"limit": 5})
    assert seen == every
    assert f'href="/console/products/{one.id}"' in found
    assert missing.status_code == 404 and "No sku NO-SUCH-SKU." in missing.text
    assert holders.status_code == 200
