"""indexes the console's store, product and plan pages read through

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ARRIVALS = sa.text("from_location IN (1, 3)")


def upgrade() -> None:
    with op.batch_alter_table("balances", schema=None) as batch_op:
        batch_op.create_index("ix_balances_sku_id", ["sku_id"], unique=False)
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_movements_arrivals",
            ["sku_id", "occurred_at"],
            unique=False,
            sqlite_where=ARRIVALS,
            postgresql_where=ARRIVALS,
        )
    with op.batch_alter_table("plan_lines", schema=None) as batch_op:
        batch_op.create_index("ix_plan_lines_plan_id_sku_id", ["plan_id", "sku_id"], unique=False)
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transfers_to_location_status", ["to_location", "status"], unique=False
        )
    with op.batch_alter_table("discrepancies", schema=None) as batch_op:
        batch_op.create_index(
            "ix_discrepancies_location_id_status", ["location_id", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("discrepancies", schema=None) as batch_op:
        batch_op.drop_index("ix_discrepancies_location_id_status")
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_index("ix_transfers_to_location_status")
    with op.batch_alter_table("plan_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_lines_plan_id_sku_id")
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.drop_index("ix_movements_arrivals")
    with op.batch_alter_table("balances", schema=None) as batch_op:
        batch_op.drop_index("ix_balances_sku_id")
