"""What each master-data file may contain: its fields, their types and rules, its key.

This is docs/data-formats.md written as data. `validate` checks files against it and
`write` maps its fields onto database columns. Tables are listed in dependency order:
a table may only refer to tables above it (SKU successors refer to their own table).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table

from storenet.store import schema

INT32_MAX = 2_147_483_647

# Field kinds and the polars type each becomes after parsing.
TEXT = "text"
CHOICE = "choice"
INT = "int"
FLOAT = "float"
MONEY = "money"  # currency units with at most two decimals, stored as integer cents
DATE = "date"
BOOL = "bool"


@dataclass(frozen=True)
class Field:
    """One column of an import file.

    `column` is the database column it is stored in ("" when it is not stored in the
    table itself, like a store's franchisee, which lives in `store_owners`). `low` and
    `high` bound numbers (inclusive); `choices` bound CHOICE; `max_len` bounds TEXT
    (taken from the database column when not given). `default` fills an empty value.

    No text holds a control character (U+0000-U+001F, U+007F-U+009F): NUL is refused
    by PostgreSQL and kept by SQLite, and a line break in an id or a name breaks every
    list and file it is shown in. `free_text` fields (names, not ids or codes) may hold
    a tab, which a pasted name sometimes carries and which harms nothing.

    A file may leave out any optional column: its cells are then empty ("none"), except
    for a `kept_when_absent` field, whose stored values stay as they are (a column added
    to a table later must not be emptied by a folder written before it existed).
    """

    name: str
    kind: str = TEXT
    required: bool = False
    column: str | None = None
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    max_len: int | None = None
    default: object = None
    free_text: bool = False
    kept_when_absent: bool = False

    @property
    def db_column(self) -> str:
        """The database column this field is stored in ("" if none)."""
        return self.name if self.column is None else self.column


@dataclass(frozen=True)
class TableSpec:
    """One import file: its fields, its key, and the table its rows are upserted into
    (None for opening stock and serials, which go to the ledger instead)."""

    name: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    table: Table | None

    def field(self, name: str) -> Field:
        """The field called `name`."""
        return next(f for f in self.fields if f.name == name)

    @property
    def names(self) -> list[str]:
        """Field names in file order."""
        return [f.name for f in self.fields]

    def max_len(self, f: Field) -> int | None:
        """The longest text `f` may hold."""
        if f.max_len is not None or self.table is None or not f.db_column:
            return f.max_len
        return getattr(self.table.c[f.db_column].type, "length", None)


def _id(name: str = "id", **kw: object) -> Field:
    return Field(name, TEXT, required=True, max_len=32, **kw)  # type: ignore[arg-type]


def _ref(name: str, required: bool = False) -> Field:
    return Field(name, TEXT, required=required, max_len=32)


def _name(name: str = "name", **kw: object) -> Field:
    return Field(name, TEXT, free_text=True, **kw)  # type: ignore[arg-type]


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_ORDER_DAYS = "mon,tue,wed,thu,fri"
LAT = Field("lat", FLOAT, low=-90, high=90)
LON = Field("lon", FLOAT, low=-180, high=180)

SPECS: tuple[TableSpec, ...] = (
    TableSpec(
        "regions",
        (
            _id(),
            _name(required=True),
            _name("manager", column="", max_len=schema.region_managers.c.manager.type.length),
        ),
        ("id",),
        schema.regions,
    ),
    TableSpec(
        "cities",
        (
            _id(),
            _name(required=True),
            _name("province", required=True),
            Field("tier", INT, required=True, low=1, high=5),
            _ref("region_id", required=True),
            LAT,
            LON,
        ),
        ("id",),
        schema.cities,
    ),
    TableSpec(
        "warehouses",
        (
            _id(),
            _name(required=True),
            Field("kind", CHOICE, required=True, choices=("central", "regional")),
            _ref("region_id"),
            _ref("city_id"),
            Field("parent_id", TEXT, max_len=32, kept_when_absent=True),
        ),
        ("id",),
        schema.warehouses,
    ),
    TableSpec(
        "franchisees",
        (_id(), _name(required=True)),
        ("id",),
        schema.franchisees,
    ),
    TableSpec(
        "stores",
        (
            _id(),
            _name(required=True),
            Field("format", CHOICE, required=True, choices=("flagship", "direct", "franchise")),
            _ref("region_id", required=True),
            _ref("city_id", required=True),
            LAT,
            LON,
            Field("floor_area_m2", INT, low=0, high=INT32_MAX),
            Field("opened_on", DATE),
            Field("closed_on", DATE),
            Field("status", CHOICE, required=True, choices=("planned", "open", "closed")),
            Field("franchisee_id", TEXT, column="", max_len=32),
            _ref("warehouse_id"),
        ),
        ("id",),
        schema.stores,
    ),
    TableSpec(
        "skus",
        (
            _id(),
            _name(required=True),
            Field("category", required=True),
            _name("model", required=True),
            _name("variant", default=""),
            Field("launch_on", DATE, required=True),
            Field("eol_on", DATE),
            _ref("successor_id"),
            Field("pack_size", INT, low=1, high=INT32_MAX, default=1),
            Field("cost", MONEY, required=True, column="cost_cents", low=0),
            Field("price", MONEY, required=True, column="price_cents", low=0),
            # Empty means the category's default (SERIAL_CATEGORIES), filled by validate.
            Field("serial_tracked", BOOL),
        ),
        ("id",),
        schema.skus,
    ),
    TableSpec(
        "suppliers",
        (_id(), _name(required=True), Field("currency", TEXT, required=True)),
        ("id",),
        schema.suppliers,
    ),
    TableSpec(
        "supplier_items",
        (
            _ref("supplier_id", required=True),
            _ref("sku_id", required=True),
            _ref("delivers_to"),
            # Must be more than 0: a row check (`low` is inclusive).
            Field("lead_days_mean", FLOAT, required=True, high=3650),
            Field("lead_days_sd", FLOAT, low=0, high=3650, default=0.0),
            Field("moq", INT, low=1, high=INT32_MAX, default=1),
            Field("case_pack", INT, low=1, high=INT32_MAX, default=1),
            Field("weekly_capacity", INT, low=1, high=INT32_MAX),
            Field("unit_cost", MONEY, required=True, column="unit_cost_cents", low=0),
            # Empty means the supplier's currency, filled when written.
            Field("currency", TEXT),
            # Stored normalised ("thu, Mon" -> "mon,thu"), so a longer spelling is fine.
            Field("order_days", TEXT, default=DEFAULT_ORDER_DAYS, max_len=100),
            Field("is_primary", BOOL, default=True),
        ),
        ("supplier_id", "sku_id"),
        schema.supplier_items,
    ),
    TableSpec(
        "lanes",
        (
            _ref("from_id", required=True),
            _ref("to_id", required=True),
            Field("lead_days_mean", FLOAT, required=True, low=0, high=3650),
            Field("lead_days_sd", FLOAT, low=0, high=3650, default=0.0),
            Field("review_days", INT, low=1, high=3650, default=7),
        ),
        ("from_id", "to_id"),
        schema.lanes,
    ),
    TableSpec(
        "assortment",
        (
            _ref("store_id", required=True),
            _ref("sku_id", required=True),
            Field("display_min", INT, low=0, high=INT32_MAX, default=0),
            Field("capacity", INT, low=0, high=INT32_MAX),
            Field("listed_from", DATE),
            Field("listed_to", DATE),
        ),
        ("store_id", "sku_id"),
        schema.assortment,
    ),
    TableSpec(
        "opening_stock",
        (
            _ref("location_id", required=True),
            _ref("sku_id", required=True),
            Field("qty", INT, required=True, low=0, high=INT32_MAX),
        ),
        ("location_id", "sku_id"),
        None,
    ),
    TableSpec(
        "opening_serials",
        (
            Field("serial", required=True, max_len=schema.serials.c.serial.type.length),
            _ref("sku_id", required=True),
            _ref("location_id", required=True),
        ),
        ("serial",),
        None,
    ),
    # Purchase-order history, closed or still on order: written by `imports.order_history`.
    TableSpec(
        "purchase_orders",
        (
            Field("id", TEXT, required=True, max_len=64),
            _ref("supplier_id", required=True),
            _ref("warehouse_id", required=True),
            Field("currency", TEXT, required=True),
            Field("ordered_on", DATE, required=True, column=""),  # created_at, sent_at
            # closed: received (or cancelled) before the cut-over; confirmed: on order.
            Field("status", CHOICE, choices=("closed", "confirmed"), default="closed"),
        ),
        ("id",),
        schema.purchase_orders,
    ),
    TableSpec(
        "purchase_order_lines",
        (
            Field("po_id", TEXT, required=True, max_len=64),
            Field("line_no", INT, required=True, low=1, high=INT32_MAX),
            _ref("sku_id", required=True),
            Field("qty_ordered", INT, required=True, low=1, high=INT32_MAX),
            Field("unit_cost", MONEY, required=True, column="unit_cost_cents", low=0),
            Field("promised_on", DATE),
        ),
        ("po_id", "line_no"),
        schema.purchase_order_lines,
    ),
    TableSpec(
        "purchase_order_receipts",
        (
            Field("po_id", TEXT, required=True, max_len=64),
            Field("line_no", INT, required=True, low=1, high=INT32_MAX),
            Field("received_on", DATE, required=True, column=""),  # received_at
            Field("qty_good", INT, required=True, low=0, high=INT32_MAX),
            Field("qty_damaged", INT, low=0, high=INT32_MAX, default=0),
            Field("delivery_note", TEXT, free_text=True),
        ),
        ("po_id", "line_no", "received_on"),
        schema.purchase_order_receipts,
    ),
)
ORDER_HISTORY = ("purchase_orders", "purchase_order_lines", "purchase_order_receipts")

SPEC_BY_NAME = {spec.name: spec for spec in SPECS}
TABLE_ORDER = {spec.name: i for i, spec in enumerate(SPECS)}

# Categories whose SKUs are serial-tracked when the file leaves serial_tracked empty.
SERIAL_CATEGORIES = ("phone", "tv")

# References between files: (table, field, what it must name). "location" is a store or
# a warehouse. Each must exist in the folder's files or already in the database.
REFERENCES: tuple[tuple[str, str, str], ...] = (
    ("cities", "region_id", "regions"),
    ("warehouses", "region_id", "regions"),
    ("warehouses", "city_id", "cities"),
    ("stores", "region_id", "regions"),
    ("stores", "city_id", "cities"),
    ("stores", "franchisee_id", "franchisees"),
    ("warehouses", "parent_id", "warehouses"),
    ("stores", "warehouse_id", "warehouses"),
    ("skus", "successor_id", "skus"),
    ("supplier_items", "supplier_id", "suppliers"),
    ("supplier_items", "sku_id", "skus"),
    ("supplier_items", "delivers_to", "warehouses"),
    ("lanes", "from_id", "warehouses"),
    ("lanes", "to_id", "locations"),
    ("assortment", "store_id", "stores"),
    ("assortment", "sku_id", "skus"),
    ("opening_stock", "location_id", "locations"),
    ("opening_stock", "sku_id", "skus"),
    ("opening_serials", "location_id", "locations"),
    ("opening_serials", "sku_id", "skus"),
    ("purchase_orders", "supplier_id", "suppliers"),
    ("purchase_orders", "warehouse_id", "warehouses"),
    ("purchase_order_lines", "sku_id", "skus"),
)

# What a reference is called in an error message.
NOUNS = {
    "regions": "region",
    "cities": "city",
    "warehouses": "warehouse",
    "franchisees": "franchisee",
    "stores": "store",
    "skus": "SKU",
    "suppliers": "supplier",
    "locations": "store or warehouse",
}
