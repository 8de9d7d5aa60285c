"""Can a plan be carried out as it stands? Stock at each source, room at each store.

The planner never allocates more than a source holds nor fills a pair past its shelf
capacity, but a planner's edit can: an approved plan whose release the ledger then
refuses is stuck. So the same two checks run at edit (as warnings, so the planner sees
them while editing) and at approval (as a refusal, so nothing unreleasable is frozen):

- stock: the units a plan sends from a source (a warehouse, or a store giving up
  stock in a rebalancing move), per SKU, must not exceed what is free there now
  (on hand minus reserved), which is what the ledger checks when it ships;
- capacity: a pair the plan sends units to must not end above its shelf capacity
  (the assortment's `capacity`, where one is given): position + incoming <= capacity.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from storenet.errors import Problem

_SHORT_SOURCES = """
WITH sent AS (
    SELECT source_id, sku_id, SUM(qty) AS units
    FROM plan_lines
    WHERE plan_id = :plan AND qty > 0 {only_source}
    GROUP BY source_id, sku_id
),
places AS (
    SELECT id, COALESCE(store_id, warehouse_id) AS ref FROM locations
    WHERE store_id IS NOT NULL OR warehouse_id IS NOT NULL
)
SELECT sent.source_id, sent.sku_id, sent.units,
       COALESCE(b.on_hand - b.reserved, 0) AS free
FROM sent
LEFT JOIN places ON places.ref = sent.source_id
LEFT JOIN balances b ON b.location_id = places.id AND b.sku_id = sent.sku_id
WHERE sent.units > COALESCE(b.on_hand - b.reserved, 0)
ORDER BY sent.source_id, sent.sku_id
"""

# A pair's figures sit on its first line: after the plan it holds target + surplus.
_OVER_CAPACITY = """
SELECT p.store_id, p.sku_id, p.target + p.surplus AS after, a.capacity
FROM plan_lines p
JOIN assortment a ON a.store_id = p.store_id AND a.sku_id = p.sku_id
WHERE p.plan_id = :plan AND p.pair_first = 1 {only_pair}
  AND a.capacity > 0
  AND p.target + p.surplus > a.capacity
  AND p.target + p.surplus > p.position
ORDER BY p.store_id, p.sku_id
"""


def plan_problems(
    conn: Connection,
    plan_id: str,
    *,
    source: tuple[str, str] | None = None,
    pair: tuple[str, str] | None = None,
) -> list[Problem]:
    """What stops plan `plan_id` from being carried out, as Problems naming the field
    (`qty`) and where (source or pair, SKU); empty when nothing does.

    With `source` = (source id, SKU) and `pair` = (store id, SKU) only those are
    checked (the lines one edit touched); otherwise the whole plan. Reads the plan's
    stored pair figures and today's balances; writes nothing.
    """
    only_source, only_pair, params = "", "", {"plan": plan_id}
    if source is not None:
        only_source = "AND source_id = :source AND sku_id = :source_sku"
        params |= {"source": source[0], "source_sku": source[1]}
    if pair is not None:
        only_pair = "AND p.store_id = :store AND p.sku_id = :pair_sku"
        params |= {"store": pair[0], "pair_sku": pair[1]}
    problems = [
        Problem(
            "qty",
            f"the plan sends {units} units of {sku} from {src}, which has {max(free, 0)} free",
            f"{src} {sku}",
            units,
        )
        for src, sku, units, free in conn.execute(
            text(_SHORT_SOURCES.format(only_source=only_source)), params
        )
    ]
    problems += [
        Problem(
            "qty",
            f"{store} would hold {after} units of {sku}, above its capacity of {capacity}",
            f"{store} {sku}",
            after,
        )
        for store, sku, after, capacity in conn.execute(
            text(_OVER_CAPACITY.format(only_pair=only_pair)), params
        )
    ]
    return problems
