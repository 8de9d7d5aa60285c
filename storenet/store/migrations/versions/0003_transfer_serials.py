"""transfers carry serial-tracked units: transfer_serials, serials by location

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transfer_serials",
        sa.Column("transfer_id", sa.String(length=64), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("sku_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["transfers.id"],
            name=op.f("fk_transfer_serials_transfer_id_transfers"),
        ),
        sa.PrimaryKeyConstraint("transfer_id", "serial", name=op.f("pk_transfer_serials")),
    )
    with op.batch_alter_table("transfer_serials", schema=None) as batch_op:
        batch_op.create_index("ix_transfer_serials_serial", ["serial"], unique=False)
    # Shipping picks serials by (location, SKU).
    with op.batch_alter_table("serials", schema=None) as batch_op:
        batch_op.create_index(
            "ix_serials_location_id_sku_id", ["location_id", "sku_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("serials", schema=None) as batch_op:
        batch_op.drop_index("ix_serials_location_id_sku_id")
    with op.batch_alter_table("transfer_serials", schema=None) as batch_op:
        batch_op.drop_index("ix_transfer_serials_serial")
    op.drop_table("transfer_serials")
