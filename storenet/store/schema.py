"""The database schema (SQLAlchemy Core), shared by SQLite and PostgreSQL.

Conventions:
- Master data (regions, stores, SKUs, ...) keys are the brand's own text codes.
- Ledger locations get an integer id; real ones point at their store or warehouse.
- Times are naive UTC (`DateTime()`), dates are calendar days in the store's market.
- Money is integer cents, so sums are exact on both databases.
- Uniqueness that matters (idempotency keys, receipt lines, serials, one reversal per
  movement, one open discrepancy per kind) is enforced here, not in Python.
- `movements`, `movement_serials` and `reservations` are append-only: triggers created by
  the migration refuse UPDATE and DELETE (see `append_only_ddl`).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite so autoincrement works.
Id = BigInteger().with_variant(Integer(), "sqlite")

# --- the store network -------------------------------------------------------------

regions = Table(
    "regions",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
)

# Who runs a region, over time. The open row (valid_to NULL) is the current manager.
region_managers = Table(
    "region_managers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("region_id", ForeignKey("regions.id"), nullable=False),
    Column("manager", String(200), nullable=False),
    Column("valid_from", DateTime(), nullable=False),
    Column("valid_to", DateTime()),
    Index(
        "ix_region_managers_current",
        "region_id",
        unique=True,
        sqlite_where=text("valid_to IS NULL"),
        postgresql_where=text("valid_to IS NULL"),
    ),
)

cities = Table(
    "cities",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("province", String(200), nullable=False),
    Column("tier", Integer, nullable=False),
    Column("region_id", ForeignKey("regions.id"), nullable=False),
    Column("lat", Float),
    Column("lon", Float),
    CheckConstraint("tier BETWEEN 1 AND 5", name="tier_range"),
)

warehouses = Table(
    "warehouses",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("region_id", ForeignKey("regions.id")),
    Column("city_id", ForeignKey("cities.id")),
    # The warehouse that feeds this one (a regional's central); NULL: fed by suppliers.
    Column("parent_id", ForeignKey("warehouses.id")),
    CheckConstraint("kind IN ('central', 'regional')", name="kind"),
)

franchisees = Table(
    "franchisees",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
)

stores = Table(
    "stores",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("format", String(16), nullable=False),
    Column("region_id", ForeignKey("regions.id"), nullable=False),
    Column("city_id", ForeignKey("cities.id"), nullable=False),
    Column("lat", Float),
    Column("lon", Float),
    Column("floor_area_m2", Integer),
    Column("opened_on", Date()),
    Column("closed_on", Date()),
    Column("status", String(16), nullable=False),
    Column("warehouse_id", ForeignKey("warehouses.id")),
    CheckConstraint("format IN ('flagship', 'direct', 'franchise')", name="format"),
    CheckConstraint("status IN ('planned', 'open', 'closed')", name="status"),
)

# Who owns a store, over time: HQ (franchisee_id NULL) or a franchisee.
store_owners = Table(
    "store_owners",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("store_id", ForeignKey("stores.id"), nullable=False),
    Column("franchisee_id", ForeignKey("franchisees.id")),
    Column("valid_from", DateTime(), nullable=False),
    Column("valid_to", DateTime()),
    Index(
        "ix_store_owners_current",
        "store_id",
        unique=True,
        sqlite_where=text("valid_to IS NULL"),
        postgresql_where=text("valid_to IS NULL"),
    ),
)

# --- the catalog --------------------------------------------------------------------

skus = Table(
    "skus",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("category", String(32), nullable=False),
    Column("model", String(64), nullable=False),
    Column("variant", String(64), nullable=False, server_default=""),
    Column("launch_on", Date(), nullable=False),
    Column("eol_on", Date()),
    Column("successor_id", String(32)),
    Column("pack_size", Integer, nullable=False, server_default="1"),
    Column("cost_cents", BigInteger, nullable=False),
    Column("price_cents", BigInteger, nullable=False),
    Column("serial_tracked", Boolean, nullable=False, server_default=text("false")),
    CheckConstraint("pack_size >= 1", name="pack_size_positive"),
)

assortment = Table(
    "assortment",
    metadata,
    Column("store_id", ForeignKey("stores.id"), primary_key=True),
    Column("sku_id", ForeignKey("skus.id"), primary_key=True),
    Column("display_min", Integer, nullable=False, server_default="0"),
    Column("capacity", Integer),
    Column("listed_from", Date()),
    Column("listed_to", Date()),
    CheckConstraint("display_min >= 0", name="display_min_nonnegative"),
)

# --- the chain: suppliers, sourcing, lanes (storenet.purchasing, DESIGN section 7) ----

suppliers = Table(
    "suppliers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
)

# What a supplier sells of a SKU, and on what terms. `delivers_to` is the warehouse the
# supplier delivers to (the central one); NULL: the SKU ships from the supplier directly
# to every regional warehouse whose stores list it. The plan orders a SKU from its
# primary supplier item. Lead times are calendar days from sending the order to the
# receipt; `lead_days_*` are the brand's figures until receipts teach better ones.
supplier_items = Table(
    "supplier_items",
    metadata,
    Column("supplier_id", ForeignKey("suppliers.id"), primary_key=True),
    Column("sku_id", ForeignKey("skus.id"), primary_key=True),
    Column("delivers_to", ForeignKey("warehouses.id")),
    Column("lead_days_mean", Float, nullable=False),
    Column("lead_days_sd", Float, nullable=False, server_default="0"),
    Column("moq", Integer, nullable=False, server_default="1"),
    Column("case_pack", Integer, nullable=False, server_default="1"),
    Column("weekly_capacity", Integer),
    Column("unit_cost_cents", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    # Weekdays the supplier takes orders, e.g. "mon,thu" (ISO order, lower case).
    Column("order_days", String(27), nullable=False, server_default="mon,tue,wed,thu,fri"),
    Column("is_primary", Boolean, nullable=False, server_default=text("true")),
    CheckConstraint("lead_days_mean > 0", name="lead_days_mean_positive"),
    CheckConstraint("lead_days_sd >= 0", name="lead_days_sd_nonnegative"),
    CheckConstraint("moq >= 1", name="moq_positive"),
    CheckConstraint("case_pack >= 1", name="case_pack_positive"),
    CheckConstraint("weekly_capacity IS NULL OR weekly_capacity > 0", name="capacity_positive"),
    CheckConstraint("unit_cost_cents >= 0", name="unit_cost_nonnegative"),
    Index(
        "ix_supplier_items_primary",
        "sku_id",
        unique=True,
        sqlite_where=text("is_primary"),
        postgresql_where=text("is_primary"),
    ),
)

# How long goods take between two places and how often the receiving end is reviewed:
# warehouse -> warehouse and warehouse -> store (a far-away store has its own lane).
# Missing lanes fall back to the plan settings' lead and review days.
lanes = Table(
    "lanes",
    metadata,
    Column("from_id", String(32), primary_key=True),
    Column("to_id", String(32), primary_key=True),
    Column("lead_days_mean", Float, nullable=False),
    Column("lead_days_sd", Float, nullable=False, server_default="0"),
    Column("review_days", Integer, nullable=False, server_default="7"),
    CheckConstraint("lead_days_mean >= 0", name="lead_days_mean_nonnegative"),
    CheckConstraint("lead_days_sd >= 0", name="lead_days_sd_nonnegative"),
    CheckConstraint("review_days >= 1", name="review_days_positive"),
)

# Purchase orders: draft -> approved -> sent -> confirmed -> partly_received -> closed,
# or cancelled. Every status change is a dated row in `purchase_order_transitions`.
purchase_orders = Table(
    "purchase_orders",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("supplier_id", ForeignKey("suppliers.id"), nullable=False),
    Column("warehouse_id", ForeignKey("warehouses.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("created_at", DateTime(), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("sent_at", DateTime()),
    Column("plan_id", String(64)),
    CheckConstraint(
        "status IN ('draft', 'approved', 'sent', 'confirmed', 'partly_received', 'closed',"
        " 'cancelled')",
        name="status",
    ),
    Index("ix_purchase_orders_status", "status"),
    Index("ix_purchase_orders_supplier_id", "supplier_id"),
)

purchase_order_transitions = Table(
    "purchase_order_transitions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("po_id", ForeignKey("purchase_orders.id"), nullable=False),
    Column("at", DateTime(), nullable=False),
    Column("from_status", String(16), nullable=False),
    Column("to_status", String(16), nullable=False),
    Column("by", String(200), nullable=False),
    Column("reason", String(500), nullable=False, server_default=""),
    Index("ix_purchase_order_transitions_po_id", "po_id"),
)

# On order for a line = (qty_confirmed if confirmed else qty_ordered) - qty_received
# - qty_damaged - qty_cancelled, never below 0. Receipts only ever add to the counters.
purchase_order_lines = Table(
    "purchase_order_lines",
    metadata,
    Column("po_id", ForeignKey("purchase_orders.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True, autoincrement=False),
    Column("sku_id", ForeignKey("skus.id"), nullable=False),
    Column("qty_ordered", Integer, nullable=False),
    Column("unit_cost_cents", BigInteger, nullable=False),
    Column("qty_confirmed", Integer),
    Column("promised_on", Date()),
    Column("qty_received", Integer, nullable=False, server_default="0"),
    Column("qty_damaged", Integer, nullable=False, server_default="0"),
    Column("qty_cancelled", Integer, nullable=False, server_default="0"),
    CheckConstraint("qty_ordered > 0", name="qty_ordered_positive"),
    CheckConstraint("qty_confirmed IS NULL OR qty_confirmed >= 0", name="qty_confirmed"),
    CheckConstraint(
        "qty_received >= 0 AND qty_damaged >= 0 AND qty_cancelled >= 0", name="counters"
    ),
    Index("ix_purchase_order_lines_sku_id", "sku_id"),
)

# One row per receipt against a PO line: good units into the warehouse, damaged ones
# into quarantine, both through the ledger (`movement_id`: the good units' movement).
# Historic receipts imported from before the opening stock have no movement.
purchase_order_receipts = Table(
    "purchase_order_receipts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("po_id", String(64), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("received_at", DateTime(), nullable=False),
    Column("qty_good", Integer, nullable=False),
    Column("qty_damaged", Integer, nullable=False, server_default="0"),
    Column("delivery_note", String(80)),
    Column("recorded_by", String(200), nullable=False),
    Column("movement_id", BigInteger),
    CheckConstraint("qty_good >= 0 AND qty_damaged >= 0", name="qty_nonnegative"),
    CheckConstraint("qty_good + qty_damaged > 0", name="qty_positive"),
    Index("ix_purchase_order_receipts_po_id_line_no", "po_id", "line_no"),
)

# --- the stock ledger ---------------------------------------------------------------

# Every place stock can be: real (a store, a warehouse) or virtual (supplier, customer,
# in transit, scrap, quarantine, count differences). Virtual locations are global.
locations = Table(
    "locations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("code", String(40), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("store_id", ForeignKey("stores.id"), unique=True),
    Column("warehouse_id", ForeignKey("warehouses.id"), unique=True),
)

# A movement moves `qty` units of one SKU from one location to another; it is never
# changed. `site` is the real location a unit in transit or in quarantine belongs to
# (the destination of a shipment, the store holding a quarantined unit).
movements = Table(
    "movements",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("sku_id", String(32), nullable=False),
    Column("from_location", Integer, ForeignKey("locations.id"), nullable=False),
    Column("to_location", Integer, ForeignKey("locations.id"), nullable=False),
    Column("site_location", Integer, ForeignKey("locations.id")),
    Column("qty", Integer, nullable=False),
    Column("occurred_at", DateTime(), nullable=False),
    Column("recorded_at", DateTime(), nullable=False),
    Column("document", String(80)),
    Column("reverses_id", BigInteger, unique=True),
    CheckConstraint("qty > 0", name="qty_positive"),
    CheckConstraint("from_location <> to_location", name="distinct_locations"),
    # Append-mostly: movements arrive roughly in time order, so inserts touch the
    # right edge of the index instead of a random page per row.
    Index("ix_movements_occurred", "occurred_at"),
    Index("ix_movements_document", "document"),
    # Arrivals of one SKU (sell-through); partial, so POS sales never pay for it.
    # 1 and 3 are the supplier and in-transit locations (storenet.ledger.locations).
    Index(
        "ix_movements_arrivals",
        "sku_id",
        "occurred_at",
        sqlite_where=text("from_location IN (1, 3)"),
        postgresql_where=text("from_location IN (1, 3)"),
    ),
    # When each place got its opening stock (sales before it are warned about);
    # partial, so only opening movements pay for it.
    Index(
        "ix_movements_openings",
        "to_location",
        "occurred_at",
        sqlite_where=text("kind = 'opening'"),
        postgresql_where=text("kind = 'opening'"),
    ),
)

movement_serials = Table(
    "movement_serials",
    metadata,
    Column("movement_id", BigInteger, nullable=False, primary_key=True),
    Column("serial", String(64), nullable=False, primary_key=True),
    Index("ix_movement_serials_serial", "serial"),
)

# The balance projection, for real locations only, written in the same transaction as
# the movements. Virtual locations' balances are summed from movements when asked.
balances = Table(
    "balances",
    metadata,
    Column("location_id", Integer, ForeignKey("locations.id"), primary_key=True),
    Column("sku_id", String(32), primary_key=True),
    Column("on_hand", BigInteger, nullable=False, server_default="0"),
    Column("in_transit", BigInteger, nullable=False, server_default="0"),
    Column("reserved", BigInteger, nullable=False, server_default="0"),
    Column("held", BigInteger, nullable=False, server_default="0"),
    # Where is this SKU (the product page, the API's stock by SKU).
    Index("ix_balances_sku_id", "sku_id"),
)

# Where each serial-tracked unit is now. The primary key makes a serial one unit.
serials = Table(
    "serials",
    metadata,
    Column("serial", String(64), primary_key=True),
    Column("sku_id", String(32), nullable=False),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("site_location", Integer, ForeignKey("locations.id")),
    Column("buyer_ref", String(128)),
    Column("last_movement_id", BigInteger, nullable=False),
)

# Reservations as signed, append-only entries; `reserved` in balances is their sum.
reservations = Table(
    "reservations",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("sku_id", String(32), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("reference", String(80), nullable=False),
    Column("created_at", DateTime(), nullable=False),
    CheckConstraint("qty <> 0", name="qty_nonzero"),
)

discrepancies = Table(
    "discrepancies",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("kind", String(24), nullable=False),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("sku_id", String(32), nullable=False),
    Column("serial", String(64)),
    Column("detail", Text, nullable=False, server_default=""),
    Column("movement_id", BigInteger),
    Column("opened_at", DateTime(), nullable=False),
    Column("status", String(8), nullable=False, server_default="open"),
    Column("resolved_at", DateTime()),
    Column("resolution", Text),
    CheckConstraint("status IN ('open', 'resolved')", name="status"),
    # One open negative-stock discrepancy per (location, SKU): a second short sale adds
    # to the count that is already owed instead of opening a twin.
    Index(
        "ix_discrepancies_open_stock",
        "location_id",
        "sku_id",
        "kind",
        unique=True,
        sqlite_where=text("status = 'open' AND serial IS NULL"),
        postgresql_where=text("status = 'open' AND serial IS NULL"),
    ),
    # What a store has to count (the store page), serial discrepancies included.
    Index("ix_discrepancies_location_id_status", "location_id", "status"),
)

# Documents: transfers between real locations, shipped and received by line.
transfers = Table(
    "transfers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("from_location", Integer, ForeignKey("locations.id"), nullable=False),
    Column("to_location", Integer, ForeignKey("locations.id"), nullable=False),
    Column("status", String(12), nullable=False),
    Column("created_at", DateTime(), nullable=False),
    Column("shipped_at", DateTime()),
    Column("received_at", DateTime()),
    CheckConstraint("status IN ('draft', 'shipped', 'received', 'cancelled')", name="status"),
    # What is on its way to a store (the store page).
    Index("ix_transfers_to_location_status", "to_location", "status"),
)

# Every change of a transfer's status, dated: who moved it from what to what, and why.
transfer_transitions = Table(
    "transfer_transitions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("transfer_id", ForeignKey("transfers.id"), nullable=False),
    Column("at", DateTime(), nullable=False),
    Column("from_status", String(12), nullable=False),
    Column("to_status", String(12), nullable=False),
    Column("by", String(200), nullable=False),
    Column("reason", String(500), nullable=False, server_default=""),
    Index("ix_transfer_transitions_transfer_id", "transfer_id"),
)

transfer_lines = Table(
    "transfer_lines",
    metadata,
    Column("transfer_id", ForeignKey("transfers.id"), primary_key=True),
    Column("sku_id", String(32), primary_key=True),
    Column("qty_requested", Integer, nullable=False),
    Column("qty_shipped", Integer),
    Column("qty_received", Integer),
)

# The serials a transfer carries: named on the draft (claimed, so no other transfer
# picks them) or picked when it ships; receiving reads them to know what should arrive.
transfer_serials = Table(
    "transfer_serials",
    metadata,
    Column("transfer_id", ForeignKey("transfers.id"), primary_key=True),
    Column("serial", String(64), primary_key=True),
    Column("sku_id", String(32), nullable=False),
    Index("ix_transfer_serials_serial", "serial"),
)

# Shipping picks serials by (location, SKU); without this every pick scans all serials.
Index("ix_serials_location_id_sku_id", serials.c.location_id, serials.c.sku_id)

# --- the nightly plan ----------------------------------------------------------------

# A plan is a draft until approved, and released into the ledger once. Each line
# carries its explanation: forecast, quantile, inventory position, target, and how
# much scarce-stock allocation cut and why.
plans = Table(
    "plans",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("for_day", Date(), nullable=False),
    Column("status", String(12), nullable=False),
    Column("created_at", DateTime(), nullable=False),
    Column("approved_at", DateTime()),
    Column("approved_by", String(200)),
    Column("released_at", DateTime()),
    Column("summary", Text, nullable=False, server_default="{}"),
    CheckConstraint("status IN ('draft', 'approved', 'released', 'cancelled')", name="status"),
)

# Every change of a plan's status, dated: who moved it from what to what, and why (a
# reopen or a cancellation must say why). No foreign key: a cancelled day planned again
# replaces the plan's row, and its history stays.
plan_transitions = Table(
    "plan_transitions",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
    Column("plan_id", String(64), nullable=False),
    Column("at", DateTime(), nullable=False),
    Column("from_status", String(12), nullable=False),
    Column("to_status", String(12), nullable=False),
    Column("by", String(200), nullable=False),
    Column("reason", String(500), nullable=False, server_default=""),
    Index("ix_plan_transitions_plan_id", "plan_id"),
)

plan_lines = Table(
    "plan_lines",
    metadata,
    Column("plan_id", ForeignKey("plans.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(12), nullable=False),
    Column("source_id", String(32), nullable=False),
    Column("store_id", String(32), nullable=False),
    Column("sku_id", String(32), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("planned_qty", Integer, nullable=False),
    Column("forecast_mean", Float, nullable=False),
    Column("forecast_quantile", Integer, nullable=False),
    Column("service_level", Float, nullable=False),
    Column("position", Integer, nullable=False),
    Column("target", Integer, nullable=False),
    Column("requested", Integer, nullable=False),
    Column("cut_reason", String(24), nullable=False, server_default=""),
    Column("water_level", Float),
    Column("value", Float),
    Column("transfer_no", Integer, nullable=False),
    # The pair's figures after the plan, kept current by save and edit (review reads
    # them instead of grouping a million lines): `pair_first` 1 on the pair's first
    # line; `shortfall` = forecast - (position + units the pair receives);
    # `surplus` = position + units received - target; `cut_units` = requested -
    # planned on a cut line, else 0.
    Column("pair_first", SmallInteger, nullable=False, server_default="0"),
    Column("shortfall", Float, nullable=False, server_default="0"),
    Column("surplus", Integer, nullable=False, server_default="0"),
    Column("cut_units", Integer, nullable=False, server_default="0"),
    CheckConstraint("kind IN ('replenish', 'rebalance')", name="kind"),
    CheckConstraint("qty >= 0", name="qty"),
    # Lines are written in (store, SKU) order, and so this index takes them in order;
    # a SKU's lines are found by one probe per store (`sku_lines_only`). An index on
    # (plan, SKU) would take millions of lines in random order: it cost more than the
    # rest of the plan's write (migration 0013).
    Index("ix_plan_lines_plan_id_store_id_sku_id", "plan_id", "store_id", "sku_id"),
    # The exception sections (at risk, excess, cut) are ordered by a figure, so an index
    # on it would take the lines in random order: three such partial indexes cost as
    # much as the rest of the write. Each section's head is kept in `plan_exceptions`
    # instead (migration 0020). The few rebalancing moves keep their partial index.
    Index(
        "ix_plan_lines_moves",
        "plan_id",
        "value",
        sqlite_where=text("kind = 'rebalance'"),
        postgresql_where=text("kind = 'rebalance'"),
    ),
)

# The head of each of the plan review's exception sections, one row per (section,
# line): `section` is "at_risk" (figure: the pair's shortfall, on its first line),
# "excess" (its surplus, on its first line) or "cut" (the line's cut units); the rules
# and why only a head are `storenet.planning.sections`. Written sorted with the plan's
# lines, so the key (one b-tree: no rowid on SQLite) takes them in order; read
# backwards for largest first, ties by latest line. Kept current by
# `documents.refresh_pair_figures` (edits). No foreign keys: these rows go with their
# plan's lines (`save_plan`).
plan_exceptions = Table(
    "plan_exceptions",
    metadata,
    Column("plan_id", String(64), primary_key=True),
    Column("section", String(8), primary_key=True),
    Column("figure", Float, primary_key=True),
    Column("line_no", Integer, primary_key=True, autoincrement=False),
    CheckConstraint("section IN ('at_risk', 'excess', 'cut')", name="section"),
    sqlite_with_rowid=False,
)

# A section's floor: its lines whose (figure, line_no) is at or above this key are all
# in `plan_exceptions`, and no other line of it is; no row for a section that is kept
# whole.
plan_exception_floors = Table(
    "plan_exception_floors",
    metadata,
    Column("plan_id", String(64), primary_key=True),
    Column("section", String(8), primary_key=True),
    Column("figure", Float, nullable=False),
    Column("line_no", Integer, nullable=False),
)

# The plan's upstream lines: supplier orders (`purchase`, source = supplier, to a
# warehouse) and warehouse-to-warehouse transfers (`transfer`). Each explains itself
# like a store line: the echelon's demand over its lead time + review, the quantile,
# the echelon position, the target, what was asked and what the rules made of it.
plan_upstream_lines = Table(
    "plan_upstream_lines",
    metadata,
    Column("plan_id", ForeignKey("plans.id"), primary_key=True),
    Column("line_no", Integer, primary_key=True, autoincrement=False),
    Column("kind", String(12), nullable=False),
    Column("source_id", String(32), nullable=False),
    Column("destination_id", String(32), nullable=False),
    Column("sku_id", String(32), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("planned_qty", Integer, nullable=False),
    Column("demand_mean", Float, nullable=False),
    Column("demand_quantile", Integer, nullable=False),
    Column("service_level", Float, nullable=False),
    Column("position", Integer, nullable=False),
    Column("target", Integer, nullable=False),
    Column("requested", Integer, nullable=False),
    Column("cut_reason", String(24), nullable=False, server_default=""),
    Column("water_level", Float),
    Column("note", String(200), nullable=False, server_default=""),
    Column("document_no", Integer, nullable=False),
    CheckConstraint("kind IN ('purchase', 'transfer')", name="kind"),
    CheckConstraint("qty >= 0", name="qty"),
    Index("ix_plan_upstream_lines_plan_id_destination_id", "plan_id", "destination_id"),
)

# --- accounts, audit and service jobs (storenet.accounts, storenet.audit, storenet.http) -

# People and POS devices. A franchise owner's stores come from `store_owners` through
# `franchisee_id`, a regional manager's regions from `region_managers` (manager = the
# username), a store manager's and a POS device's from `store_id`.
users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(200), nullable=False, unique=True),
    Column("password_hash", String(200)),
    Column("role", String(24), nullable=False),
    Column("franchisee_id", ForeignKey("franchisees.id")),
    Column("store_id", ForeignKey("stores.id")),
    Column("disabled", Boolean, nullable=False, server_default=text("false")),
    Column("created_at", DateTime(), nullable=False),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("throttled_until", DateTime()),
    CheckConstraint(
        "role IN ('administrator', 'hq_planner', 'regional_manager', 'store_manager', "
        "'franchise_owner', 'auditor', 'pos_device', 'finance', 'standards_auditor')",
        name="role",
    ),
)

# Console sessions and POS device tokens; only a keyed hash of the secret is stored.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("created_at", DateTime(), nullable=False),
    Column("expires_at", DateTime()),
    Column("revoked_at", DateTime()),
    # A "link" is a one-time sign-in link (`storenet demo`); it is never a credential.
    CheckConstraint("kind IN ('session', 'device', 'link')", name="kind"),
    Index("ix_api_tokens_user_id", "user_id"),
)

# Each POS device's line quota, a token bucket (storenet.accounts.quotas): shared by
# every worker, charged in the transaction of the batch it admits.
pos_quotas = Table(
    "pos_quotas",
    metadata,
    Column("device_id", ForeignKey("users.id"), primary_key=True),
    Column("level", Float, nullable=False),
    Column("at", DateTime(), nullable=False),
)

# Append-only, hash-chained: each entry's hash covers its content and the previous hash;
# `audit_head` holds the newest (seq, hash) so a cut tail shows too.
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", DateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False, server_default=""),
    Column("before", Text),
    Column("after", Text),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

# Nightly plans started over the API run in the background; any worker reads progress.
plan_jobs = Table(
    "plan_jobs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("status", String(12), nullable=False),
    Column("stage", String(200), nullable=False, server_default=""),
    Column("done", BigInteger, nullable=False, server_default="0"),
    Column("total", BigInteger, nullable=False, server_default="0"),
    Column("plan_id", String(64)),
    Column("error", Text),
    Column("started_by", String(200), nullable=False),
    Column("started_at", DateTime(), nullable=False),
    Column("finished_at", DateTime()),
    # Set by a cancel sent to any worker; the one running the job stops at its next
    # progress report (storenet.http.jobs).
    Column("cancel_requested", Boolean, nullable=False, server_default=text("false")),
    CheckConstraint("status IN ('running', 'done', 'failed', 'cancelled')", name="status"),
)

# --- idempotency and POS ------------------------------------------------------------

# One row per external write. A replay returns `response`; a different payload under
# the same key is refused by comparing against `payload`.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(24), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("payload_hash", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", DateTime(), nullable=False),
)

# A POS line as the till sent it; its movement carries document "sale:<id>".
sale_lines = Table(
    "sale_lines",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("batch_key", String(200), nullable=False),
    Column("store_id", String(32), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("receipt_no", String(64), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("sku_id", String(32), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("unit_price_cents", BigInteger, nullable=False),
    Column("sold_at", DateTime(), nullable=False),
    Column("buyer_ref", String(128)),
    UniqueConstraint("store_id", "device_id", "receipt_no", "line_no"),
    CheckConstraint("qty > 0", name="qty_positive"),
    CheckConstraint("kind IN ('sale', 'return')", name="kind"),
    Index("ix_sale_lines_sold_at", "sold_at"),
    Index("ix_sale_lines_batch_key", "batch_key"),
)

# Days whose sales were appended to the Parquet history.
day_closes = Table(
    "day_closes",
    metadata,
    Column("day", Date(), primary_key=True),
    Column("closed_at", DateTime(), nullable=False),
    Column("pairs", BigInteger, nullable=False),
    Column("units", BigInteger, nullable=False),
)

# --- daily figures and targets (storenet.closing, storenet.console) -----------------

# One row per store and closed day: the sums every KPI of DESIGN section 4 is a ratio
# of, so any window and any scope (store, franchisee, region, network) is a SUM away.
# `lost_units_est` is demand not served on stock-out pairs, an estimate (28-day mean
# sales of each pair that ended the day empty), reported as such.
store_days = Table(
    "store_days",
    metadata,
    Column("store_id", ForeignKey("stores.id"), primary_key=True),
    Column("day", Date(), primary_key=True),
    Column("units_sold", BigInteger, nullable=False),
    Column("revenue_cents", BigInteger, nullable=False),
    Column("lost_units_est", Float, nullable=False),
    Column("on_hand_units", BigInteger, nullable=False),
    Column("received_units", BigInteger, nullable=False),
    Column("aged_units", BigInteger, nullable=False),
    Column("listed_pairs", Integer, nullable=False),
    Column("stockout_pairs", Integer, nullable=False),
    Index("ix_store_days_day", "day"),
)

# Net sales kept per market day, store and SKU category by the night's close
# (storenet.sales.net_days): the POS lines' sales and returns summed, so a month's
# attainment reads a few hundred thousand rows instead of tens of millions of lines.
# `lines` counts the POS lines summed; with `net_sales_closes` it tells whether lines
# arrived for the day after it was kept (then the day is summed from the lines again).
net_sales_days = Table(
    "net_sales_days",
    metadata,
    Column("day", Date(), primary_key=True),
    Column("store_id", String(32), primary_key=True),
    Column("category", String(32), primary_key=True),
    Column("lines", BigInteger, nullable=False),
    Column("sold_units", BigInteger, nullable=False),
    Column("returned_units", BigInteger, nullable=False),
    Column("sold_cents", BigInteger, nullable=False),
    Column("returned_cents", BigInteger, nullable=False),
)

# One row per kept day: the time zone its window was taken in and the POS lines summed.
net_sales_closes = Table(
    "net_sales_closes",
    metadata,
    Column("day", Date(), primary_key=True),
    Column("tz", String(64), nullable=False),
    Column("lines", BigInteger, nullable=False),
    Column("kept_at", DateTime(), nullable=False),
)

# The same sums per region and day, written with `store_days`, so network and region
# pages read a few hundred rows instead of a million.
region_days = Table(
    "region_days",
    metadata,
    Column("region_id", ForeignKey("regions.id"), primary_key=True),
    Column("day", Date(), primary_key=True),
    Column("stores", Integer, nullable=False),
    Column("units_sold", BigInteger, nullable=False),
    Column("revenue_cents", BigInteger, nullable=False),
    Column("lost_units_est", Float, nullable=False),
    Column("on_hand_units", BigInteger, nullable=False),
    Column("received_units", BigInteger, nullable=False),
    Column("aged_units", BigInteger, nullable=False),
    Column("listed_pairs", BigInteger, nullable=False),
    Column("stockout_pairs", BigInteger, nullable=False),
)

# How many stores the brand means to open each month (first day of the month).
expansion_targets = Table(
    "expansion_targets",
    metadata,
    Column("month", Date(), primary_key=True),
    Column("stores", Integer, nullable=False),
    CheckConstraint("stores >= 0", name="stores"),
)

# A store's sales target for a month (first day of the month), in cents.
store_targets = Table(
    "store_targets",
    metadata,
    Column("store_id", ForeignKey("stores.id"), primary_key=True),
    Column("month", Date(), primary_key=True),
    Column("revenue_cents", BigInteger, nullable=False),
    CheckConstraint("revenue_cents >= 0", name="revenue_cents"),
)

# --- recalls (storenet.recall; the hold itself: storenet.ledger.recall_holds) ----------

# A recall campaign. `name` is its idempotency key: creating the same name again is the
# same campaign. open -> completed (criteria met) -> closed (by another person: four
# eyes), completed -> open (reopened), open | completed -> cancelled; every change is a
# dated row in `recall_campaign_transitions`.
recall_campaigns = Table(
    "recall_campaigns",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("reason", Text, nullable=False),
    Column("severity", String(12), nullable=False),
    Column("remedy", String(8), nullable=False),
    Column("owner", String(200), nullable=False),
    Column("status", String(12), nullable=False),
    Column("deadline", Date()),
    Column("created_at", DateTime(), nullable=False),
    Column("created_by", String(200), nullable=False),
    CheckConstraint("severity IN ('stop_sale', 'advisory')", name="severity"),
    CheckConstraint("remedy IN ('repair', 'replace', 'refund')", name="remedy"),
    CheckConstraint("status IN ('open', 'completed', 'closed', 'cancelled')", name="status"),
    Index("ix_recall_campaigns_status", "status"),
)

recall_campaign_transitions = Table(
    "recall_campaign_transitions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("campaign_id", ForeignKey("recall_campaigns.id"), nullable=False),
    Column("at", DateTime(), nullable=False),
    Column("from_status", String(12), nullable=False),
    Column("to_status", String(12), nullable=False),
    Column("by", String(200), nullable=False),
    Column("reason", String(500), nullable=False, server_default=""),
    Index("ix_recall_campaign_transitions_campaign_id", "campaign_id"),
)

# What a campaign covers, as it was asked: a SKU, a product model, a serial list (one
# row for the whole list: its size and digest; the serials are in `recall_units`), a
# serial range (`value`..`value_to`), a supplier receipt (its ledger document), a
# purchase-order line ("PO:line"), a date window (`value`..`value_to`, ISO days: the
# units received from a supplier in it). `units`: how many units the row matched.
recall_scopes = Table(
    "recall_scopes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("campaign_id", ForeignKey("recall_campaigns.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("value", String(200), nullable=False),
    Column("value_to", String(200)),
    Column("units", BigInteger, nullable=False, server_default="0"),
    CheckConstraint(
        "kind IN ('sku', 'model', 'serial_list', 'serial_range', 'receipt', 'po_line',"
        " 'date_window')",
        name="kind",
    ),
    Index("ix_recall_scopes_campaign_id", "campaign_id"),
    Index("ix_recall_scopes_kind_value", "kind", "value"),
)

# Every serial-tracked unit a campaign covers, one row each. Where the unit is comes
# from `serials` (the ledger), never stored here; `sku_id` is NULL for a listed serial
# the ledger has not received yet. `returned_at`: brought back by a recall return;
# `remedied_at`: repaired, replaced or refunded.
recall_units = Table(
    "recall_units",
    metadata,
    Column("campaign_id", ForeignKey("recall_campaigns.id"), primary_key=True),
    Column("serial", String(64), primary_key=True),
    Column("sku_id", String(32)),
    Column("added_at", DateTime(), nullable=False),
    Column("returned_at", DateTime()),
    Column("remedied_at", DateTime()),
    Index("ix_recall_units_serial", "serial"),
)

# Units of SKUs without serials that a campaign held, by quantity, per location:
# `qty_held` moved into quarantine there (on hand at the hold, or arriving later),
# `qty_returned` came back from customers into quarantine.
recall_stock = Table(
    "recall_stock",
    metadata,
    Column("campaign_id", ForeignKey("recall_campaigns.id"), primary_key=True),
    Column("location_id", Integer, ForeignKey("locations.id"), primary_key=True),
    Column("sku_id", String(32), primary_key=True),
    Column("qty_held", BigInteger, nullable=False, server_default="0"),
    Column("qty_returned", BigInteger, nullable=False, server_default="0"),
)

# The buyers to reach: a sold unit with a warranty-registration reference.
recall_contacts = Table(
    "recall_contacts",
    metadata,
    Column("campaign_id", ForeignKey("recall_campaigns.id"), primary_key=True),
    Column("serial", String(64), primary_key=True),
    Column("buyer_ref", String(128), nullable=False),
    Column("status", String(12), nullable=False, server_default="to_contact"),
    Column("added_at", DateTime(), nullable=False),
    CheckConstraint(
        "status IN ('to_contact', 'contacted', 'responded', 'returned', 'remedied', 'closed')",
        name="status",
    ),
)

# Every change of a contact's status, dated: who moved it from what to what.
recall_contact_events = Table(
    "recall_contact_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("campaign_id", String(64), nullable=False),
    Column("serial", String(64), nullable=False),
    Column("at", DateTime(), nullable=False),
    Column("from_status", String(12), nullable=False),
    Column("to_status", String(12), nullable=False),
    Column("by", String(200), nullable=False),
    Index("ix_recall_contact_events_campaign_id_serial", "campaign_id", "serial"),
)

# Notifications to contacts, written in the transaction that decides them and
# delivered after commit (storenet.recall.outbox). `key` ("campaign:serial:attempt") is
# what the sink deduplicates on, so a message is delivered once per attempt even when
# the sink fails and is retried or the process dies between send and mark.
recall_outbox = Table(
    "recall_outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("campaign_id", ForeignKey("recall_campaigns.id"), nullable=False),
    Column("serial", String(64), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("payload", Text, nullable=False),
    Column("status", String(8), nullable=False, server_default="pending"),
    Column("created_at", DateTime(), nullable=False),
    Column("sent_at", DateTime()),
    Column("tries", Integer, nullable=False, server_default="0"),
    Column("last_error", Text),
    CheckConstraint("status IN ('pending', 'sent')", name="status"),
    CheckConstraint("attempt >= 1", name="attempt_positive"),
    UniqueConstraint("campaign_id", "serial", "attempt"),
    Index(
        "ix_recall_outbox_pending",
        "id",
        sqlite_where=text("status = 'pending'"),
        postgresql_where=text("status = 'pending'"),
    ),
)

# A sale of a unit under a stop-sale recall: recorded (the counter is never refused),
# and raised here. One row per (campaign, sale movement, serial); `serial` is '' for a
# SKU without serials, whose `qty` says how many.
recall_discrepancies = Table(
    "recall_discrepancies",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("campaign_id", ForeignKey("recall_campaigns.id"), nullable=False),
    Column("movement_id", BigInteger, nullable=False),
    Column("serial", String(64), nullable=False, server_default=""),
    Column("sku_id", String(32), nullable=False),
    Column("location_id", Integer, ForeignKey("locations.id"), nullable=False),
    Column("qty", Integer, nullable=False),
    Column("buyer_ref", String(128)),
    Column("opened_at", DateTime(), nullable=False),
    Column("status", String(8), nullable=False, server_default="open"),
    CheckConstraint("status IN ('open', 'resolved')", name="status"),
    CheckConstraint("qty > 0", name="qty_positive"),
    UniqueConstraint("campaign_id", "movement_id", "serial"),
)

# A campaign's funnel kept as its serial-tracked units move (storenet.ledger.
# recall_counts): units per (campaign, place, bucket), changed by the same transactions
# that move the units (the hold, receipts, sales, returns, transfers, remedies), so the
# campaign page reads these rows instead of grouping its million units. `location_id`
# is the unit's store or warehouse (0: none, for units written off or never received).
recall_counts = Table(
    "recall_counts",
    metadata,
    Column("campaign_id", ForeignKey("recall_campaigns.id"), primary_key=True),
    Column("location_id", Integer, primary_key=True),
    Column("bucket", String(16), primary_key=True),
    Column("units", BigInteger, nullable=False, server_default="0"),
)

# A campaign day by day, kept as it happens: units its hold moved (`held`), sold during
# the stop-sale (`sold`), returned and remedied, per UTC day and place (the hold's site,
# the selling store, the unit's store when returned or remedied).
recall_days = Table(
    "recall_days",
    metadata,
    Column("campaign_id", ForeignKey("recall_campaigns.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("location_id", Integer, primary_key=True),
    Column("measure", String(12), primary_key=True),
    Column("units", BigInteger, nullable=False, server_default="0"),
)

# --- the franchise relationship (storenet.franchise) ---------------------------------

# A sales target, versioned: setting it again adds version n+1 and stamps the old row
# `superseded_at` (nothing is deleted), so who changed what, when, stays. Scope is a
# store or a franchisee; the period is a month ("2026-11") or a quarter ("2026-Q4"),
# with its first and last day. `amount` is cents (revenue, category_revenue) or units.
franchise_targets = Table(
    "franchise_targets",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("scope", String(12), nullable=False),
    Column("subject", String(32), nullable=False),
    Column("period", String(8), nullable=False),
    Column("first_day", Date(), nullable=False),
    Column("last_day", Date(), nullable=False),
    Column("metric", String(20), nullable=False),
    Column("category", String(32), nullable=False, server_default=""),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False, server_default=""),
    Column("version", Integer, nullable=False),
    Column("set_at", DateTime(), nullable=False),
    Column("set_by", String(200), nullable=False),
    Column("superseded_at", DateTime()),
    CheckConstraint("scope IN ('store', 'franchisee')", name="scope"),
    CheckConstraint("metric IN ('revenue', 'units', 'category_revenue')", name="metric"),
    CheckConstraint("amount >= 0", name="amount"),
    UniqueConstraint("scope", "subject", "period", "metric", "category", "version"),
    Index("ix_franchise_targets_period", "period"),
)

# An incentive program; its terms are `program_terms`, versioned.
incentive_programs = Table(
    "incentive_programs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(), nullable=False),
    Column("created_by", String(200), nullable=False),
)

# One version of a program's terms. Published terms never change: a change is a new
# version. `tiers` (JSON): [{"threshold", "payout": "fixed"|"share", "amount"|"rate"}];
# `basis`: what thresholds measure (attainment of the franchisee's target, or net
# sales); `eligible` (JSON): franchisee ids, or ["*"] for all. They apply to the
# periods from `from_period` on (month or quarter, `period_kind`).
program_terms = Table(
    "program_terms",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("program_id", ForeignKey("incentive_programs.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("period_kind", String(8), nullable=False),
    Column("from_period", String(8), nullable=False),
    Column("basis", String(12), nullable=False),
    Column("metric", String(20), nullable=False),
    Column("category", String(32), nullable=False, server_default=""),
    Column("tiers", Text, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("due_days", Integer, nullable=False),
    Column("eligible", Text, nullable=False),
    Column("created_at", DateTime(), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("published_at", DateTime()),
    Column("published_by", String(200)),
    CheckConstraint("period_kind IN ('month', 'quarter')", name="period_kind"),
    CheckConstraint("basis IN ('attainment', 'sales')", name="basis"),
    CheckConstraint("due_days >= 0", name="due_days"),
    UniqueConstraint("program_id", "version"),
)

# A franchisee's acceptance of one version of a program's terms (version and time).
terms_acceptances = Table(
    "terms_acceptances",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("terms_id", ForeignKey("program_terms.id"), nullable=False),
    Column("franchisee_id", ForeignKey("franchisees.id"), nullable=False),
    Column("accepted_at", DateTime(), nullable=False),
    Column("accepted_by", String(200), nullable=False),
    UniqueConstraint("terms_id", "franchisee_id"),
)

# A period closed for a program: closing it again changes nothing.
reward_closes = Table(
    "reward_closes",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("program_id", ForeignKey("incentive_programs.id"), nullable=False),
    Column("period", String(8), nullable=False),
    Column("terms_id", ForeignKey("program_terms.id"), nullable=False),
    Column("closed_at", DateTime(), nullable=False),
    Column("closed_by", String(200), nullable=False),
    Column("outcome", Text, nullable=False),
    UniqueConstraint("program_id", "period"),
)

# A reward a franchisee earned: owed -> approved (by another person than `prepared_by`)
# -> paid, owed | approved -> disputed -> resolved -> approved ...; a correction is a
# new reward (`corrects` = the old id) and the old one becomes `corrected`. Amounts are
# cents in `currency`; `calculation` (JSON) shows the lines. Never deleted.
rewards = Table(
    "rewards",
    metadata,
    Column("id", String(96), primary_key=True),
    Column("program_id", ForeignKey("incentive_programs.id"), nullable=False),
    Column("terms_id", ForeignKey("program_terms.id"), nullable=False),
    Column("franchisee_id", ForeignKey("franchisees.id"), nullable=False),
    Column("period", String(8), nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("calculation", Text, nullable=False),
    Column("status", String(12), nullable=False),
    Column("due_on", Date(), nullable=False),
    Column("prepared_at", DateTime(), nullable=False),
    Column("prepared_by", String(200), nullable=False),
    Column("corrects", ForeignKey("rewards.id")),
    Column("payment_ref", String(100)),
    Column("paid_on", Date()),
    CheckConstraint("amount_cents >= 0", name="amount_cents"),
    CheckConstraint(
        "status IN ('owed', 'approved', 'paid', 'disputed', 'resolved', 'corrected')",
        name="status",
    ),
    Index("ix_rewards_franchisee_id_period", "franchisee_id", "period"),
    Index("ix_rewards_status_due_on", "status", "due_on"),
)

reward_transitions = Table(
    "reward_transitions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("reward_id", ForeignKey("rewards.id"), nullable=False),
    Column("at", DateTime(), nullable=False),
    Column("from_status", String(12), nullable=False),
    Column("to_status", String(12), nullable=False),
    Column("by", String(200), nullable=False),
    Column("reason", String(500), nullable=False, server_default=""),
    Index("ix_reward_transitions_reward_id", "reward_id"),
)

# Franchise documents are never deleted (rows are superseded or move on by transitions).
NO_DELETE_TABLES = (
    "franchise_targets",
    "program_terms",
    "terms_acceptances",
    "reward_closes",
    "rewards",
    "reward_transitions",
)


def no_delete_ddl(dialect: str) -> list[str]:
    """SQL that makes NO_DELETE_TABLES refuse DELETE (and TRUNCATE on PostgreSQL), for
    `dialect`; reward_transitions also refuses UPDATE. Guarantees: such a statement
    raises an error naming the table, whoever the connected role is."""
    if dialect == "postgresql":
        statements = [
            """
            CREATE OR REPLACE FUNCTION storenet_no_delete() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION '% keeps every row: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
            END $$ LANGUAGE plpgsql
            """
        ]
        for table in NO_DELETE_TABLES:
            ops = "UPDATE OR DELETE" if table == "reward_transitions" else "DELETE"
            statements.append(
                f"CREATE TRIGGER {table}_no_delete BEFORE {ops} ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION storenet_no_delete()"
            )
            statements.append(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION storenet_no_delete()"
            )
        return statements
    statements = []
    for table in NO_DELETE_TABLES:
        ops = ("UPDATE", "DELETE") if table == "reward_transitions" else ("DELETE",)
        for op in ops:
            statements.append(
                f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} keeps every row: {op} refused'); END"
            )
    return statements


# --- store standards audits (storenet.standards) -----------------------------------

# A checklist template (its id is its key); its content lives in versions: editing a
# template adds a version, and an audit keeps the version it was done under.
standards_templates = Table(
    "standards_templates",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(), nullable=False),
    Column("created_by", String(200), nullable=False),
)

standards_template_versions = Table(
    "standards_template_versions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("template_id", ForeignKey("standards_templates.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("note", String(500), nullable=False, server_default=""),
    Column("created_at", DateTime(), nullable=False),
    Column("created_by", String(200), nullable=False),
    CheckConstraint("version >= 1", name="version_positive"),
    UniqueConstraint("template_id", "version"),
)

# One checklist item of one template version. `code` names the item across versions
# (a corrective action is closed by a later audit passing the item of the same code).
# pass_fail items score 0 or 1; score items 0..max_score and pass at pass_mark or more.
standards_items = Table(
    "standards_items",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("version_id", ForeignKey("standards_template_versions.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("section", String(16), nullable=False),
    Column("code", String(64), nullable=False),
    Column("text", String(500), nullable=False),
    Column("weight", Integer, nullable=False),
    Column("scoring", String(12), nullable=False),
    Column("max_score", Integer, nullable=False),
    Column("pass_mark", Integer, nullable=False),
    Column("due_days", Integer, nullable=False),
    CheckConstraint(
        "section IN ('decor', 'display', 'service', 'cleanliness', 'staff')", name="section"
    ),
    CheckConstraint("scoring IN ('pass_fail', 'score')", name="scoring"),
    CheckConstraint("weight BETWEEN 1 AND 100", name="weight_range"),
    CheckConstraint("max_score BETWEEN 1 AND 100", name="max_score_range"),
    CheckConstraint("pass_mark BETWEEN 1 AND max_score", name="pass_mark_range"),
    CheckConstraint("due_days BETWEEN 0 AND 365", name="due_days_range"),
    UniqueConstraint("version_id", "code"),
)

# An audit of one store under one template version: started -> submitted (scored; its
# failed items open corrective actions), or started -> cancelled. `score_bp` is the
# weighted score in hundredths of a percent (0..10000), set on submission.
standards_audits = Table(
    "standards_audits",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("store_id", ForeignKey("stores.id"), nullable=False),
    Column("version_id", ForeignKey("standards_template_versions.id"), nullable=False),
    Column("status", String(12), nullable=False),
    Column("auditor", String(200), nullable=False),
    Column("started_at", DateTime(), nullable=False),
    Column("submitted_at", DateTime()),
    Column("score_bp", Integer),
    CheckConstraint("status IN ('started', 'submitted', 'cancelled')", name="status"),
    CheckConstraint("score_bp BETWEEN 0 AND 10000", name="score_range"),
    Index("ix_standards_audits_store_id_submitted_at", "store_id", "submitted_at"),
    Index("ix_standards_audits_status", "status"),
)

standards_audit_transitions = Table(
    "standards_audit_transitions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("audit_id", ForeignKey("standards_audits.id"), nullable=False),
    Column("at", DateTime(), nullable=False),
    Column("from_status", String(12), nullable=False),
    Column("to_status", String(12), nullable=False),
    Column("by", String(200), nullable=False),
    Column("reason", String(500), nullable=False, server_default=""),
    Index("ix_standards_audit_transitions_audit_id", "audit_id"),
)

# The score of one item in one audit (changed freely while the audit is started;
# frozen once it is submitted).
standards_results = Table(
    "standards_results",
    metadata,
    Column("audit_id", ForeignKey("standards_audits.id"), primary_key=True),
    Column("item_id", ForeignKey("standards_items.id"), primary_key=True),
    Column("score", Integer, nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("note", String(2000), nullable=False, server_default=""),
    Column("scored_at", DateTime(), nullable=False),
    Column("scored_by", String(200), nullable=False),
    CheckConstraint("score >= 0", name="score_positive"),
)

# A photo, stored once by its content, in its row (`content`), so every server of a
# shared database serves it. Photos kept before migration 0020 have no content: their
# file is <home>/data/photos/<aa>/<sha256>.
standards_photos = Table(
    "standards_photos",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("media_type", String(16), nullable=False),
    Column("size", Integer, nullable=False),
    Column("stored_at", DateTime(), nullable=False),
    Column("stored_by", String(200), nullable=False),
    Column("content", LargeBinary()),
    CheckConstraint("media_type IN ('image/jpeg', 'image/png', 'image/webp')", name="media_type"),
    CheckConstraint("size > 0", name="size_positive"),
)

standards_audit_photos = Table(
    "standards_audit_photos",
    metadata,
    Column("audit_id", ForeignKey("standards_audits.id"), primary_key=True),
    Column("item_id", ForeignKey("standards_items.id"), primary_key=True),
    Column("sha256", ForeignKey("standards_photos.sha256"), primary_key=True),
    Column("name", String(200), nullable=False, server_default=""),
    Column("attached_at", DateTime(), nullable=False),
    Column("attached_by", String(200), nullable=False),
)

# A corrective action, opened by an item failed in a submitted audit and closed only by
# a later submitted audit of the same store passing the item of the same code. One open
# action per (store, item code): a failure seen again keeps the action already open.
standards_actions = Table(
    "standards_actions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("store_id", ForeignKey("stores.id"), nullable=False),
    Column("item_code", String(64), nullable=False),
    Column("section", String(16), nullable=False),
    Column("text", String(500), nullable=False),
    Column("opened_by_audit", ForeignKey("standards_audits.id"), nullable=False),
    Column("due_on", Date(), nullable=False),
    Column("status", String(8), nullable=False),
    Column("opened_at", DateTime(), nullable=False),
    Column("closed_at", DateTime()),
    Column("closed_by_audit", ForeignKey("standards_audits.id")),
    CheckConstraint("status IN ('open', 'closed')", name="status"),
    Index(
        "ix_standards_actions_open",
        "store_id",
        "item_code",
        unique=True,
        sqlite_where=text("status = 'open'"),
        postgresql_where=text("status = 'open'"),
    ),
    Index("ix_standards_actions_status_due_on", "status", "due_on"),
)

standards_action_transitions = Table(
    "standards_action_transitions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("action_id", ForeignKey("standards_actions.id"), nullable=False),
    Column("at", DateTime(), nullable=False),
    Column("from_status", String(8), nullable=False),
    Column("to_status", String(8), nullable=False),
    Column("by", String(200), nullable=False),
    Column("audit_id", String(64), nullable=False),
    Index("ix_standards_action_transitions_action_id", "action_id"),
)

# Which stores a standards auditor audits, over time: a store, or every store of a
# region. The open rows (valid_to NULL) are the current assignments
# (storenet.accounts.scope reads them).
standards_assignments = Table(
    "standards_assignments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("auditor", String(200), nullable=False),
    Column("store_id", ForeignKey("stores.id")),
    Column("region_id", ForeignKey("regions.id")),
    Column("valid_from", DateTime(), nullable=False),
    Column("valid_to", DateTime()),
    CheckConstraint("(store_id IS NULL) <> (region_id IS NULL)", name="one_place"),
    Index("ix_standards_assignments_auditor", "auditor"),
)

APPEND_ONLY_TABLES = ("movements", "movement_serials", "reservations")


def append_only_ddl(dialect: str) -> list[str]:
    """SQL that makes the ledger tables refuse UPDATE and DELETE, for `dialect`.

    Guarantees: on both databases any UPDATE or DELETE of a row in APPEND_ONLY_TABLES
    raises an error naming the table, whoever the connected role is.
    """
    statements: list[str] = []
    if dialect == "postgresql":
        statements.append(
            """
            CREATE OR REPLACE FUNCTION storenet_append_only() RETURNS trigger AS $$
            BEGIN
              RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
            END $$ LANGUAGE plpgsql
            """
        )
        for table in APPEND_ONLY_TABLES:
            statements.append(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION storenet_append_only()"
            )
            statements.append(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION storenet_append_only()"
            )
    else:
        for table in APPEND_ONLY_TABLES:
            for op in ("UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {op} refused'); END"
                )
    return statements
