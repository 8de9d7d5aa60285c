"""Every command group is reachable from the one `storenet` entry point."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from storenet.cli import app


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
    ],
)
def test_command_is_wired_into_the_cli(command):
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_a_bad_environment_is_refused_before_any_command_runs(tmp_path):
    env = {"STORENET_HOME": str(tmp_path), "STORENET_PORT": "0"}
    result = CliRunner().invoke(app, ["ledger", "verify"], env=env)
    assert result.exit_code == 2
    assert "settings refused" in result.output and "port" in result.output
    assert not (tmp_path / "storenet.db").exists()
