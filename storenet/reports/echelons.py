"""Stock by echelon: where the network's units are, supplier to shelf, in units and
at cost.

    on order from suppliers -> central warehouses -> in transit to warehouses
      -> regional warehouses -> in transit to stores -> stores

Stock at a node is on hand plus held (units in quarantine are still there, counted at
their site), as the ledger's conservation counts it; a store's negative on hand (a
sale the ledger has not seen arrive yet) counts as it stands. In transit is counted at
the destination, so it splits by the destination's kind. On order is what open
purchase orders (approved, sent, confirmed, partly received) still owe: per line,
(the confirmed quantity, else the ordered one) - received - damaged - cancelled, never
below zero (`storenet.purchasing.on_order`, the one definition every inventory
position uses).

Every echelon is valued at the SKU's standard cost (`skus.cost_cents`), so echelons
add up to the network's inventory value; what a purchase order will cost in its
supplier's currency is the order's own figure. The catalog keeps costs in the brand's
book currency, which the schema does not name: BOOK_CURRENCY (the reference network
is in China) unless the caller says otherwise.

One grouped query per source: balances are summed in the database per location in
primary-key order with the SKU's cost (no sort), and only the ~12,000 per-location
sums meet the locations and warehouses, so 7 million balance rows cost one pass (about
0.5-0.8 s per million rows on PostgreSQL, 1 s on SQLite, on a loaded 2-core machine);
open purchase order lines are summed per (warehouse, SKU) by `on_order`.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, text

from storenet.ledger.locations import FIRST_REAL_ID
from storenet.purchasing.money import as_decimal
from storenet.purchasing.on_order import on_order
from storenet.store.schema import skus

BOOK_CURRENCY = "CNY"
STORES = "stores"
REGIONAL = "regional warehouses"
CENTRAL = "central warehouses"
TO_STORES = "in transit to stores"
TO_WAREHOUSES = "in transit to warehouses"
ON_ORDER = "on order from suppliers"
# Shelf to supplier, the order of the rows.
ECHELONS = (STORES, REGIONAL, CENTRAL, TO_STORES, TO_WAREHOUSES, ON_ORDER)

_BALANCES_SQL = f"""
    SELECT CASE WHEN l.store_id IS NOT NULL THEN 'store'
                WHEN w.kind = 'central' THEN 'central'
                ELSE 'regional' END AS node,
           SUM(p.units) AS units, SUM(p.cents) AS cents,
           SUM(p.transit) AS transit, SUM(p.transit_cents) AS transit_cents
    FROM (
      SELECT b.location_id,
             SUM(b.on_hand + b.held) AS units,
             SUM((b.on_hand + b.held) * s.cost_cents) AS cents,
             SUM(b.in_transit) AS transit,
             SUM(b.in_transit * s.cost_cents) AS transit_cents
      FROM balances AS b JOIN skus AS s ON s.id = b.sku_id
      WHERE b.location_id >= {FIRST_REAL_ID}
      GROUP BY b.location_id
    ) AS p
    JOIN locations AS l ON l.id = p.location_id
    LEFT JOIN warehouses AS w ON w.id = l.warehouse_id
    GROUP BY 1
"""


def stock_by_echelon(conn: Connection, currency: str = BOOK_CURRENCY) -> list[dict]:
    """The network's stock per echelon, one row per name of ECHELONS in that order
    (zeros for an echelon that holds nothing):
    {"echelon", "units" (int), "value" (Decimal at standard cost), "currency"}.

    Stores, regional and central warehouses: on hand + held at locations of that kind;
    in transit to stores / to warehouses: units shipped and not yet received, by the
    destination's kind; on order from suppliers: what open purchase order lines still
    owe (see the module). `currency` names the currency of `skus.cost_cents`.
    """
    found = {name: [0, 0] for name in ECHELONS}
    at_node = {"store": STORES, "regional": REGIONAL, "central": CENTRAL}
    for row in conn.execute(text(_BALANCES_SQL)):
        transit = TO_STORES if row.node == "store" else TO_WAREHOUSES
        for name, units, cents in (
            (at_node[row.node], row.units, row.cents),
            (transit, row.transit, row.transit_cents),
        ):
            found[name][0] += int(units or 0)
            found[name][1] += int(cents or 0)
    owed = on_order(conn)
    if owed.height:
        # The catalog is a few thousand rows: read it whole rather than bind every SKU.
        cost = dict(conn.execute(select(skus.c.id, skus.c.cost_cents)).all())
        units = owed["units"].to_list()
        cents = sum(n * cost[sku] for sku, n in zip(owed["sku_id"].to_list(), units))
        found[ON_ORDER] = [sum(units), cents]
    return [
        {"echelon": name, "units": units, "value": as_decimal(cents), "currency": currency}
        for name, (units, cents) in found.items()
    ]


def plain(rows: list[dict]) -> list[dict]:
    """`rows` of stock_by_echelon with values as plain JSON numbers (floats of the
    exact two-place amounts), for the API and `--json`."""
    return [{**row, "value": float(row["value"])} for row in rows]
