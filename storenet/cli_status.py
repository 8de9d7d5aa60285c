"""The `storenet status` tables: a network summary rendered for a terminal with Rich (the
CLI edge; the figures come from storenet.reports.state, no queries here)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from storenet.reports.state import NetworkState


def render_state(console: Console, state: NetworkState) -> None:
    """Print `state` as three tables: stores, stock and cover, discrepancies."""
    formats = sorted({f for _, f in state.stores_by_region_format})
    regions = sorted({r for r, _ in state.stores_by_region_format})
    stores = Table(title="Open stores by region and format", show_footer=True)
    stores.add_column("region", footer="total")
    for f in formats:
        total = sum(n for (_, g), n in state.stores_by_region_format.items() if g == f)
        stores.add_column(f, justify="right", footer=f"{total:,}")
    stores.add_column(
        "all", justify="right", footer=f"{sum(state.stores_by_region_format.values()):,}"
    )
    for r in regions:
        counts = [state.stores_by_region_format.get((r, f), 0) for f in formats]
        stores.add_row(r, *(f"{n:,}" for n in counts), f"{sum(counts):,}")
    console.print(stores)
    statuses = ", ".join(f"{k}: {v:,}" for k, v in sorted(state.stores_by_status.items()))
    console.print(f"Stores by status: {statuses}")

    stock = Table(title=f"Stock and days of cover by category (sales: 28 days to {state.day})")
    for name in (
        "category",
        "in stores",
        "in warehouses",
        "in transit",
        "sold/day",
        "store days of cover",
    ):
        stock.add_column(name, justify="left" if name == "category" else "right")
    for c in state.stock:
        cover = c.store_days_of_cover
        stock.add_row(
            c.category,
            f"{c.store_units:,}",
            f"{c.warehouse_units:,}",
            f"{c.in_transit:,}",
            f"{c.units_per_day:,.1f}",
            "no sales" if cover is None else f"{cover:,.1f}",
        )
    console.print(stock)

    issues = Table(title="Open discrepancies (to count)")
    issues.add_column("kind")
    issues.add_column("open", justify="right")
    for kind, n in sorted(state.open_discrepancies.items()):
        issues.add_row(kind, f"{n:,}")
    if not state.open_discrepancies:
        issues.add_row("none", "0")
    console.print(issues)
    if state.oldest_discrepancies:
        oldest = Table(title="Oldest open discrepancies")
        for name in ("id", "kind", "location", "sku", "serial", "detail"):
            oldest.add_column(name)
        for d in state.oldest_discrepancies:
            oldest.add_row(
                str(d["id"]), d["kind"], d["location"], d["sku_id"], d["serial"] or "", d["detail"]
            )
        console.print(oldest)


def render_demo_nights(console: Console, summary: dict, nights: list[dict]) -> None:
    """The demo's totals as a two-column table, then one row per night played: store
    units requested and allocated (and the share), supplier order lines and units,
    units moved between warehouses, and what suppliers delivered that morning."""
    totals = Table(title="The demo's POS days", show_header=False)
    totals.add_column("what")
    totals.add_column("value", justify="right")
    for what, value in summary.items():
        totals.add_row(what.replace("_", " "), f"{value:,}" if isinstance(value, int) else value)
    console.print(totals)
    if not nights:
        return
    table = Table(
        title="Nightly plans: store units asked and allocated, what went upstream",
        caption="given: store units allocated; POs: supplier order lines; to whs: units "
        "moved between warehouses; received: supplier units that morning",
    )
    table.add_column("deliveries", no_wrap=True)
    for name in ("asked", "given", "share", "POs", "PO units", "to whs", "received"):
        table.add_column(name, justify="right", no_wrap=True)
    for night in nights:
        asked, given = night["units_requested"], night["units_allocated"]
        table.add_row(
            str(night["day"]),
            f"{asked:,}",
            f"{given:,}",
            f"{given / asked:.1%}" if asked else "-",
            f"{night.get('po_lines', 0):,}",
            f"{night.get('po_units', 0):,}",
            f"{night.get('wh_transfer_units', 0):,}",
            f"{night.get('supplier_units_received', 0):,}",
        )
    console.print(table)
