"""the nightly plan: plans and their explained lines

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("for_day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("summary", sa.Text(), server_default="{}", nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'approved', 'released')", name=op.f("ck_plans_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
    )
    op.create_table(
        "plan_lines",
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("source_id", sa.String(length=32), nullable=False),
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("sku_id", sa.String(length=32), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("planned_qty", sa.Integer(), nullable=False),
        sa.Column("forecast_mean", sa.Float(), nullable=False),
        sa.Column("forecast_quantile", sa.Integer(), nullable=False),
        sa.Column("service_level", sa.Float(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("target", sa.Integer(), nullable=False),
        sa.Column("requested", sa.Integer(), nullable=False),
        sa.Column("cut_reason", sa.String(length=24), server_default="", nullable=False),
        sa.Column("water_level", sa.Float(), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("transfer_no", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('replenish', 'rebalance')", name=op.f("ck_plan_lines_kind")),
        sa.CheckConstraint("qty >= 0", name=op.f("ck_plan_lines_qty")),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plans.id"], name=op.f("fk_plan_lines_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("plan_id", "line_no", name=op.f("pk_plan_lines")),
    )
    with op.batch_alter_table("plan_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_plan_lines_plan_id_store_id", ["plan_id", "store_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("plan_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_plan_lines_plan_id_store_id")
    op.drop_table("plan_lines")
    op.drop_table("plans")
