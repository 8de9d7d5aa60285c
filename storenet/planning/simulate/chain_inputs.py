"""What a replay of the whole chain starts from: the stores' replay inputs, the tree of
warehouses with its lanes and suppliers, and the warehouses' opening stock and
pipelines.

Routes. For each SKU the supplier delivers to `tree.sku_delivers_to` (a warehouse),
or, where that is -1, to every regional warehouse directly; a warehouse the supplier
does not deliver a SKU to is fed by its parent (`tree.warehouse_parent`). A regional
warehouse ships to its stores (`network.store_warehouse`). Warehouse x SKU cells are
laid out row-major, cell = warehouse * SKUs + SKU.

Opening state (the same for every policy, stated because no data records it): each
warehouse cell holds `opening_cover_days` of its expected outflow (its stores'
recorded average sales over the warm-up window, summed up the routes), and the lanes
into it carry the steady flow ordered before the split: one day of that outflow
arrives each morning until the replay's own orders can arrive (the mean lead time).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import polars as pl

from storenet.planning.chain.tree import CENTRAL, REGIONAL, ChainTree, order_day_mask
from storenet.planning.network import PlanningNetwork
from storenet.planning.simulate.inputs import SimInput


@dataclass(frozen=True)
class ChainSettings:
    """How the chain replay runs, beyond `SimSettings` (which still sets the days
    replayed and the demand source).

    `burn_in_days`: days at the start of the replay left out of the KPIs (the opening
    state is an assumption; its transient is not a policy's doing); `opening_cover_days`:
    the warehouses' opening stock in days of their expected outflow; `lead_spread`:
    a supplier lead-time draw stays within mean +- this many standard deviations;
    `seed`: the lead-time draws (the same seed gives every policy the same supplier
    luck order by order)."""

    burn_in_days: int = 28
    opening_cover_days: float = 14.0
    lead_spread: float = 2.0
    seed: int = 0

    def __post_init__(self) -> None:
        if self.burn_in_days < 0 or self.opening_cover_days < 0 or self.lead_spread < 0:
            raise ValueError("burn_in_days, opening_cover_days and lead_spread must be >= 0")


@dataclass
class ChainInput:
    """Everything a chain replay starts from; shared, read-only, by every policy's run.

    `sim`: the stores' replay inputs (`sim.network.warehouses` lists every warehouse of
    the tree); `supplier_fed` (bool [W * S]): cells a supplier delivers to;
    `parent_cell` (int64 [W * S]): the cell feeding a cell that is not supplier-fed
    (-1 = none); `flow` (float64 [W * S]): expected units out of each cell per day;
    `store_lead` (int64 per pair): days on its store's lane; `cell_lead` (int64
    [W * S]): days into the cell from its parent's lane, or the supplier's mean lead
    (rounded); `warehouse` (int64 [W * S]): opening stock; `transfer_en_route`,
    `supplier_en_route` (int64 [days, W * S]): what reaches the cells on the replay's
    first mornings from the parent and from the supplier."""

    sim: SimInput
    tree: ChainTree
    settings: ChainSettings
    supplier_fed: np.ndarray
    parent_cell: np.ndarray
    flow: np.ndarray
    store_lead: np.ndarray
    cell_lead: np.ndarray
    warehouse: np.ndarray
    transfer_en_route: np.ndarray
    supplier_en_route: np.ndarray

    @property
    def n_cells(self) -> int:
        """Warehouse x SKU cells."""
        return self.tree.n_warehouses * self.sim.network.n_skus

    def longest_supplier_lead(self) -> int:
        """The longest lead time a supplier order can draw (days)."""
        t, k = self.tree, self.settings.lead_spread
        return int(np.ceil(np.max(t.sku_lead_mean + k * t.sku_lead_sd, initial=1.0)))


def routes(tree: ChainTree, n_skus: int) -> tuple[np.ndarray, np.ndarray]:
    """Per cell: supplier-fed (bool) and the cell feeding it otherwise (int64; -1 =
    none: a cell off every route, or a root the supplier does not serve)."""
    w = np.repeat(np.arange(tree.n_warehouses), n_skus)
    sku = np.tile(np.arange(n_skus), tree.n_warehouses)
    to = tree.sku_delivers_to[sku]
    ordered = tree.sku_supplier[sku] >= 0
    fed = ordered & ((to == w) | ((to < 0) & (tree.warehouse_kind[w] == REGIONAL)))
    parent = tree.warehouse_parent[w].astype(np.int64)
    parent_cell = np.where(~fed & (parent >= 0), parent * n_skus + sku, -1)
    return fed, parent_cell


def prepare_chain(
    sim: SimInput, tree: ChainTree, settings: ChainSettings | None = None
) -> ChainInput:
    """The chain replay's inputs over `sim` (see the module doc for the opening state).
    Raises ValueError if the tree's warehouse arrays do not match
    `sim.network.warehouses`."""
    settings = settings or ChainSettings()
    net = sim.network
    n_wh, n_skus = tree.n_warehouses, net.n_skus
    if n_wh != len(net.warehouses) or tree.sku_supplier.size != n_skus:
        raise ValueError(
            f"the tree has {n_wh} warehouses and {tree.sku_supplier.size} SKUs; the "
            f"network {len(net.warehouses)} and {n_skus}"
        )
    fed, parent_cell = routes(tree, n_skus)
    wh_of_pair = net.store_warehouse[net.pair_store].astype(np.int64)
    has = wh_of_pair >= 0
    flow = np.bincount(
        wh_of_pair[has] * n_skus + net.pair_sku[has], sim.avg_sales[has], n_wh * n_skus
    )
    # Up the routes, children before parents: a cell's outflow is its stores' sales
    # plus what the cells it feeds ship. The tree is shallow; depth passes suffice.
    own = flow.copy()
    for _ in range(n_wh):
        pulled = np.bincount(parent_cell[parent_cell >= 0], flow[parent_cell >= 0], flow.size)
        flow = own + pulled
    store_lead = np.maximum(np.rint(tree.store_lead_mean), 1).astype(np.int64)[net.pair_store]
    lane = np.maximum(np.rint(tree.lane_lead_mean), 1).astype(np.int64)
    sku_lead = np.maximum(np.rint(tree.sku_lead_mean), 1).astype(np.int64)
    w = np.repeat(np.arange(n_wh), n_skus)
    sku = np.tile(np.arange(n_skus), n_wh)
    cell_lead = np.where(fed, sku_lead[sku], lane[w])
    # The given warehouse stock (`sim.warehouse`) is not used: no data here records
    # it (see the module doc).
    warehouse = np.ceil(flow * settings.opening_cover_days - 1e-9).astype(np.int64)
    return ChainInput(
        sim=sim,
        tree=tree,
        settings=settings,
        supplier_fed=fed,
        parent_cell=parent_cell,
        flow=flow,
        store_lead=store_lead,
        cell_lead=cell_lead,
        warehouse=warehouse,
        transfer_en_route=_steady(flow, np.where(parent_cell >= 0, cell_lead, 0)),
        supplier_en_route=_steady(flow, np.where(fed, cell_lead, 0)),
    )


def _steady(flow: np.ndarray, lead: np.ndarray) -> np.ndarray:
    """A steady flow ordered before the replay: cell c receives one day of `flow[c]`
    on each of its first `lead[c]` mornings (rounded per cell so the days sum to the
    flow over the lead)."""
    days = int(lead.max(initial=0))
    cumulative = np.floor(np.outer(np.arange(days + 1), flow) + 0.5)
    rows = np.diff(cumulative, axis=0).astype(np.int64)
    return np.where(np.arange(days)[:, None] < lead[None, :], rows, 0)


def with_central(network: PlanningNetwork, central_id: str = "CENTRAL") -> PlanningNetwork:
    """`network` with a central warehouse appended to its warehouses (last index), if
    it is not there: the planning network lists only the warehouses that serve stores,
    and appending keeps every store's warehouse index."""
    if central_id in network.warehouses:
        return network
    return replace(network, warehouses=[*network.warehouses, central_id])


