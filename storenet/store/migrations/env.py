"""Alembic environment: runs migrations on the connection storenet hands it."""

from alembic import context

from storenet.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("storenet runs migrations through storenet.store.migrate")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
