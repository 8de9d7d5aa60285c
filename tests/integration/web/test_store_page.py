"""The stores list and a store's page over HTTP: figures equal a direct query, scope
per role (another's store answers exactly like an unknown one), pagination."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import polars as pl
from sqlalchemy import func, select

from storenet.accounts.users import create_user
from storenet.ledger.stock import receive_from_supplier
from storenet.ledger.transfers import create_transfer, ship_transfer
from storenet.sales.history import read_history
from storenet.store.engine import unit_of_work
from storenet.store.schema import (
    assortment,
    balances,
    locations,
    skus,
    store_days,
    store_owners,
    store_targets,
    stores,
)
from tests.integration.web.conftest import PASSWORD


def _cell(html: str, attr: str, key: str) -> str:
    found = re.search(rf'{attr}="{re.escape(key)}">([^<]+)<', html)
    assert found, f"{attr}={key} not on the page"
    return found.group(1).strip()


def _number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def _store_with_stock(conn, store_id: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    """(location id, its warehouse, a non-serial SKU the store lists; the test restocks
    the warehouse with it)."""
    loc = conn.execute(select(locations.c.id).where(locations.c.store_id == store_id)).scalar()
    wh = conn.execute(select(stores.c.warehouse_id).where(stores.c.id == store_id)).scalar()
    sku = conn.execute(
        select(assortment.c.sku_id)
        .join(skus, skus.c.id == assortment.c.sku_id)
        .where(assortment.c.store_id == store_id, skus.c.serial_tracked.is_(False))
        .order_by(assortment.c.sku_id)
    ).scalar()
    assert sku is not None
    return loc, wh, sku


def test_the_store_page_shows_cover_attainment_and_incoming_as_queried(console, tmp_path):
    store_id = console.people["sm"]["store_id"]
    with console.engine.connect() as conn:
        loc, wh, sku = _store_with_stock(conn, store_id)

    # given a shipped transfer (in transit) and a draft on their way to the store, from
    # a warehouse just restocked (the seeded nights may have shipped all it had)
    def send(conn):  # type: ignore[no-untyped-def]
        receive_from_supplier(conn, key="w1", location=wh, lines=[{"sku": sku, "qty": 5}])
        lines = [{"sku": sku, "qty": 3}]
        create_transfer(
            conn, key="t1", transfer_id="T-PAGE-1", source=wh, destination=store_id, lines=lines
        )
        ship_transfer(conn, key="t1s", transfer_id="T-PAGE-1")
        create_transfer(
            conn,
            key="t2",
            transfer_id="T-PAGE-2",
            source=wh,
            destination=store_id,
            lines=[{"sku": sku, "qty": 2}],
        )

    unit_of_work(console.engine, send)
    # when the store manager opens their store
    with console.sign_in("sm") as c:
        answer = c.get(f"/console/stores/{store_id}")
        assert answer.status_code == 200, answer.text
        page = answer.text
        # the SKUs of a category come as an htmx fragment
        category = re.search(r'data-category="([^"]+)"', page).group(1)
        fragment = c.get(
            f"/console/stores/{store_id}/stock",
            params={"category": category},
            headers={"HX-Request": "true"},
        ).text
    assert "<html" not in fragment and 'data-sku="' in fragment

    # then days of cover per category = on hand now / (units sold in 28 days / 28)
    last = console.last_day
    sold = (
        read_history(tmp_path / "history", last - timedelta(days=27), last)
        .filter(pl.col("store_id") == store_id)
        .group_by("sku_id")
        .agg(pl.col("units").sum())
        .collect()
    )
    with console.engine.connect() as conn:
        category_of = dict(conn.execute(select(skus.c.id, skus.c.category)).all())
        on_hand = dict(
            conn.execute(
                select(skus.c.category, func.sum(balances.c.on_hand))
                .join(skus, skus.c.id == balances.c.sku_id)
                .where(balances.c.location_id == loc)
                .group_by(skus.c.category)
            ).all()
        )
        target = conn.execute(
            select(store_targets.c.revenue_cents).where(
                store_targets.c.store_id == store_id,
                store_targets.c.month == last.replace(day=1),
            )
        ).scalar()
        mtd = conn.execute(
            select(func.sum(store_days.c.revenue_cents)).where(
                store_days.c.store_id == store_id,
                store_days.c.day >= last.replace(day=1),
                store_days.c.day <= last,
            )
        ).scalar()
    by_category: dict[str, int] = {}
    for s, units in sold.iter_rows():
        by_category[category_of[s]] = by_category.get(category_of[s], 0) + units
    checked = 0
    for cat, units in by_category.items():
        if units > 0:
            expected = max(int(on_hand.get(cat, 0)), 0) / (units / 28)
            assert _number(_cell(page, "data-cover", cat)) == round(expected, 1)
            checked += 1
    assert checked > 0
    # and this month's attainment = month-to-date sales / target
    assert target is not None and target > 0
    assert _number(_cell(page, "data-kpi", "attainment")) == round(100 * int(mtd) / target, 1)
    # and the incoming transfers with their expected quantities
    assert _number(_cell(page, "data-expected", "T-PAGE-1")) == 3
    assert _number(_cell(page, "data-expected", "T-PAGE-2")) == 2
    assert "in transit" in page and "draft (not shipped)" in page
    # and the sales chart's data and the honest forecast label
    assert 'id="sales-data"' in page and "Plan forecast, mean units per day" in page


def test_a_store_without_a_target_says_so(console):
    store_id = console.people["sm"]["store_id"]
    unit_of_work(
        console.engine,
        lambda c: c.execute(store_targets.delete().where(store_targets.c.store_id == store_id)),
    )
    with console.sign_in("sm") as c:
        page = c.get(f"/console/stores/{store_id}").text
    assert 'id="target-none"' in page and "No target set" in page


def test_scope_another_franchisees_store_is_the_same_404_as_an_unknown_one(console):
    owner = console.people["owner"]
    with console.engine.connect() as conn:
        own = set(
            conn.execute(
                select(store_owners.c.store_id).where(
                    store_owners.c.franchisee_id == owner["franchisee_id"],
                    store_owners.c.valid_to.is_(None),
                )
            ).scalars()
        )
        other = conn.execute(
            select(store_owners.c.store_id)
            .where(
                store_owners.c.valid_to.is_(None),
                store_owners.c.franchisee_id.is_not(None),
                store_owners.c.franchisee_id != owner["franchisee_id"],
            )
            .order_by(store_owners.c.store_id)
        ).scalar()
    assert other is not None and other not in own
    with console.sign_in("owner") as c:
        assert c.get(f"/console/stores/{owner['store']}").status_code == 200
        theirs = c.get(f"/console/stores/{other}")
        theirs_skus = c.get(f"/console/stores/{other}/stock", params={"category": "phone"})
        unknown = c.get("/console/stores/NO-SUCH-STORE")
        listed = c.get("/console/stores").text
    assert theirs.status_code == unknown.status_code == theirs_skus.status_code == 404
    assert theirs.text.replace(other, "X") == unknown.text.replace("NO-SUCH-STORE", "X")
    assert set(re.findall(r'href="/console/stores/([^"/]+)"', listed)) == own


def test_the_list_is_scoped_searchable_and_paginated(console):
    region = console.people["rm"]["region"]
    with console.engine.connect() as conn:
        in_region = set(
            conn.execute(select(stores.c.id).where(stores.c.region_id == region)).scalars()
        )
        every = set(conn.execute(select(stores.c.id)).scalars())
        one = conn.execute(select(stores.c.id, stores.c.name).order_by(stores.c.id)).first()
    assert in_region and in_region != every
    with console.sign_in("rm") as c:
        shown = set(re.findall(r'href="/console/stores/([^"/]+)"', c.get("/console/stores").text))
    assert shown == in_region
    # pages of 5 cover every store once, in order
    seen: list[str] = []
    with console.sign_in("planner") as c:
        url = "/console/stores?limit=5"
        while url:
            page = c.get(url).text
            seen += re.findall(r'<th scope="row"><a href="/console/stores/([^"/]+)"', page)
            nxt = re.search(r'<a rel="next" href="([^"]+)"', page)
            url = html_lib.unescape(nxt.group(1)) if nxt else None
        found = c.get("/console/stores", params={"q": one.name}).text
        by_format = c.get("/console/stores", params={"format": "flagship", "status": "open"})
    assert seen == sorted(every)
    assert f'href="/console/stores/{one.id}"' in found
    assert by_format.status_code == 200


def test_finance_sees_a_stores_sales_and_target_but_no_stock(console):
    # given a finance user (rewards are paid on stores' sales; finance reads no stock)
    unit_of_work(
        console.engine,
        lambda c: create_user(c, actor="test", username="fin", password=PASSWORD, role="finance"),
    )
    store_id = console.people["sm"]["store_id"]
    # when they open a store's page and its stock fragment
    with console.sign_in("fin") as c:
        answer = c.get(f"/console/stores/{store_id}")
        stock = c.get(f"/console/stores/{store_id}/stock", params={"category": "phone"})
        unknown = c.get("/console/stores/NO-SUCH-STORE")
    # then the page answers with the target and sales, and no stock section at all
    assert answer.status_code == 200, answer.text
    page = answer.text
    assert 'id="target-h"' in page and 'id="sales-table"' in page
    assert 'id="stock-not-shown"' in page
    for stock_part in ('id="stock-table"', 'id="incoming-h"', 'id="count-h"', "stock-desk-link"):
        assert stock_part not in page, stock_part
    # the store manager's page of the same store still shows them
    with console.sign_in("sm") as c:
        own = c.get(f"/console/stores/{store_id}").text
    assert 'id="stock-table"' in own and 'id="stock-not-shown"' not in own
    # and the SKU list, which is stock, stays refused; an unknown store is still 404
    assert stock.status_code == 403
    assert unknown.status_code == 404