@dataclass(frozen=True)
class SupplierTerms:
    """Synthetic supplier terms for a replay whose data has none (stated in the
    output): per group of SKUs (a supplier each) its mean lead time and spread, order
    days; per SKU a case pack over `pack_threshold` weekly units, an MOQ of one case,
    weekly capacity `capacity_weeks` times its mean weekly demand (at least two cases);
    every `direct_every`-th SKU ships supplier -> regional directly (0 = none); lanes:
    central -> regional `lane_lead` days, regional -> store `store_lead` days (+1 for
    every third store: a far-away one), reviews every `store_review` days."""

    lead_means: tuple[float, ...] = (14.0, 21.0, 28.0)
    lead_sd_share: float = 0.25
    order_days: tuple[str, ...] = ("mon,thu", "tue,fri", "wed")
    case_pack: int = 6
    pack_threshold: float = 24.0
    capacity_weeks: float = 2.0
    direct_every: int = 5
    lane_lead: float = 3.0
    store_lead: float = 2.0
    store_review: int = 7

    def describe(self) -> str:
        """One line stating the terms (printed by the bench beside its results)."""
        return (
            f"supplier lead means {'/'.join(f'{x:g}' for x in self.lead_means)} days "
            f"(sd {self.lead_sd_share:.0%} of the mean, draws within +-2 sd, no overtaking), "
            f"order days {'/'.join(self.order_days)}, case pack {self.case_pack} above "
            f"{self.pack_threshold:g} units a week (MOQ one case), weekly capacity "
            f"{self.capacity_weeks:g}x mean weekly demand, every {self.direct_every}th SKU "
            f"direct to regionals, lanes central->regional {self.lane_lead:g} d, "
            f"regional->store {self.store_lead:g} d (+1 for every third store), store "
            f"review {self.store_review} d"
        )


