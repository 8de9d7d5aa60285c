"""net sales days: POS sales and returns kept per market day, store and category by
the night's close (storenet.sales.net_days), for attainment; days closed before this
revision have none and are summed from the POS lines until closed again

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "net_sales_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("lines", sa.BigInteger(), nullable=False),
        sa.Column("sold_units", sa.BigInteger(), nullable=False),
        sa.Column("returned_units", sa.BigInteger(), nullable=False),
        sa.Column("sold_cents", sa.BigInteger(), nullable=False),
        sa.Column("returned_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "store_id", "category", name=op.f("pk_net_sales_days")),
    )
    op.create_table(
        "net_sales_closes",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=False),
        sa.Column("lines", sa.BigInteger(), nullable=False),
        sa.Column("kept_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_net_sales_closes")),
    )


def downgrade() -> None:
    op.drop_table("net_sales_closes")
    op.drop_table("net_sales_days")
