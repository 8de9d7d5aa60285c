"""The network overview page over HTTP: figures from the daily close, scope per role."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from storenet.store.schema import region_days, store_days, stores


def _row_ids(html: str, kind: str) -> set[str]:
    if kind == "store":
        return set(re.findall(r'href="/console/stores/([^"]+)"', html))
    return set(re.findall(r'<th scope="row">([^<]+)</th>', html))


def test_a_page_without_a_session_redirects_to_sign_in_and_back(console):
    with (
        console.sign_in("planner") as signed,
        __import__("httpx").Client(base_url=console.url) as anonymous,
    ):
        answer = anonymous.get("/console/", follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/console/sign-in?next=/console/"
        page = signed.get("/console/")
        assert page.status_code == 200
        # the server's own time, which bench/console.py reads
        assert page.headers["server-timing"].startswith("app;dur=")


def test_the_overview_shows_the_network_kpis_computed_from_the_daily_figures(console):
    # given the sums the close wrote for the last 28 days
    with console.engine.connect() as conn:
        last = conn.execute(select(func.max(region_days.c.day))).scalar()
        sums = conn.execute(
            select(
                func.sum(region_days.c.on_hand_units),
                func.sum(region_days.c.units_sold),
                func.sum(region_days.c.stockout_pairs),
                func.sum(region_days.c.listed_pairs),
            ).where(region_days.c.day > last - timedelta(days=28))
        ).one()
        store_sold = conn.execute(select(func.sum(store_days.c.units_sold))).scalar()
    assert last == console.last_day and sums[1] > 0 and sums[1] == store_sold
    # when
    with console.sign_in("planner") as c:
        html = c.get("/console/").text
    # then the page shows the same figures
    shown_days = re.search(r'data-kpi="inventory_days">([^<]+)<', html).group(1)
    assert float(shown_days.replace(",", "")) == round(float(sums[0]) / float(sums[1]), 1)
    shown_rate = re.search(r'data-kpi="stockout_rate">([^<]+)%<', html).group(1)
    assert float(shown_rate) == round(100 * float(sums[2]) / float(sums[3]), 2)
    # and a row per region, and the three charts' data
    with console.engine.connect() as conn:
        regions_open = conn.execute(
            select(func.count(func.distinct(region_days.c.region_id)))
        ).scalar()
    assert len(re.findall(r'<th scope="row">', html)) == regions_open
    for chart in ("trend-data", "map-data", "openings-data"):
        assert f'id="{chart}"' in html


def test_a_regional_manager_sees_only_their_region(console):
    region = console.people["rm"]["region"]
    with console.sign_in("rm") as c:
        html = c.get("/console/").text
    with console.engine.connect() as conn:
        name = conn.execute(
            select(func.min(stores.c.region_id)).where(stores.c.region_id == region)
        ).scalar()
    rows = re.findall(r'<th scope="row">([^<]+)</th>', html)
    assert len(rows) == 1 and name == region


def test_a_franchise_owner_sees_only_their_own_stores(console):
    from storenet.store.schema import store_owners

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
        with_figures = set(conn.execute(select(store_days.c.store_id)).scalars())
    with console.sign_in("owner") as c:
        html = c.get("/console/").text
    shown = _row_ids(html, "store")
    assert shown and shown <= own and shown == own & with_figures
    # the trend is the owner's stores' own sales, not the network's
    with console.engine.connect() as conn:
        theirs = conn.execute(
            select(func.sum(store_days.c.units_sold)).where(store_days.c.store_id.in_(own))
        ).scalar()
    shown_sold = re.search(r'data-kpi="units_sold">([^<]+)<', html).group(1)
    assert int(shown_sold.replace(",", "")) == theirs


def test_sign_in_with_a_wrong_password_says_so_without_telling_which_part_was_wrong(console):
    import httpx

    with httpx.Client(base_url=console.url) as c:
        wrong = c.post("/console/sign-in", data={"username": "planner", "password": "nope nope"})
        # a name of its own: unknown names are slowed down per name, process-wide
        ghost = f"ghost-{uuid.uuid4().hex[:8]}"
        unknown = c.post("/console/sign-in", data={"username": ghost, "password": "nope nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert "Wrong username or password." in wrong.text
    assert wrong.text == unknown.text