def synthetic_tree(
    network: PlanningNetwork,
    sku_group: np.ndarray,
    weekly_demand: np.ndarray,
    terms: SupplierTerms | None = None,
) -> ChainTree:
    """A two-level tree over `network` (its last warehouse is the central one, the
    others regionals under it) with one synthetic supplier per SKU group (`sku_group`,
    int per SKU: a category or department code) on `terms`. `weekly_demand` (float64
    per SKU): mean units a week, sizing packs, MOQ and capacity."""
    terms = terms or SupplierTerms()
    n_wh, n_skus = len(network.warehouses), network.n_skus
    groups = np.unique(sku_group, return_inverse=True)[1].astype(np.int32)
    mean = np.array(terms.lead_means)[groups % len(terms.lead_means)]
    days = np.array([order_day_mask(d) for d in terms.order_days], np.int8)
    pack = np.where(weekly_demand > terms.pack_threshold, terms.case_pack, 1).astype(np.int64)
    pack = np.maximum(pack, network.sku_pack.astype(np.int64))
    capacity = np.maximum(np.ceil(terms.capacity_weeks * weekly_demand), 2 * pack)
    direct = (
        np.arange(n_skus) % terms.direct_every == terms.direct_every - 1
        if terms.direct_every
        else np.zeros(n_skus, bool)
    )
    kind = np.full(n_wh, REGIONAL, np.int8)
    kind[-1] = CENTRAL
    parent = np.full(n_wh, n_wh - 1, np.int32)
    parent[-1] = -1
    per_week = np.array([bin(int(d)).count("1") for d in days])[groups % len(days)]
    far = (np.arange(network.n_stores) % 3 == 2).astype(np.float64)
    return ChainTree(
        warehouse_kind=kind,
        warehouse_parent=parent,
        lane_lead_mean=np.where(kind == CENTRAL, 0.0, terms.lane_lead),
        lane_lead_sd=np.zeros(n_wh),
        # A warehouse buys on its supplier's order days: its review period.
        warehouse_review_days=np.full(n_wh, int(np.ceil(7 / per_week.min())), np.int32),
        store_lead_mean=terms.store_lead + far,
        store_lead_sd=np.zeros(network.n_stores),
        store_review_days=np.full(network.n_stores, terms.store_review, np.int32),
        supplier_ids=[f"SUP-{g:02d}" for g in range(groups.max(initial=-1) + 1)],
        sku_supplier=groups,
        sku_delivers_to=np.where(direct, -1, n_wh - 1).astype(np.int32),
        sku_lead_mean=mean,
        sku_lead_sd=mean * terms.lead_sd_share,
        sku_moq=pack.copy(),
        sku_case_pack=pack,
        sku_weekly_capacity=capacity.astype(np.int64),
        sku_order_days=days[groups % len(days)],
        sku_unit_cost=network.sku_cost.astype(np.float64),
    )


