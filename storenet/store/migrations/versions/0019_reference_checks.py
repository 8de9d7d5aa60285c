"""reference checks per statement: where serials are (locations) and which campaign
lists a recall unit (recall_campaigns) are checked once per statement instead of by a
foreign-key trigger per row

A recall of a million units writes a million `recall_units` rows (one foreign-key
look-up each: half the insert's time) and moves a million `serials` rows (two each:
over 40% of the update's time). The foreign keys are replaced by triggers that refuse
the same rows: on PostgreSQL one check per statement over the rows it wrote (its
transition table: the few distinct locations or campaigns, each looked up once), on
SQLite a row trigger (SQLite has no statement triggers; its look-ups are cheap).
Locations and campaigns are never deleted, so the referenced side needs no trigger.

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-07
"""

from alembic import op

revision = "0019"
down_revision = "0017"
branch_labels = None
depends_on = None

# (table, foreign key, column, referenced table) dropped, and checked by triggers.
REFERENCES = (
    ("serials", "fk_serials_location_id_locations", "location_id", "locations"),
    ("serials", "fk_serials_site_location_locations", "site_location", "locations"),
    ("recall_units", "fk_recall_units_campaign_id_recall_campaigns", "campaign_id",
     "recall_campaigns"),
)  # fmt: skip

PG_FUNCTIONS = {
    "serials": """
CREATE OR REPLACE FUNCTION storenet_serials_places() RETURNS trigger AS $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM (SELECT location_id AS id FROM storenet_written
                   UNION SELECT site_location FROM storenet_written
                   WHERE site_location IS NOT NULL) AS used
    WHERE NOT EXISTS (SELECT 1 FROM locations l WHERE l.id = used.id)
  ) THEN
    RAISE EXCEPTION 'serials: location_id or site_location names no location'
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
    "recall_units": """
CREATE OR REPLACE FUNCTION storenet_recall_units_campaign() RETURNS trigger AS $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM (SELECT DISTINCT campaign_id FROM storenet_written) AS used
    WHERE NOT EXISTS (SELECT 1 FROM recall_campaigns c WHERE c.id = used.campaign_id)
  ) THEN
    RAISE EXCEPTION 'recall_units: campaign_id names no recall campaign'
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql""",
}
PG_FUNCTION_NAMES = {
    "serials": "storenet_serials_places",
    "recall_units": "storenet_recall_units_campaign",
}

SQLITE_CONDITIONS = {
    "serials": "NOT EXISTS (SELECT 1 FROM locations WHERE id = NEW.location_id) OR "
    "(NEW.site_location IS NOT NULL AND "
    "NOT EXISTS (SELECT 1 FROM locations WHERE id = NEW.site_location))",
    "recall_units": "NOT EXISTS (SELECT 1 FROM recall_campaigns WHERE id = NEW.campaign_id)",
}
SQLITE_COLUMNS = {"serials": "location_id, site_location", "recall_units": "campaign_id"}


def check_ddl(dialect: str) -> list[str]:
    """The triggers that refuse a serial at no location and a recall unit of no
    campaign (foreign-key violations), on INSERT and UPDATE, for `dialect`."""
    statements: list[str] = []
    for table in ("serials", "recall_units"):
        for event in ("INSERT", "UPDATE"):
            name = f"{table}_references_{event.lower()}"
            if dialect == "postgresql":
                if event == "INSERT":
                    statements.append(PG_FUNCTIONS[table])
                statements.append(
                    f"CREATE TRIGGER {name} AFTER {event} ON {table} "
                    "REFERENCING NEW TABLE AS storenet_written FOR EACH STATEMENT "
                    f"EXECUTE FUNCTION {PG_FUNCTION_NAMES[table]}()"
                )
            else:
                on = f"UPDATE OF {SQLITE_COLUMNS[table]}" if event == "UPDATE" else event
                statements.append(
                    f"CREATE TRIGGER {name} BEFORE {on} ON {table} "
                    f"WHEN {SQLITE_CONDITIONS[table]} BEGIN SELECT RAISE(ABORT, "
                    f"'FOREIGN KEY constraint failed: {table} names no such row'); END"
                )
    return statements


def upgrade() -> None:
    for table in ("serials", "recall_units"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for owner, name, _, _ in REFERENCES:
                if owner == table:
                    batch_op.drop_constraint(name, type_="foreignkey")
    for statement in check_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in ("serials", "recall_units"):
        for event in ("insert", "update"):
            name = f"{table}_references_{event}"
            op.execute(
                f"DROP TRIGGER IF EXISTS {name}"
                + (f" ON {table}" if dialect == "postgresql" else "")
            )
    if dialect == "postgresql":
        for function in PG_FUNCTION_NAMES.values():
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    for table in ("serials", "recall_units"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for owner, name, column, referenced in REFERENCES:
                if owner == table:
                    batch_op.create_foreign_key(name, referenced, [column], ["id"])
