"""The database edge: schema, migrations, engines and units of work."""