def synthetic_chain(
    sim: SimInput, terms: SupplierTerms | None = None, settings: ChainSettings | None = None
) -> ChainInput:
    """The chain replay of `sim` when its data has no suppliers: a central warehouse
    appended above the network's warehouses (`with_central`), one synthetic supplier
    per SKU category on `terms` (`synthetic_tree`) and the opening state of
    `prepare_chain`. Packs, MOQ and capacity are sized on `supplier_scale`: they are
    the suppliers' facts, the same for every policy, not a policy's input."""
    network = with_central(sim.network)
    if network is not sim.network:
        wh = np.zeros((len(network.warehouses), network.n_skus), np.int64)
        wh[: sim.warehouse.shape[0]] = sim.warehouse
        sim = replace(sim, network=network, warehouse=wh)
    tree = synthetic_tree(network, network.sku_category, supplier_scale(sim), terms)
    return prepare_chain(sim, tree, settings)


def supplier_scale(sim: SimInput) -> np.ndarray:
    """Mean units a week per SKU (float64) that a supplier is sized for: the larger of
    its warm-up average and its demand over the replayed days it was on sale (a SKU
    launching during the replay has no warm-up sales, yet its supplier makes it)."""
    net = sim.network
    demand = np.zeros(net.n_skus)
    on_sale = np.zeros(net.n_skus)
    for day in sim.days:
        demand += np.bincount(net.pair_sku, sim.demand_on(day), net.n_skus)
        on_sale += ~(net.sku_launch > day)
    replay = 7 * demand / np.maximum(on_sale, 1)
    return np.maximum(np.bincount(net.pair_sku, sim.avg_sales, net.n_skus) * 7, replay)


def master_chain(
    sim: SimInput, master_dir: Path, settings: ChainSettings | None = None
) -> ChainInput | None:
    """The chain replay of a network's own suppliers: its master files' warehouses
    (with parents), lanes and primary supplier items (docs/data-formats.md; what
    `storenet generate` writes) through `chain.tree.build_tree`, the warehouses that
    serve no store appended to the network's in id order (as `build_tree` orders
    them). A missing lane falls back to the replay's store lead and review days.
    None if the folder has no supplier items."""
    from storenet.planning.chain.tree import build_tree
    from storenet.planning.network import read_table

    master_dir = Path(master_dir)
    if not any((master_dir / f"supplier_items{s}").exists() for s in (".parquet", ".csv")):
        return None
    warehouses = read_table(master_dir, "warehouses")
    lanes = read_table(master_dir, "lanes")
    items = read_table(master_dir, "supplier_items")
    if "is_primary" in items.columns:
        items = items.filter(pl.col("is_primary").fill_null(True))
    network = sim.network
    known = set(network.warehouses)
    others = sorted(set(warehouses["id"].cast(pl.String).to_list()) - known)
    network = replace(network, warehouses=[*network.warehouses, *others])
    empty = np.zeros((len(network.warehouses), network.n_skus), np.int64)
    sim = replace(sim, network=network, warehouse=empty)
    tree = build_tree(
        network, warehouses, lanes, items, sim.settings.lead_days, sim.settings.review_days
    )
    return prepare_chain(sim, tree, settings)
