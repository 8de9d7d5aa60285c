"""The planning integration tests' shared network: a small generated network imported
through the real import path and planned once, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from storenet.datagen import NetworkSpec, generate
from storenet.imports import import_folder
from storenet.planning.service import run_plan
from storenet.settings import Settings
from tests.snapshots import seed_from_snapshot

DAY = date(2026, 11, 23)


def plan_generated_network(engine, home):  # type: ignore[no-untyped-def]
    """Generate the network into `home`, import it and run tonight's plan: (header, plan)."""
    generate(NetworkSpec(stores=30, skus=50, days=120, seed=5), home)
    import_folder(engine, home / "master")
    return run_plan(Settings(home=home, db_url=str(engine.url)), engine)


@pytest.fixture
def planned(engine, tmp_path):
    """(engine, settings, header, plan): the network planned once per process and
    database kind, copied into this test's database and folder (tests.snapshots)."""
    header, plan = seed_from_snapshot("planned", engine, tmp_path, plan_generated_network)
    settings = Settings(home=tmp_path, db_url=str(engine.url))
    return engine, settings, header, plan
