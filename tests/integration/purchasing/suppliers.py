"""Suppliers for the purchase-order tests: SUP-A (EUR) sells K1, K2 and the phone PH1
delivered to the central warehouse WC; SUP-B (USD) sells K3 delivered to WE."""

from __future__ import annotations

from sqlalchemy import Engine, insert

from storenet.store.schema import supplier_items, suppliers

PRICES = {"K1": 1250, "K2": 800, "PH1": 150000}


def seed_suppliers(engine: Engine) -> None:
    """SUP-A and SUP-B with their supplier items (stated lead time 10 +- 2 days)."""
    with engine.begin() as conn:
        conn.execute(
            insert(suppliers),
            [
                {"id": "SUP-A", "name": "Alpha Parts", "currency": "EUR"},
                {"id": "SUP-B", "name": "Beta Goods", "currency": "USD"},
            ],
        )
        rows = [
            {
                "supplier_id": "SUP-A",
                "sku_id": sku,
                "delivers_to": "WC",
                "lead_days_mean": 10.0,
                "lead_days_sd": 2.0,
                "unit_cost_cents": cents,
                "currency": "EUR",
            }
            for sku, cents in PRICES.items()
        ]
        rows.append(
            {
                "supplier_id": "SUP-B",
                "sku_id": "K3",
                "delivers_to": "WE",
                "lead_days_mean": 4.0,
                "lead_days_sd": 1.0,
                "unit_cost_cents": 300,
                "currency": "USD",
            }
        )
        conn.execute(insert(supplier_items), rows)
