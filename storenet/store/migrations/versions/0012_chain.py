"""the chain: suppliers, supplier items, lanes, purchase orders, upstream plan lines,
transfer transitions

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lanes",
        sa.Column("from_id", sa.String(length=32), nullable=False),
        sa.Column("to_id", sa.String(length=32), nullable=False),
        sa.Column("lead_days_mean", sa.Float(), nullable=False),
        sa.Column("lead_days_sd", sa.Float(), server_default="0", nullable=False),
        sa.Column("review_days", sa.Integer(), server_default="7", nullable=False),
        sa.CheckConstraint("lead_days_mean >= 0", name=op.f("ck_lanes_lead_days_mean_nonnegative")),
        sa.CheckConstraint("lead_days_sd >= 0", name=op.f("ck_lanes_lead_days_sd_nonnegative")),
        sa.CheckConstraint("review_days >= 1", name=op.f("ck_lanes_review_days_positive")),
        sa.PrimaryKeyConstraint("from_id", "to_id", name=op.f("pk_lanes")),
    )
    op.create_table(
        "purchase_order_receipts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("po_id", sa.String(length=64), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("qty_good", sa.Integer(), nullable=False),
        sa.Column("qty_damaged", sa.Integer(), server_default="0", nullable=False),
        sa.Column("delivery_note", sa.String(length=80), nullable=True),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("movement_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "qty_good + qty_damaged > 0", name=op.f("ck_purchase_order_receipts_qty_positive")
        ),
        sa.CheckConstraint(
            "qty_good >= 0 AND qty_damaged >= 0",
            name=op.f("ck_purchase_order_receipts_qty_nonnegative"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_receipts")),
    )
    with op.batch_alter_table("purchase_order_receipts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_purchase_order_receipts_po_id_line_no", ["po_id", "line_no"], unique=False
        )

    op.create_table(
        "suppliers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppliers")),
    )
    op.create_table(
        "plan_upstream_lines",
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("source_id", sa.String(length=32), nullable=False),
        sa.Column("destination_id", sa.String(length=32), nullable=False),
        sa.Column("sku_id", sa.String(length=32), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("planned_qty", sa.Integer(), nullable=False),
        sa.Column("demand_mean", sa.Float(), nullable=False),
        sa.Column("demand_quantile", sa.Integer(), nullable=False),
        sa.Column("service_level", sa.Float(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("requested", sa.Integer(), nullable=False),
        sa.Column("cut_reason", sa.String(length=24), server_default="", nullable=False),
        sa.Column("water_level", sa.Float(), nullable=True),
        sa.Column("note", sa.String(length=200), server_default="", nullable=False),
        sa.Column("document_no", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('purchase', 'transfer')", name=op.f("ck_plan_upstream_lines_kind")
        ),
        sa.CheckConstraint("qty >= 0", name=op.f("ck_plan_upstream_lines_qty")),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_upstream_lines_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("plan_id", "line_no", name=op.f("pk_plan_upstream_lines")),
    )
    with op.batch_alter_table("plan_upstream_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_plan_upstream_lines_plan_id_destination_id",
            ["plan_id", "destination_id"],
            unique=False,
        )

    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("supplier_id", sa.String(length=32), nullable=False),
        sa.Column("warehouse_id", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("plan_id", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'approved', 'sent', 'confirmed', 'partly_received', 'closed',"
            " 'cancelled')",
            name=op.f("ck_purchase_orders_status"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_purchase_orders_supplier_id_suppliers")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_purchase_orders_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_orders")),
    )
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.create_index("ix_purchase_orders_status", ["status"], unique=False)
        batch_op.create_index("ix_purchase_orders_supplier_id", ["supplier_id"], unique=False)

    op.create_table(
        "supplier_items",
        sa.Column("supplier_id", sa.String(length=32), nullable=False),
        sa.Column("sku_id", sa.String(length=32), nullable=False),
        sa.Column("delivers_to", sa.String(length=32), nullable=True),
        sa.Column("lead_days_mean", sa.Float(), nullable=False),
        sa.Column("lead_days_sd", sa.Float(), server_default="0", nullable=False),
        sa.Column("moq", sa.Integer(), server_default="1", nullable=False),
        sa.Column("case_pack", sa.Integer(), server_default="1", nullable=False),
        sa.Column("weekly_capacity", sa.Integer(), nullable=True),
        sa.Column("unit_cost_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "order_days", sa.String(length=27), server_default="mon,tue,wed,thu,fri", nullable=False
        ),
        sa.Column("is_primary", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.CheckConstraint("case_pack >= 1", name=op.f("ck_supplier_items_case_pack_positive")),
        sa.CheckConstraint(
            "lead_days_mean > 0", name=op.f("ck_supplier_items_lead_days_mean_positive")
        ),
        sa.CheckConstraint(
            "lead_days_sd >= 0", name=op.f("ck_supplier_items_lead_days_sd_nonnegative")
        ),
        sa.CheckConstraint("moq >= 1", name=op.f("ck_supplier_items_moq_positive")),
        sa.CheckConstraint(
            "unit_cost_cents >= 0", name=op.f("ck_supplier_items_unit_cost_nonnegative")
        ),
        sa.CheckConstraint(
            "weekly_capacity IS NULL OR weekly_capacity > 0",
            name=op.f("ck_supplier_items_capacity_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["delivers_to"],
            ["warehouses.id"],
            name=op.f("fk_supplier_items_delivers_to_warehouses"),
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["skus.id"], name=op.f("fk_supplier_items_sku_id_skus")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_supplier_items_supplier_id_suppliers")
        ),
        sa.PrimaryKeyConstraint("supplier_id", "sku_id", name=op.f("pk_supplier_items")),
    )
    with op.batch_alter_table("supplier_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_supplier_items_primary",
            ["sku_id"],
            unique=True,
            sqlite_where=sa.text("is_primary"),
            postgresql_where=sa.text("is_primary"),
        )

    op.create_table(
        "purchase_order_lines",
        sa.Column("po_id", sa.String(length=64), nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sku_id", sa.String(length=32), nullable=False),
        sa.Column("qty_ordered", sa.Integer(), nullable=False),
        sa.Column("unit_cost_cents", sa.BigInteger(), nullable=False),
        sa.Column("qty_confirmed", sa.Integer(), nullable=True),
        sa.Column("promised_on", sa.Date(), nullable=True),
        sa.Column("qty_received", sa.Integer(), server_default="0", nullable=False),
        sa.Column("qty_damaged", sa.Integer(), server_default="0", nullable=False),
        sa.Column("qty_cancelled", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "qty_confirmed IS NULL OR qty_confirmed >= 0",
            name=op.f("ck_purchase_order_lines_qty_confirmed"),
        ),
        sa.CheckConstraint(
            "qty_ordered > 0", name=op.f("ck_purchase_order_lines_qty_ordered_positive")
        ),
        sa.CheckConstraint(
            "qty_received >= 0 AND qty_damaged >= 0 AND qty_cancelled >= 0",
            name=op.f("ck_purchase_order_lines_counters"),
        ),
        sa.ForeignKeyConstraint(
            ["po_id"],
            ["purchase_orders.id"],
            name=op.f("fk_purchase_order_lines_po_id_purchase_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["skus.id"], name=op.f("fk_purchase_order_lines_sku_id_skus")
        ),
        sa.PrimaryKeyConstraint("po_id", "line_no", name=op.f("pk_purchase_order_lines")),
    )
    with op.batch_alter_table("purchase_order_lines", schema=None) as batch_op:
        batch_op.create_index("ix_purchase_order_lines_sku_id", ["sku_id"], unique=False)

    op.create_table(
        "purchase_order_transitions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("po_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=False),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["po_id"],
            ["purchase_orders.id"],
            name=op.f("fk_purchase_order_transitions_po_id_purchase_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_transitions")),
    )
    with op.batch_alter_table("purchase_order_transitions", schema=None) as batch_op:
        batch_op.create_index("ix_purchase_order_transitions_po_id", ["po_id"], unique=False)

    with op.batch_alter_table("warehouses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_warehouses_parent_id_warehouses"), "warehouses", ["parent_id"], ["id"]
        )

    op.create_table(
        "transfer_transitions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("transfer_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("from_status", sa.String(length=12), nullable=False),
        sa.Column("to_status", sa.String(length=12), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["transfers.id"],
            name=op.f("fk_transfer_transitions_transfer_id_transfers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_transitions")),
    )
    with op.batch_alter_table("transfer_transitions", schema=None) as batch_op:
        batch_op.create_index("ix_transfer_transitions_transfer_id", ["transfer_id"], unique=False)


def downgrade() -> None:
    op.drop_table("transfer_transitions")
    with op.batch_alter_table("warehouses", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_warehouses_parent_id_warehouses"), type_="foreignkey"
        )
        batch_op.drop_column("parent_id")

    with op.batch_alter_table("purchase_order_transitions", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_order_transitions_po_id")

    op.drop_table("purchase_order_transitions")
    with op.batch_alter_table("purchase_order_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_order_lines_sku_id")

    op.drop_table("purchase_order_lines")
    with op.batch_alter_table("supplier_items", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_supplier_items_primary",
            sqlite_where=sa.text("is_primary"),
            postgresql_where=sa.text("is_primary"),
        )

    op.drop_table("supplier_items")
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_orders_supplier_id")
        batch_op.drop_index("ix_purchase_orders_status")

    op.drop_table("purchase_orders")
    with op.batch_alter_table("plan_upstream_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_upstream_lines_plan_id_destination_id")

    op.drop_table("plan_upstream_lines")
    op.drop_table("suppliers")
    with op.batch_alter_table("purchase_order_receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_purchase_order_receipts_po_id_line_no")

    op.drop_table("purchase_order_receipts")
    op.drop_table("lanes")
