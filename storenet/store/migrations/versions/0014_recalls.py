"""recalls: campaigns and their transitions, scope rows, affected units (serials, and
quantities per location for SKUs without serials), contacts and their dated events,
recall discrepancies, the notification outbox

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recall_campaigns",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=12), nullable=False),
        sa.Column("remedy", sa.String(length=8), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "remedy IN ('repair', 'replace', 'refund')", name=op.f("ck_recall_campaigns_remedy")
        ),
        sa.CheckConstraint(
            "severity IN ('stop_sale', 'advisory')", name=op.f("ck_recall_campaigns_severity")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'completed', 'closed', 'cancelled')",
            name=op.f("ck_recall_campaigns_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_campaigns")),
        sa.UniqueConstraint("name", name=op.f("uq_recall_campaigns_name")),
    )
    with op.batch_alter_table("recall_campaigns", schema=None) as batch_op:
        batch_op.create_index("ix_recall_campaigns_status", ["status"], unique=False)

    op.create_table(
        "recall_campaign_transitions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("from_status", sa.String(length=12), nullable=False),
        sa.Column("to_status", sa.String(length=12), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["recall_campaigns.id"],
            name=op.f("fk_recall_campaign_transitions_campaign_id_recall_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_campaign_transitions")),
    )
    with op.batch_alter_table("recall_campaign_transitions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recall_campaign_transitions_campaign_id", ["campaign_id"], unique=False
        )

    op.create_table(
        "recall_contacts",
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("buyer_ref", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="to_contact", nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('to_contact', 'contacted', 'responded', 'returned', 'remedied', 'closed')",
            name=op.f("ck_recall_contacts_status"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["recall_campaigns.id"],
            name=op.f("fk_recall_contacts_campaign_id_recall_campaigns"),
        ),
        sa.PrimaryKeyConstraint("campaign_id", "serial", name=op.f("pk_recall_contacts")),
    )
    op.create_table(
        "recall_scopes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("value_to", sa.String(length=200), nullable=True),
        sa.Column("units", sa.BigInteger(), server_default="0", nullable=False),
        sa.CheckConstraint(
            "kind IN ('sku', 'model', 'serial_list', 'serial_range', 'receipt', 'po_line',"
            " 'date_window')",
            name=op.f("ck_recall_scopes_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["recall_campaigns.id"],
            name=op.f("fk_recall_scopes_campaign_id_recall_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_scopes")),
    )
    with op.batch_alter_table("recall_scopes", schema=None) as batch_op:
        batch_op.create_index("ix_recall_scopes_campaign_id", ["campaign_id"], unique=False)
        batch_op.create_index("ix_recall_scopes_kind_value", ["kind", "value"], unique=False)

    op.create_table(
        "recall_units",
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("sku_id", sa.String(length=32), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("returned_at", sa.DateTime(), nullable=True),
        sa.Column("remedied_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["recall_campaigns.id"],
            name=op.f("fk_recall_units_campaign_id_recall_campaigns"),
        ),
        sa.PrimaryKeyConstraint("campaign_id", "serial", name=op.f("pk_recall_units")),
    )
    with op.batch_alter_table("recall_units", schema=None) as batch_op:
        batch_op.create_index("ix_recall_units_serial", ["serial"], unique=False)

    op.create_table(
        "recall_discrepancies",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("movement_id", sa.BigInteger(), nullable=False),
        sa.Column("serial", sa.String(length=64), server_default="", nullable=False),
        sa.Column("sku_id", sa.String(length=32), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("buyer_ref", sa.String(length=128), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=8), server_default="open", nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'resolved')", name=op.f("ck_recall_discrepancies_status")
        ),
        sa.CheckConstraint("qty > 0", name=op.f("ck_recall_discrepancies_qty_positive")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["recall_campaigns.id"],
            name=op.f("fk_recall_discrepancies_campaign_id_recall_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_recall_discrepancies_location_id_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_discrepancies")),
        sa.UniqueConstraint(
            "campaign_id",
            "movement_id",
            "serial",
            name=op.f("uq_recall_discrepancies_campaign_id_movement_id_serial"),
        ),
    )
    op.create_table(
        "recall_stock",
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.String(length=32), nullable=False),
        sa.Column("qty_held", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("qty_returned", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["recall_campaigns.id"],
            name=op.f("fk_recall_stock_campaign_id_recall_campaigns"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_recall_stock_location_id_locations")
        ),
        sa.PrimaryKeyConstraint(
            "campaign_id", "location_id", "sku_id", name=op.f("pk_recall_stock")
        ),
    )

    op.create_table(
        "recall_contact_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("from_status", sa.String(length=12), nullable=False),
        sa.Column("to_status", sa.String(length=12), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_contact_events")),
    )
    with op.batch_alter_table("recall_contact_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recall_contact_events_campaign_id_serial", ["campaign_id", "serial"], unique=False
        )

    op.create_table(
        "recall_outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("serial", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), server_default="pending", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("tries", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sent')", name=op.f("ck_recall_outbox_status")),
        sa.CheckConstraint("attempt >= 1", name=op.f("ck_recall_outbox_attempt_positive")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["recall_campaigns.id"],
            name=op.f("fk_recall_outbox_campaign_id_recall_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recall_outbox")),
        sa.UniqueConstraint(
            "campaign_id",
            "serial",
            "attempt",
            name=op.f("uq_recall_outbox_campaign_id_serial_attempt"),
        ),
        sa.UniqueConstraint("key", name=op.f("uq_recall_outbox_key")),
    )
    with op.batch_alter_table("recall_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recall_outbox_pending",
            ["id"],
            unique=False,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("recall_outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_recall_outbox_pending",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        )

    op.drop_table("recall_outbox")
    with op.batch_alter_table("recall_contact_events", schema=None) as batch_op:
        batch_op.drop_index("ix_recall_contact_events_campaign_id_serial")

    op.drop_table("recall_contact_events")
    op.drop_table("recall_stock")
    op.drop_table("recall_discrepancies")
    with op.batch_alter_table("recall_units", schema=None) as batch_op:
        batch_op.drop_index("ix_recall_units_serial")

    op.drop_table("recall_units")
    with op.batch_alter_table("recall_scopes", schema=None) as batch_op:
        batch_op.drop_index("ix_recall_scopes_kind_value")
        batch_op.drop_index("ix_recall_scopes_campaign_id")

    op.drop_table("recall_scopes")
    op.drop_table("recall_contacts")
    with op.batch_alter_table("recall_campaign_transitions", schema=None) as batch_op:
        batch_op.drop_index("ix_recall_campaign_transitions_campaign_id")

    op.drop_table("recall_campaign_transitions")
    with op.batch_alter_table("recall_campaigns", schema=None) as batch_op:
        batch_op.drop_index("ix_recall_campaigns_status")

    op.drop_table("recall_campaigns")
