"""Every command group is reachable from the one `storenet` entry point."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from storenet.cli import app
from storenet.settings import Settings


@pytest.mark.parametrize(
    "command",
    [
        ["plan", "--help"],
        ["simulate", "--help"],
        ["evaluate", "--help"],
        ["serve", "--help"],
        ["users", "--help"],
        ["audit", "--help"],
        ["pos-client", "--help"],
        ["stock", "--help"],
        ["transfer", "--help"],
    ],
)
def test_command_is_wired_into_the_cli(command):
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def _use(network, monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STORENET_DB", network.url.render_as_string(hide_password=False))
    monkeypatch.setenv("STORENET_HOME", str(tmp_path / "home"))


@pytest.mark.parametrize(
    ("at", "reason"),
    [
        ("9999-12-31T23:30:00-01:00", "is out of range"),
        ("0001-01-01T00:30:00+01:00", "is out of range"),
        ("last tuesday", "must be an ISO 8601 time"),
    ],
)
def test_ledger_balance_at_a_bad_time_is_an_error_naming_at_not_a_traceback(
    network, monkeypatch, tmp_path, at, reason
):
    _use(network, monkeypatch, tmp_path)
    result = CliRunner().invoke(app, ["ledger", "balance", "S1", "--at", at])
    assert result.exit_code == 2, result.output
    assert f"--at: {reason}" in result.output
    assert isinstance(result.exception, SystemExit)


def test_close_day_for_tomorrow_is_an_error_naming_the_day(network, monkeypatch, tmp_path):
    _use(network, monkeypatch, tmp_path)
    tomorrow = datetime.now(ZoneInfo(Settings.from_env().market_tz)).date() + timedelta(days=1)
    result = CliRunner().invoke(app, ["close-day", "--date", tomorrow.isoformat()])
    assert result.exit_code == 2, result.output
    assert "day: is after today" in result.output


def test_close_day_with_a_date_that_is_not_one_is_an_error_naming_date(
    network, monkeypatch, tmp_path
):
    _use(network, monkeypatch, tmp_path)
    result = CliRunner().invoke(app, ["close-day", "--date", "2026-13-01"])
    assert result.exit_code == 2, result.output
    assert "--date: must be a day as YYYY-MM-DD" in result.output


def test_a_bad_environment_is_refused_before_any_command_runs(tmp_path):
    env = {"STORENET_HOME": str(tmp_path), "STORENET_PORT": "0"}
    result = CliRunner().invoke(app, ["ledger", "verify"], env=env)
    assert result.exit_code == 2
    assert "settings refused" in result.output and "port" in result.output
    assert not (tmp_path / "storenet.db").exists()
