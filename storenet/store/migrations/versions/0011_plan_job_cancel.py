"""a plan job can be cancelled from any worker

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan_jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "cancel_requested", sa.Boolean(), server_default=sa.text("false"), nullable=False
            )
        )
        batch_op.drop_constraint(op.f("ck_plan_jobs_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_plan_jobs_status"), "status IN ('running', 'done', 'failed', 'cancelled')"
        )


def downgrade() -> None:
    op.execute("UPDATE plan_jobs SET status = 'failed' WHERE status = 'cancelled'")
    with op.batch_alter_table("plan_jobs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_plan_jobs_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_plan_jobs_status"), "status IN ('running', 'done', 'failed')"
        )
        batch_op.drop_column("cancel_requested")
