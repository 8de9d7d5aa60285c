"""`storenet standards overdue [--json]`: the daily digest of overdue corrective
actions, every store's or the stores one user sees (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from storenet.cli import app
from tests.integration.standards.standards_support import (
    TODAY,
    TWO_FAIL,
    score_all,
    seed_standards,
    start,
    submit,
)


@pytest.fixture
def cli_std(network, tmp_path, monkeypatch):
    """Two failed items at S1 (floor due in 2 days, facing in 7) and at S3."""
    monkeypatch.setattr("storenet.accounts.users.hash_password", lambda p: "hash:" + p)
    seed_standards(network)
    std = network
    for store, who in (("S1", "aud_east"), ("S3", "aud_s3")):
        audit = start(std, store, who)
        score_all(std, audit, TWO_FAIL, who)
        submit(std, audit, who)
    monkeypatch.setenv("STORENET_HOME", str(tmp_path))
    monkeypatch.setenv("STORENET_DB", std.url.render_as_string(hide_password=False))
    return std


def _overdue(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["standards", "overdue", *args])


def test_the_digest_lists_exactly_what_is_overdue_on_the_day(cli_std):
    on_due_day = _overdue("--json", "--on", str(TODAY + timedelta(days=2)))
    assert on_due_day.exit_code == 0, on_due_day.output
    assert json.loads(on_due_day.stdout)["overdue"] == []
    after = _overdue("--json", "--on", str(TODAY + timedelta(days=3)))
    rows = json.loads(after.stdout)["overdue"]
    assert sorted((r["store_id"], r["item_code"]) for r in rows) == [
        ("S1", "clean.floor"),
        ("S3", "clean.floor"),
    ]
    table = _overdue("--on", str(TODAY + timedelta(days=8)))
    assert table.exit_code == 0 and "4 corrective action(s) overdue" in table.stdout


def test_the_digest_as_a_franchise_owner_shows_his_stores_only(cli_std):
    mine = _overdue("--json", "--as", "fr_f2", "--on", str(TODAY + timedelta(days=8)))
    assert mine.exit_code == 0, mine.output
    assert {r["store_id"] for r in json.loads(mine.stdout)["overdue"]} == {"S3"}
    bad = _overdue("--on", "someday")
    assert bad.exit_code == 2 and "on: must be a date" in bad.output
