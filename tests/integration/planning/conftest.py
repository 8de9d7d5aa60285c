"""The planning integration tests' shared network: a small generated network imported
through the real import path and planned once, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from storenet.datagen import NetworkSpec, generate
from storenet.imports import import_folder
from storenet.planning.service import run_plan
from storenet.settings import Settings

DAY = date(2026, 11, 23)


@pytest.fixture
def planned(engine, tmp_path):
    generate(NetworkSpec(stores=30, skus=50, days=120, seed=5), tmp_path)
    import_folder(engine, tmp_path / "master")
    settings = Settings(home=tmp_path, db_url=str(engine.url))
    header, plan = run_plan(settings, engine)
    return engine, settings, header, plan
