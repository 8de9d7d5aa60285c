"""The console's recall pages: the campaigns, one campaign with its funnel, chart and
stores (a franchise owner sees their own stores' part), and the serial look-up that
says "recalled, stop sale" (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import func, select

from storenet.recall.campaigns import create_campaign
from storenet.recall.hold import hold_campaign
from storenet.store.engine import unit_of_work
from storenet.store.schema import locations, serials, store_owners


def seed_recall(console) -> dict:  # type: ignore[no-untyped-def]
    """A stop-sale campaign over the serial-tracked SKU with the most units, held.
    Returns {"id", "sku", "serial" (one at the owner's store, or anywhere), "owner_store"}."""
    owner_store = console.people["owner"]["store"]

    def work(conn):  # type: ignore[no-untyped-def]
        sku = conn.execute(
            select(serials.c.sku_id)
            .group_by(serials.c.sku_id)
            .order_by(func.count().desc(), serials.c.sku_id)
            .limit(1)
        ).scalar()
        made = create_campaign(
            conn,
            name="console recall",
            reason="overheating",
            severity="stop_sale",
            remedy="replace",
            by="planner",
            scope=[{"kind": "sku", "value": sku}],
        )
        here = conn.execute(
            select(serials.c.serial)
            .join(locations, locations.c.id == serials.c.location_id)
            .where(serials.c.sku_id == sku, locations.c.store_id == owner_store)
            .limit(1)
        ).scalar()
        anywhere = conn.execute(
            select(serials.c.serial).where(serials.c.sku_id == sku).limit(1)
        ).scalar()
        return {"id": made["id"], "sku": sku, "serial": here or anywhere}

    seeded = unit_of_work(console.engine, work)
    hold_campaign(console.engine, seeded["id"])
    return {**seeded, "owner_store": owner_store}


def test_the_recall_pages_show_the_campaign_scoped_per_role(console):
    seeded = seed_recall(console)
    campaign = seeded["id"]
    with console.sign_in("planner") as planner:
        listed = planner.get("/console/recalls")
        assert listed.status_code == 200 and campaign in listed.text
        assert 'href="/console/recalls"' in listed.text  # in the nav
        page = planner.get(f"/console/recalls/{campaign}")
        assert page.status_code == 200
        assert 'data-bucket="held_in_network"' in page.text and "recall-progress" in page.text
        assert 'id="recall-places"' in page.text
        assert 'id="recall-regions"' in page.text and "data-region=" in page.text
        looked = planner.get("/console/recalls/serial", params={"serial": seeded["serial"]})
        assert "recalled, stop sale" in looked.text
        never = planner.get("/console/recalls/serial", params={"serial": "NEVER-SEEN"})
        assert "not recalled" in never.text
        assert planner.get("/console/recalls/RC-NONE").status_code == 404
    with console.sign_in("owner") as owner:
        mine = owner.get(f"/console/recalls/{campaign}")
        assert mine.status_code == 200 and "Your stores' part" in mine.text
        franchisee = console.people["owner"]["franchisee_id"]
        with console.engine.connect() as conn:
            theirs = set(
                conn.execute(
                    select(store_owners.c.store_id).where(
                        store_owners.c.valid_to.is_(None),
                        store_owners.c.franchisee_id == franchisee,
                    )
                ).scalars()
            )
        shown = {part.split('"')[0] for part in mine.text.split('data-place="')[1:]}
        assert shown and shown <= theirs
