"""Stock for the recall tests, on the small network of tests.support, by hand:

    WE  PH1 W-1 W-2 W-3 (delivery note DN-W, 2025-06-01), K1 x 10
        PH1 W-4 shipped to S2 on transfer T-W4 (in transit)
    S1  PH1 A-1 A-2 A-3 (DN-S1, 2025-07-01), K1 x 5; A-3 sold with buyer "buyer-1"
    S2  PH1 B-1 B-2 (DN-S2, 2025-08-01), PH2 X-1
    S3  PH1 C-1 (DN-S3, 2025-08-01), sold with no buyer

A recall of PH1, hand count once held: held W-1 W-2 W-3 A-1 A-2 B-1 B-2 (7), in
transit W-4 (1), sold and reached A-3 (1), sold and unreached C-1 (1): affected 10.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Engine, insert, select

from storenet.accounts.principal import Principal
from storenet.ledger.stock import receive_from_supplier
from storenet.ledger.transfers import create_transfer, ship_transfer
from storenet.sales.ingest import ingest_pos_batch
from storenet.store.engine import unit_of_work
from storenet.store.schema import users

HAND_COUNT = {
    "held_in_network": 7,
    "in_transit": 1,
    "sold_reached": 1,
    "sold_unreached": 1,
}


PEOPLE = {
    "planner": ("hq_planner", {"franchisee_id": None, "store_id": None}),
    "planner2": ("hq_planner", {"franchisee_id": None, "store_id": None}),
    "fr_f1": ("franchise_owner", {"franchisee_id": "F1", "store_id": None}),
    "sm_s1": ("store_manager", {"franchisee_id": None, "store_id": "S1"}),
}


def person(engine: Engine, name: str) -> Principal:
    """The principal of seeded person `name`."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == name)).one()
    return Principal(
        user_id=row.id,
        username=row.username,
        role=row.role,
        token_id=0,
        token_kind="cli",
        franchisee_id=row.franchisee_id,
        store_id=row.store_id,
    )


def sale(store: str, sku: str, serial: str | None, receipt: str, buyer: str | None = None,
         kind: str = "sale", qty: int = 1) -> dict:  # fmt: skip
    """A POS line."""
    line = {
        "store_id": store,
        "device": "T1",
        "receipt": receipt,
        "line": 1,
        "sku_id": sku,
        "qty": qty,
        "unit_price": "2999.00",
        "at": "2025-09-01T10:00:00+08:00",
        "kind": kind,
    }
    if serial:
        line["serials"] = [serial]
    if buyer:
        line["buyer"] = buyer
    return line


def seed_recall_stock(engine: Engine) -> None:
    """The stock of this module's docstring, and the PEOPLE."""

    def work(conn):  # type: ignore[no-untyped-def]
        deliveries = [
            ("WE", "DN-W", datetime(2025, 6, 1, tzinfo=UTC), ["W-1", "W-2", "W-3", "W-4"], 10),
            ("S1", "DN-S1", datetime(2025, 7, 1, tzinfo=UTC), ["A-1", "A-2", "A-3"], 5),
            ("S2", "DN-S2", datetime(2025, 8, 1, tzinfo=UTC), ["B-1", "B-2"], 0),
            ("S3", "DN-S3", datetime(2025, 8, 1, tzinfo=UTC), ["C-1"], 0),
        ]
        for where, note, at, numbers, plain in deliveries:
            lines = [{"sku": "PH1", "qty": len(numbers), "serials": numbers}]
            if plain:
                lines.append({"sku": "K1", "qty": plain})
            receive_from_supplier(
                conn, key=f"seed-{where}", location=where, lines=lines, at=at, document=note
            )
        receive_from_supplier(
            conn,
            key="seed-S2-ph2",
            location="S2",
            lines=[{"sku": "PH2", "qty": 1, "serials": ["X-1"]}],
            at=datetime(2025, 8, 1, tzinfo=UTC),
        )
        create_transfer(
            conn,
            key="t-w4",
            transfer_id="T-W4",
            source="WE",
            destination="S2",
            lines=[{"sku": "PH1", "qty": 1, "serials": ["W-4"]}],
        )
        ship_transfer(
            conn, key="t-w4-ship", transfer_id="T-W4", at=datetime(2025, 8, 2, tzinfo=UTC)
        )
        ingest_pos_batch(conn, key="sold-a3", lines=[sale("S1", "PH1", "A-3", "R-A3", "buyer-1")])
        ingest_pos_batch(conn, key="sold-c1", lines=[sale("S3", "PH1", "C-1", "R-C1")])
        # People without passwords (no Argon2 here): they act through `person`.
        conn.execute(
            insert(users),
            [
                {"username": name, "role": role, "created_at": datetime(2025, 1, 1), **extra}
                for name, (role, extra) in PEOPLE.items()
            ],
        )

    unit_of_work(engine, work)


def assert_kept_figures_match(engine: Engine) -> None:
    """Every campaign's kept funnel, stores and day figures equal what the ledger
    gives when recomputed (storenet.ledger.recall_counts against
    storenet.recall.funnel's oracle), and the funnel adds up."""
    from storenet.recall.funnel import funnel, funnel_by_region, funnel_by_store, progress_by_day
    from storenet.recall.places import place_page, region_totals
    from storenet.store.schema import recall_campaigns, recall_counts

    with engine.connect() as conn:
        for campaign in conn.execute(select(recall_campaigns.c.id)).scalars():
            kept, oracle = funnel(conn, campaign), funnel(conn, campaign, recompute=True)
            assert kept == oracle, campaign
            assert kept["affected"] == sum(v for k, v in kept.items() if k != "affected")
            stores = funnel_by_store(conn, campaign, recompute=True)
            assert funnel_by_store(conn, campaign) == stores
            # The page's store table and regions, summed and sorted by the database.
            assert place_page(conn, campaign) == stores
            assert place_page(conn, campaign, limit=1, offset=1) == stores[1:2]
            assert region_totals(conn, campaign) == funnel_by_region(stores)
            # A scoped person's part (every other place), past the deadline.
            places = conn.execute(
                select(recall_counts.c.location_id).where(recall_counts.c.campaign_id == campaign)
            ).scalars()
            part, late = set(sorted(set(places))[::2]), date(2000, 1, 1)
            theirs = funnel_by_store(conn, campaign, part, late, recompute=True)
            assert place_page(conn, campaign, part, late) == theirs
            assert region_totals(conn, campaign, part, late) == funnel_by_region(theirs)
            assert progress_by_day(conn, campaign) == progress_by_day(
                conn, campaign, recompute=True
            )
