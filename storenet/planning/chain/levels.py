"""Echelon targets and positions of every warehouse for tonight (the plan's step 2).

Applies `echelon` to the tree: each node's service level from the stores' through
the holding costs, its quantile of the pooled echelon demand (`pooling`), the lifts
and targets of the nodes below it, and its echelon inventory position. Nodes are
visited deepest first, so a child's target and position are known when its parent
adds them up; everything else is [warehouses, SKUs] array work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from storenet.planning.chain.echelon import (
    backorder_cost,
    demand_quantile,
    lifted_target,
    stage_service_levels,
)
from storenet.planning.chain.pooling import NO_SOURCE, Pooled, depth_order, sum_up_routes
from storenet.planning.chain.tree import CENTRAL, ChainStock, ChainTree
from storenet.planning.cycle import NightlyPlan, PlanSettings
from storenet.planning.network import PlanningNetwork
from storenet.planning.targets import service_levels


@dataclass(frozen=True)
class EchelonFigures:
    """Per (warehouse, SKU), int64/float64 [warehouses, SKUs], tree order."""

    source: np.ndarray  # int32: SUPPLIER (-1), NO_SOURCE (-2) or the parent warehouse
    leg_days: np.ndarray  # int64: lead + protection period of the leg into the node
    demand_mean: np.ndarray  # float64: pooled echelon demand over its cumulative horizon
    demand_var: np.ndarray  # float64, lead-time spread included
    daily: np.ndarray  # float64: the echelon's expected demand a day
    service_level: np.ndarray  # float64
    quantile: np.ndarray  # int64
    target: np.ndarray  # int64: echelon target
    below_target: np.ndarray  # int64: sum of the targets directly below (the floor)
    position: np.ndarray  # int64: echelon position, each node below counted up to its target
    free: np.ndarray  # int64: on hand - reserved at the node
    in_transit: np.ndarray  # int64: on its way to the node from a warehouse
    on_order: np.ndarray  # int64: open purchase-order units for the node


def echelon_figures(
    network: PlanningNetwork,
    tree: ChainTree,
    stock: ChainStock,
    stores: NightlyPlan,
    source: np.ndarray,
    leg_days: np.ndarray,
    leg_sd: np.ndarray,
    pooled: Pooled,
    free: np.ndarray,
    settings: PlanSettings,
) -> EchelonFigures:
    """Echelon targets and positions of every (warehouse, SKU), deepest node first.

    Inputs: tonight's store plan (targets, quantiles, positions per pair), each
    node's `source` and leg (`leg_days`, `leg_sd`, [warehouses, SKUs]), the `pooled`
    echelon demand, `free` stock per node, the holding costs and store service levels
    of `settings`. Guarantees: target >= the sum of the targets directly below (plus
    the quantile of the echelon's demand over the node's own leg where that sum
    binds and two or more children hold the SKU);
    position = free + in transit + on order + every position below, each up to its
    target (a store in full where `settings.sole_store_push` and it alone holds the
    SKU below the node: a serial line); nodes with NO_SOURCE get target 0.
    """
    n_w, n_k = source.shape
    size = n_w * n_k
    store_wh = network.store_warehouse[network.pair_store].astype(np.int64)
    on = store_wh >= 0
    key = store_wh[on] * n_k + network.pair_sku[on]

    def per_node(values: np.ndarray) -> np.ndarray:
        return np.bincount(key, values[on], size).reshape(n_w, n_k)

    below_target = np.rint(per_node(stores.target.astype(np.float64))).astype(np.int64)
    lift_in = per_node((stores.target - stores.quantile).astype(np.float64))
    # Each node below counts up to its target: a store's excess cannot serve a store
    # that is short (only rebalancing moves it), so adding it would hide the shortage
    # from the warehouse (echelon theory's balance assumption fails in a tree). With
    # `sole_store_push`, a warehouse whose SKU one store alone holds is a serial line:
    # that store counts in full (its excess serves its own demand, Clark and Scarf),
    # so the stock pushed to it does not make the warehouse order it again. A parent
    # still counts each warehouse below up to its target: counting a regional's
    # excess (after its forecast fell) in full stopped the central's orders for
    # weeks, and on the M5 tuning window raised the bullwhip ratio from 1.41 to 1.52.
    counted = np.minimum(stores.position, stores.target).astype(np.float64)
    position_in = np.rint(per_node(counted)).astype(np.int64)
    whole = np.where(stores.target > 0, stores.position, counted).astype(np.float64)
    position_whole = np.rint(per_node(whole)).astype(np.int64)
    serial = bool(settings.sole_store_push)
    in_transit = _rows(stock.warehouse_in_transit, n_w, n_k)
    on_order = _rows(stock.warehouse_on_order, n_w, n_k)
    mean = pooled.mean.reshape(n_w, n_k)
    var = pooled.var.reshape(n_w, n_k).copy()
    daily = pooled.daily.reshape(n_w, n_k)

    # Service level per node and SKU: the store's category level sets the backorder
    # cost; the node's local holding cost and its source's give its level.
    store_level = service_levels(network.categories, settings.service)[network.sku_category]
    holding = np.where(
        np.asarray(tree.warehouse_kind) == CENTRAL,
        settings.central_holding,
        settings.regional_holding,
    )
    backorder = backorder_cost(store_level, 1.0 - settings.regional_holding)
    parent = np.asarray(tree.warehouse_parent, np.int64)
    level = np.zeros((n_w, n_k))
    for w in range(n_w):
        up = np.where(source[w] >= 0, holding[max(parent[w], 0)], 0.0)
        mine = np.maximum(holding[w], up)
        h = np.stack([1.0 - mine, mine - up, up])
        level[w] = stage_service_levels(h, backorder)[1]

    # A leg's lead-time spread is shared by every store below it: Var += (the
    # echelon's daily mean)^2 sd^2, summed up the tree with the children's.
    var += sum_up_routes(tree, source, daily**2 * leg_sd**2)
    planned = source != NO_SOURCE
    quantile = np.where(planned, np.ceil(demand_quantile(mean, var, level) - 1e-9), 0)
    quantile = quantile.astype(np.int64)
    # What the stores pull over the node's own leg, at its service level: carried on
    # top of a binding floor (`lifted_target`). Its variance keeps the echelon's
    # dispersion (variance / mean) over the shorter span.
    leg_mean = daily * leg_days
    with np.errstate(divide="ignore", invalid="ignore"):
        leg_var = np.where(mean > 0, var * leg_mean / mean, 0.0)
    leg_quantile = np.ceil(demand_quantile(leg_mean, leg_var, level) - 1e-9)
    target = np.zeros((n_w, n_k), np.int64)
    position = np.zeros((n_w, n_k), np.int64)
    # Children holding each SKU (stores with a target, warehouses fed): with one, its
    # own slack covers the leg and no leg is carried (`lifted_target`).
    children = per_node((stores.target > 0).astype(np.float64))
    for w in depth_order(tree):
        leg = np.where(children[w] > 1, leg_quantile[w], 0.0)
        t = lifted_target(quantile[w], lift_in[w], below_target[w], leg)
        target[w] = np.where(planned[w], np.ceil(t - 1e-9), 0)
        # position_whole: the stores below in full, the warehouses up to their targets.
        below = np.where(serial & (children[w] == 1), position_whole[w], position_in[w])
        position[w] = free[w] + in_transit[w] + on_order[w] + below
        if parent[w] >= 0:
            fed = source[w] == parent[w]
            up = parent[w]
            capped = np.minimum(position[w], target[w])
            below_target[up] += np.where(fed, target[w], 0)
            lift_in[up] += np.where(fed, target[w] - quantile[w], 0)
            position_in[up] += np.where(fed, capped, 0)
            position_whole[up] += np.where(fed, capped, 0)
            children[up] += fed & (target[w] > 0)
    return EchelonFigures(
        source=source,
        leg_days=leg_days,
        demand_mean=mean,
        demand_var=var,
        daily=daily,
        service_level=level,
        quantile=quantile,
        target=target,
        below_target=below_target,
        position=position,
        free=free,
        in_transit=in_transit,
        on_order=on_order,
    )


def _rows(values: np.ndarray | None, n_w: int, n_k: int) -> np.ndarray:
    out = np.zeros((n_w, n_k), np.int64)
    if values is not None and np.size(values):
        values = np.asarray(values, np.int64)
        out[: min(n_w, values.shape[0])] = values[:n_w]
    return out
