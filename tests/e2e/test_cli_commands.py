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
