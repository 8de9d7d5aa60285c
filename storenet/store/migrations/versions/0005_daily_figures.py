"""daily figures per store and region (the console's KPIs), expansion and store targets,
one-time sign-in links

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

SUMS = (
    ("units_sold", sa.BigInteger()),
    ("revenue_cents", sa.BigInteger()),
    ("lost_units_est", sa.Float()),
    ("on_hand_units", sa.BigInteger()),
    ("received_units", sa.BigInteger()),
    ("aged_units", sa.BigInteger()),
)


def upgrade() -> None:
    op.create_table(
        "store_days",
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *[sa.Column(name, kind, nullable=False) for name, kind in SUMS],
        sa.Column("listed_pairs", sa.Integer(), nullable=False),
        sa.Column("stockout_pairs", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_store_days_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("store_id", "day", name=op.f("pk_store_days")),
    )
    with op.batch_alter_table("store_days", schema=None) as batch_op:
        batch_op.create_index("ix_store_days_day", ["day"], unique=False)
    op.create_table(
        "region_days",
        sa.Column("region_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("stores", sa.Integer(), nullable=False),
        *[sa.Column(name, kind, nullable=False) for name, kind in SUMS],
        sa.Column("listed_pairs", sa.BigInteger(), nullable=False),
        sa.Column("stockout_pairs", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_region_days_region_id_regions")
        ),
        sa.PrimaryKeyConstraint("region_id", "day", name=op.f("pk_region_days")),
    )
    op.create_table(
        "expansion_targets",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("stores", sa.Integer(), nullable=False),
        sa.CheckConstraint("stores >= 0", name=op.f("ck_expansion_targets_stores")),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_expansion_targets")),
    )
    op.create_table(
        "store_targets",
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("revenue_cents", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("revenue_cents >= 0", name=op.f("ck_store_targets_revenue_cents")),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_store_targets_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("store_id", "month", name=op.f("pk_store_targets")),
    )

    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_api_tokens_kind"), type_="check")
        batch_op.create_check_constraint("kind", "kind IN ('session', 'device', 'link')")


def downgrade() -> None:
    op.execute("DELETE FROM api_tokens WHERE kind = 'link'")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_api_tokens_kind"), type_="check")
        batch_op.create_check_constraint("kind", "kind IN ('session', 'device')")
    op.drop_table("store_targets")
    op.drop_table("expansion_targets")
    with op.batch_alter_table("store_days", schema=None) as batch_op:
        batch_op.drop_index("ix_store_days_day")
    op.drop_table("store_days")
    op.drop_table("region_days")
