"""standards photos keep their bytes in their row (standards_photos.content)

A photo was a file under the server's home and only its metadata was in the database,
so with several servers on one PostgreSQL the photo one server took was missing on the
others (404). Photos kept before this revision stay files and are still read from
there (content NULL).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("standards_photos") as batch:
        batch.add_column(sa.Column("content", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("standards_photos") as batch:
        batch.drop_column("content")
