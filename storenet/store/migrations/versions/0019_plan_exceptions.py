"""plan exceptions: the head of the review's at-risk, excess and cut sections as rows
of their own, written sorted, instead of three partial indexes on plan_lines keyed by
a figure (storenet.planning.sections)

Those indexes took a plan's millions of lines in random order and cost as much as the
rest of the write (one million lines into PostgreSQL: 8.57 s with them, 4.40 s
without; docs/benchmarks.md). Existing plans keep all their sections' rows.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

PARTIAL = {
    "ix_plan_lines_at_risk": (["plan_id", "shortfall", "line_no"], "shortfall > 0"),
    "ix_plan_lines_excess": (["plan_id", "surplus", "line_no"], "surplus > 0"),
    "ix_plan_lines_cut": (["plan_id", "cut_units", "line_no"], "cut_units > 0"),
}

# A frozen copy of the rules of storenet.planning.sections (EXCESS_FACTOR 1.5).
BACKFILL = """
INSERT INTO plan_exceptions (plan_id, section, figure, line_no)
SELECT plan_id, 'at_risk', shortfall, line_no FROM plan_lines
 WHERE pair_first = 1 AND shortfall > 0
UNION ALL
SELECT plan_id, 'cut', cut_units, line_no FROM plan_lines WHERE cut_units > 0
UNION ALL
SELECT plan_id, 'excess', surplus, line_no FROM plan_lines
 WHERE pair_first = 1 AND surplus > 0 AND surplus > 0.5 * target
ORDER BY 1, 2, 3, 4
"""


def upgrade() -> None:
    op.create_table(
        "plan_exceptions",
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("section", sa.String(length=8), nullable=False),
        sa.Column("figure", sa.Float(), nullable=False),
        sa.Column("line_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.CheckConstraint(
            "section IN ('at_risk', 'excess', 'cut')", name=op.f("ck_plan_exceptions_section")
        ),
        sa.PrimaryKeyConstraint(
            "plan_id", "section", "figure", "line_no", name=op.f("pk_plan_exceptions")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "plan_exception_floors",
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("section", sa.String(length=8), nullable=False),
        sa.Column("figure", sa.Float(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("plan_id", "section", name=op.f("pk_plan_exception_floors")),
    )
    # Existing plans keep every row of their sections (no floors).
    op.execute(BACKFILL)
    with op.batch_alter_table("plan_lines", schema=None) as batch_op:
        for name in PARTIAL:
            batch_op.drop_index(name)


def downgrade() -> None:
    with op.batch_alter_table("plan_lines", schema=None) as batch_op:
        for name, (columns, where) in PARTIAL.items():
            batch_op.create_index(
                name,
                columns,
                unique=False,
                sqlite_where=sa.text(where),
                postgresql_where=sa.text(where),
            )
    op.drop_table("plan_exception_floors")
    op.drop_table("plan_exceptions")
