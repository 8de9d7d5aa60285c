"""recall counts: a campaign's funnel kept per place and bucket, and its figures by
day, as units move (storenet.ledger.recall_counts); existing campaigns are counted
from the ledger here, once

Revision ID: 0017
Revises: 0014
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# Frozen copies of the rules of storenet.ledger.recall_counts (virtual locations:
# customer 2, transit 3, quarantine 5; real ones from 100; 0: no place).
_PLACE = """COALESCE(CASE
    WHEN s.location_id >= 100 THEN s.location_id
    WHEN s.location_id IN (3, 5) THEN s.site_location
    WHEN s.location_id = 2 THEN m.from_location
    END, 0)"""
_UNITS = """FROM recall_units u
    LEFT JOIN serials s ON s.serial = u.serial
    LEFT JOIN movements m ON m.id = s.last_movement_id AND s.location_id = 2"""
COUNTS = f"""
INSERT INTO recall_counts (campaign_id, location_id, bucket, units)
SELECT campaign_id, place, bucket, count(*) FROM (
    SELECT u.campaign_id, {_PLACE} AS place, CASE
        WHEN u.remedied_at IS NOT NULL THEN 'remedied'
        WHEN u.returned_at IS NOT NULL THEN 'returned'
        WHEN s.serial IS NULL THEN 'unlocated'
        WHEN s.location_id = 5 THEN 'held_in_network'
        WHEN s.location_id = 3 THEN 'in_transit'
        WHEN s.location_id = 2 AND s.buyer_ref IS NOT NULL THEN 'sold_reached'
        WHEN s.location_id = 2 THEN 'sold_unreached'
        WHEN s.location_id >= 100 THEN 'not_held'
        ELSE 'written_off' END AS bucket
    {_UNITS}
) AS units GROUP BY campaign_id, place, bucket
"""
DAYS = [
    """SELECT c.id AS campaign_id, date(m.occurred_at) AS day, m.site_location AS place,
    'held' AS measure, sum(m.qty) AS units
    FROM movements m JOIN recall_campaigns c ON m.document = 'recall:' || c.id
    WHERE m.kind = 'hold' GROUP BY c.id, date(m.occurred_at), m.site_location""",
    """SELECT campaign_id, date(opened_at), location_id, 'sold', sum(qty)
    FROM recall_discrepancies GROUP BY campaign_id, date(opened_at), location_id""",
    f"""SELECT u.campaign_id, date(u.returned_at), {_PLACE}, 'returned', count(*)
    {_UNITS}
    WHERE u.returned_at IS NOT NULL GROUP BY u.campaign_id, date(u.returned_at), {_PLACE}""",
    f"""SELECT u.campaign_id, date(u.remedied_at), {_PLACE}, 'remedied', count(*)
    {_UNITS}
    WHERE u.remedied_at IS NOT NULL GROUP BY u.campaign_id, date(u.remedied_at), {_PLACE}""",
]

BACKFILL_DAYS = (
    "INSERT INTO recall_days (campaign_id, day, location_id, measure, units) "
    "SELECT campaign_id, day, COALESCE(place, 0), measure, sum(units) FROM ("
    + " UNION ALL ".join(DAYS)
    + ") AS days GROUP BY campaign_id, day, COALESCE(place, 0), measure"
)


def upgrade() -> None:
    op.create_table(
        "recall_counts",
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=16), nullable=False),
        sa.Column("units", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["recall_campaigns.id"],
            name=op.f("fk_recall_counts_campaign_id_recall_campaigns"),
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "location_id", "bucket", name=op.f("pk_recall_counts")
        ),
    )
    op.create_table(
        "recall_days",
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=12), nullable=False),
        sa.Column("units", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["recall_campaigns.id"],
            name=op.f("fk_recall_days_campaign_id_recall_campaigns"),
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "day", "location_id", "measure", name=op.f("pk_recall_days")
        ),
    )
    op.execute(COUNTS)
    op.execute(BACKFILL_DAYS)


def downgrade() -> None:
    op.drop_table("recall_days")
    op.drop_table("recall_counts")
