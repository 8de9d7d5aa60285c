"""when each place got its opening stock, indexed (sales before it are warned about)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_movements_openings",
            ["to_location", "occurred_at"],
            unique=False,
            sqlite_where=sa.text("kind = 'opening'"),
            postgresql_where=sa.text("kind = 'opening'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("movements", schema=None) as batch_op:
        batch_op.drop_index("ix_movements_openings")
