"""plans can be cancelled; every status change of a plan is kept, dated

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OLD = "status IN ('draft', 'approved', 'released')"
NEW = "status IN ('draft', 'approved', 'released', 'cancelled')"


def _status_check(rule: str) -> None:
    # SQLite changes a CHECK by copying `plans`, which `plan_lines` point at:
    # storenet.store.migrate runs migrations with foreign keys off, then checks them.
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_plans_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_plans_status"), rule)


def upgrade() -> None:
    _status_check(NEW)
    op.create_table(
        "plan_transitions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("from_status", sa.String(length=12), nullable=False),
        sa.Column("to_status", sa.String(length=12), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_transitions")),
    )
    op.create_index("ix_plan_transitions_plan_id", "plan_transitions", ["plan_id"])


def downgrade() -> None:
    op.drop_index("ix_plan_transitions_plan_id", table_name="plan_transitions")
    op.drop_table("plan_transitions")
    op.execute("UPDATE plans SET status = 'draft' WHERE status = 'cancelled'")
    _status_check(OLD)
