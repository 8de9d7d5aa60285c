"""plan lines carry their pair's figures after the plan, and one partial index per
exception section, so reviewing a plan of millions of lines reads indexes, not all
of its lines

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PARTIAL = {
    "ix_plan_lines_at_risk": (["plan_id", "shortfall", "line_no"], "shortfall > 0"),
    "ix_plan_lines_excess": (["plan_id", "surplus", "line_no"], "surplus > 0"),
    "ix_plan_lines_cut": (["plan_id", "cut_units", "line_no"], "cut_units > 0"),
    "ix_plan_lines_moves": (["plan_id", "value"], "kind = 'rebalance'"),
}

# The same figures `storenet.planning.documents.refresh_pair_figures` keeps current.
BACKFILL = """
UPDATE plan_lines SET
  pair_first = CASE WHEN plan_lines.line_no = p.first_line THEN 1 ELSE 0 END,
  shortfall = plan_lines.forecast_mean - (plan_lines.position + p.incoming),
  surplus = plan_lines.position + p.incoming - plan_lines.target,
  cut_units = CASE WHEN plan_lines.cut_reason <> ''
                   THEN plan_lines.requested - plan_lines.planned_qty ELSE 0 END
FROM (
  SELECT plan_id, store_id, sku_id, MIN(line_no) AS first_line, SUM(qty) AS incoming
  FROM plan_lines GROUP BY plan_id, store_id, sku_id
) AS p
WHERE plan_lines.plan_id = p.plan_id AND plan_lines.store_id = p.store_id
  AND plan_lines.sku_id = p.sku_id
"""


def upgrade() -> None:
    with op.batch_alter_table("plan_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pair_first", sa.SmallInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("shortfall", sa.Float(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("surplus", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("cut_units", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute(BACKFILL)
    with op.batch_alter_table("plan_lines", schema=None) as batch_op:
        for name, (columns, where) in PARTIAL.items():
            batch_op.create_index(
                name,
                columns,
                unique=False,
                sqlite_where=sa.text(where),
                postgresql_where=sa.text(where),
            )


def downgrade() -> None:
    with op.batch_alter_table("plan_lines", schema=None) as batch_op:
        for name in PARTIAL:
            batch_op.drop_index(name)
        batch_op.drop_column("cut_units")
        batch_op.drop_column("surplus")
        batch_op.drop_column("shortfall")
        batch_op.drop_column("pair_first")
