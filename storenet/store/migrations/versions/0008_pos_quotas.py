"""POS devices' line quotas in the database, shared by every worker

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pos_quotas",
        sa.Column(
            "device_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("level", sa.Float(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["users.id"], name=op.f("fk_pos_quotas_device_id_users")
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_pos_quotas")),
    )


def downgrade() -> None:
    op.drop_table("pos_quotas")
