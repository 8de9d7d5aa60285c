"""A small, hand-made network for tests: 2 regions, 4 stores, 2 warehouses, 6 SKUs.

Stores S1, S2 (region EAST) and S3, S4 (region WEST); warehouses WC (central) and WE
(regional). SKUs: K1..K4 ordinary, PH1 and PH2 serial-tracked phones.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, insert

from storenet.ledger.locations import ensure_locations
from storenet.store.schema import (
    assortment,
    cities,
    franchisees,
    regions,
    skus,
    store_owners,
    stores,
    warehouses,
)

STORES = ("S1", "S2", "S3", "S4")
WAREHOUSES = ("WC", "WE")
PLAIN_SKUS = ("K1", "K2", "K3", "K4")
SERIAL_SKUS = ("PH1", "PH2")


def seed_small_network(engine: Engine) -> None:
    """Insert the small network and its ledger locations (no stock)."""
    with engine.begin() as conn:
        conn.execute(
            insert(regions), [{"id": "EAST", "name": "East"}, {"id": "WEST", "name": "West"}]
        )
        conn.execute(
            insert(cities),
            [
                {
                    "id": "SH",
                    "name": "Shanghai",
                    "province": "Shanghai",
                    "tier": 1,
                    "region_id": "EAST",
                    "lat": 31.23,
                    "lon": 121.47,
                },
                {
                    "id": "CD",
                    "name": "Chengdu",
                    "province": "Sichuan",
                    "tier": 2,
                    "region_id": "WEST",
                    "lat": 30.57,
                    "lon": 104.07,
                },
            ],
        )
        conn.execute(
            insert(warehouses),
            [
                {
                    "id": "WC",
                    "name": "Central",
                    "kind": "central",
                    "region_id": None,
                    "city_id": "SH",
                },
                {
                    "id": "WE",
                    "name": "East DC",
                    "kind": "regional",
                    "region_id": "EAST",
                    "city_id": "SH",
                },
            ],
        )
        conn.execute(
            insert(franchisees), [{"id": "F1", "name": "Li Wei"}, {"id": "F2", "name": "Zhang Min"}]
        )
        conn.execute(
            insert(stores),
            [
                {
                    "id": s,
                    "name": f"Store {s}",
                    "format": fmt,
                    "region_id": region,
                    "city_id": city,
                    "status": "open",
                    "opened_on": date(2025, 1, 1),
                    "warehouse_id": "WE",
                }
                for s, fmt, region, city in (
                    ("S1", "direct", "EAST", "SH"),
                    ("S2", "franchise", "EAST", "SH"),
                    ("S3", "franchise", "WEST", "CD"),
                    ("S4", "flagship", "WEST", "CD"),
                )
            ],
        )
        conn.execute(
            insert(store_owners),
            [
                {"store_id": s, "franchisee_id": f, "valid_from": date(2025, 1, 1)}
                for s, f in (("S1", None), ("S2", "F1"), ("S3", "F2"), ("S4", None))
            ],
        )
        conn.execute(
            insert(skus),
            [
                {
                    "id": k,
                    "name": f"Item {k}",
                    "category": "accessory",
                    "model": "acc",
                    "variant": k,
                    "launch_on": date(2025, 1, 1),
                    "pack_size": 1,
                    "cost_cents": 1000,
                    "price_cents": 2000,
                    "serial_tracked": False,
                }
                for k in PLAIN_SKUS
            ]
            + [
                {
                    "id": k,
                    "name": f"Phone {k}",
                    "category": "phone",
                    "model": "phone-x",
                    "variant": k,
                    "launch_on": date(2025, 1, 1),
                    "pack_size": 1,
                    "cost_cents": 200000,
                    "price_cents": 299900,
                    "serial_tracked": True,
                }
                for k in SERIAL_SKUS
            ],
        )
        conn.execute(
            insert(assortment),
            [
                {"store_id": s, "sku_id": k, "display_min": 1, "capacity": 50}
                for s in STORES
                for k in PLAIN_SKUS + SERIAL_SKUS
            ],
        )
        ensure_locations(conn, list(STORES), list(WAREHOUSES))
