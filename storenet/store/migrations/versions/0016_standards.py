"""store standards audits: checklist templates and their versions, audits and their
transitions, item results, content-addressed photos, corrective actions and their
transitions, auditors' store assignments; the role standards_auditor

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

ROLES_BEFORE = (  # as migration 0015 (the finance role) leaves them
    "role IN ('administrator', 'hq_planner', 'regional_manager', 'store_manager', "
    "'franchise_owner', 'auditor', 'pos_device', 'finance')"
)
# A standards auditor audits the stores assigned to them (standards_assignments).
ROLES = (
    "role IN ('administrator', 'hq_planner', 'regional_manager', 'store_manager', "
    "'franchise_owner', 'auditor', 'pos_device', 'finance', 'standards_auditor')"
)

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "standards_photos",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
        sa.Column("stored_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "media_type IN ('image/jpeg', 'image/png', 'image/webp')",
            name=op.f("ck_standards_photos_media_type"),
        ),
        sa.CheckConstraint("size > 0", name=op.f("ck_standards_photos_size_positive")),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_standards_photos")),
    )
    op.create_table(
        "standards_templates",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standards_templates")),
    )
    op.create_table(
        "standards_template_versions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("template_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "version >= 1", name=op.f("ck_standards_template_versions_version_positive")
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["standards_templates.id"],
            name=op.f("fk_standards_template_versions_template_id_standards_templates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standards_template_versions")),
        sa.UniqueConstraint(
            "template_id",
            "version",
            name=op.f("uq_standards_template_versions_template_id_version"),
        ),
    )
    op.create_table(
        "standards_items",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "version_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("scoring", sa.String(length=12), nullable=False),
        sa.Column("max_score", sa.Integer(), nullable=False),
        sa.Column("pass_mark", sa.Integer(), nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "scoring IN ('pass_fail', 'score')", name=op.f("ck_standards_items_scoring")
        ),
        sa.CheckConstraint(
            "section IN ('decor', 'display', 'service', 'cleanliness', 'staff')",
            name=op.f("ck_standards_items_section"),
        ),
        sa.CheckConstraint(
            "due_days BETWEEN 0 AND 365", name=op.f("ck_standards_items_due_days_range")
        ),
        sa.CheckConstraint(
            "max_score BETWEEN 1 AND 100", name=op.f("ck_standards_items_max_score_range")
        ),
        sa.CheckConstraint(
            "pass_mark BETWEEN 1 AND max_score", name=op.f("ck_standards_items_pass_mark_range")
        ),
        sa.CheckConstraint(
            "weight BETWEEN 1 AND 100", name=op.f("ck_standards_items_weight_range")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["standards_template_versions.id"],
            name=op.f("fk_standards_items_version_id_standards_template_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standards_items")),
        sa.UniqueConstraint("version_id", "code", name=op.f("uq_standards_items_version_id_code")),
    )
    op.create_table(
        "standards_assignments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("auditor", sa.String(length=200), nullable=False),
        sa.Column("store_id", sa.String(length=32), nullable=True),
        sa.Column("region_id", sa.String(length=32), nullable=True),
        sa.Column("valid_from", sa.DateTime(), nullable=False),
        sa.Column("valid_to", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "(store_id IS NULL) <> (region_id IS NULL)",
            name=op.f("ck_standards_assignments_one_place"),
        ),
        sa.ForeignKeyConstraint(
            ["region_id"], ["regions.id"], name=op.f("fk_standards_assignments_region_id_regions")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_standards_assignments_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standards_assignments")),
    )
    with op.batch_alter_table("standards_assignments", schema=None) as batch_op:
        batch_op.create_index("ix_standards_assignments_auditor", ["auditor"], unique=False)

    op.create_table(
        "standards_audits",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column(
            "version_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("auditor", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("score_bp", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('started', 'submitted', 'cancelled')",
            name=op.f("ck_standards_audits_status"),
        ),
        sa.CheckConstraint(
            "score_bp BETWEEN 0 AND 10000", name=op.f("ck_standards_audits_score_range")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_standards_audits_store_id_stores")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["standards_template_versions.id"],
            name=op.f("fk_standards_audits_version_id_standards_template_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standards_audits")),
    )
    with op.batch_alter_table("standards_audits", schema=None) as batch_op:
        batch_op.create_index("ix_standards_audits_status", ["status"], unique=False)
        batch_op.create_index(
            "ix_standards_audits_store_id_submitted_at", ["store_id", "submitted_at"], unique=False
        )

    op.create_table(
        "standards_actions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("store_id", sa.String(length=32), nullable=False),
        sa.Column("item_code", sa.String(length=64), nullable=False),
        sa.Column("section", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("opened_by_audit", sa.String(length=64), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by_audit", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'closed')", name=op.f("ck_standards_actions_status")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_audit"],
            ["standards_audits.id"],
            name=op.f("fk_standards_actions_closed_by_audit_standards_audits"),
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_audit"],
            ["standards_audits.id"],
            name=op.f("fk_standards_actions_opened_by_audit_standards_audits"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["stores.id"], name=op.f("fk_standards_actions_store_id_stores")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standards_actions")),
    )
    with op.batch_alter_table("standards_actions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_standards_actions_open",
            ["store_id", "item_code"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
        batch_op.create_index(
            "ix_standards_actions_status_due_on", ["status", "due_on"], unique=False
        )

    op.create_table(
        "standards_audit_photos",
        sa.Column("audit_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("attached_at", sa.DateTime(), nullable=False),
        sa.Column("attached_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["standards_audits.id"],
            name=op.f("fk_standards_audit_photos_audit_id_standards_audits"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["standards_items.id"],
            name=op.f("fk_standards_audit_photos_item_id_standards_items"),
        ),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["standards_photos.sha256"],
            name=op.f("fk_standards_audit_photos_sha256_standards_photos"),
        ),
        sa.PrimaryKeyConstraint(
            "audit_id", "item_id", "sha256", name=op.f("pk_standards_audit_photos")
        ),
    )
    op.create_table(
        "standards_audit_transitions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("audit_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("from_status", sa.String(length=12), nullable=False),
        sa.Column("to_status", sa.String(length=12), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["standards_audits.id"],
            name=op.f("fk_standards_audit_transitions_audit_id_standards_audits"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standards_audit_transitions")),
    )
    with op.batch_alter_table("standards_audit_transitions", schema=None) as batch_op:
        batch_op.create_index("ix_standards_audit_transitions_audit_id", ["audit_id"], unique=False)

    op.create_table(
        "standards_results",
        sa.Column("audit_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=2000), server_default="", nullable=False),
        sa.Column("scored_at", sa.DateTime(), nullable=False),
        sa.Column("scored_by", sa.String(length=200), nullable=False),
        sa.CheckConstraint("score >= 0", name=op.f("ck_standards_results_score_positive")),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["standards_audits.id"],
            name=op.f("fk_standards_results_audit_id_standards_audits"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["standards_items.id"],
            name=op.f("fk_standards_results_item_id_standards_items"),
        ),
        sa.PrimaryKeyConstraint("audit_id", "item_id", name=op.f("pk_standards_results")),
    )
    op.create_table(
        "standards_action_transitions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "action_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("from_status", sa.String(length=8), nullable=False),
        sa.Column("to_status", sa.String(length=8), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("audit_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["standards_actions.id"],
            name=op.f("fk_standards_action_transitions_action_id_standards_actions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_standards_action_transitions")),
    )
    with op.batch_alter_table("standards_action_transitions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_standards_action_transitions_action_id", ["action_id"], unique=False
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
        batch_op.create_check_constraint("role", ROLES)


def downgrade() -> None:
    op.execute("UPDATE users SET disabled = true WHERE role = 'standards_auditor'")
    op.execute("UPDATE users SET role = 'auditor' WHERE role = 'standards_auditor'")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
        batch_op.create_check_constraint("role", ROLES_BEFORE)
    with op.batch_alter_table("standards_action_transitions", schema=None) as batch_op:
        batch_op.drop_index("ix_standards_action_transitions_action_id")

    op.drop_table("standards_action_transitions")
    op.drop_table("standards_results")
    with op.batch_alter_table("standards_audit_transitions", schema=None) as batch_op:
        batch_op.drop_index("ix_standards_audit_transitions_audit_id")

    op.drop_table("standards_audit_transitions")
    op.drop_table("standards_audit_photos")
    with op.batch_alter_table("standards_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_standards_actions_status_due_on")
        batch_op.drop_index(
            "ix_standards_actions_open",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.drop_table("standards_actions")
    with op.batch_alter_table("standards_audits", schema=None) as batch_op:
        batch_op.drop_index("ix_standards_audits_store_id_submitted_at")
        batch_op.drop_index("ix_standards_audits_status")

    op.drop_table("standards_audits")
    with op.batch_alter_table("standards_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_standards_assignments_auditor")

    op.drop_table("standards_assignments")
    op.drop_table("standards_items")
    op.drop_table("standards_template_versions")
    op.drop_table("standards_templates")
    op.drop_table("standards_photos")
