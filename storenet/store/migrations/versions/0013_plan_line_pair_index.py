"""plan lines: one (plan, store, SKU) index instead of (plan, store) and (plan, SKU)

A plan writes millions of lines in (store, SKU) order. An index on (plan, SKU) takes
them in random order, which cost more than the rest of the write (SQLite and
PostgreSQL alike, docs/benchmarks.md); one on (plan, store, SKU) takes them in
order, and still finds a store's lines (its prefix) and a SKU's lines (one probe per
store: `planning.review`, `reports.product_view`).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_plan_lines_plan_id_store_id_sku_id", ["plan_id", "store_id", "sku_id"]
        )
        batch_op.drop_index("ix_plan_lines_plan_id_sku_id")
        batch_op.drop_index("ix_plan_lines_plan_id_store_id")


def downgrade() -> None:
    with op.batch_alter_table("plan_lines", schema=None) as batch_op:
        batch_op.create_index("ix_plan_lines_plan_id_store_id", ["plan_id", "store_id"])
        batch_op.create_index("ix_plan_lines_plan_id_sku_id", ["plan_id", "sku_id"])
        batch_op.drop_index("ix_plan_lines_plan_id_store_id_sku_id")
