"""End to end: `storenet serve` in its own process, the first administrator from
`storenet users create-admin`, a login over HTTP, `storenet audit verify`."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import typer
from typer.testing import CliRunner

from storenet.cli_service import register
from tests.integration.api.server import free_port

# storenet/cli.py wires cli_service in; here the module's own commands are enough.
CLI = (
    "import typer; from storenet.cli_service import register; "
    "app = typer.Typer(); register(app); app()"
)


def _cli() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def main() -> None:  # a group, so subcommands keep their names
        pass

    return app


def test_serve_create_admin_login_and_verify_the_audit_trail(tmp_path, monkeypatch):
    env = {**os.environ, "STORENET_HOME": str(tmp_path), "STORENET_ENV": "development"}
    env.pop("STORENET_DB", None)
    for key, value in env.items():
        if key.startswith("STORENET_"):
            monkeypatch.setenv(key, value)
    monkeypatch.delenv("STORENET_DB", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    runner = CliRunner()
    made = runner.invoke(
        _cli(),
        ["users", "create-admin", "root", "--password-stdin"],
        input="a long admin password\n",
    )
    assert made.exit_code == 0, made.output
    again = runner.invoke(
        _cli(),
        ["users", "create-admin", "root2", "--password-stdin"],
        input="a long admin password\n",
    )
    assert again.exit_code == 1  # there is no second "first" administrator
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", CLI, "serve", "--port", str(port)], env=env, cwd=tmp_path
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{url}/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "storenet serve did not start"
                time.sleep(0.2)
        login = httpx.post(
            f"{url}/auth/login", json={"username": "root", "password": "a long admin password"}
        )
        assert login.status_code == 200
        token = login.json()["token"]
        me = httpx.get(f"{url}/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["role"] == "administrator"
    finally:
        server.terminate()
        server.wait(timeout=30)
    verified = runner.invoke(_cli(), ["audit", "verify"])
    assert verified.exit_code == 0 and "intact" in verified.output


def test_serve_refuses_a_placeholder_secret_in_production(tmp_path):
    env = {
        **os.environ,
        "STORENET_HOME": str(tmp_path),
        "STORENET_ENV": "production",
        "STORENET_SECRET_KEY": "changethis",
    }
    done = subprocess.run(
        [sys.executable, "-c", CLI, "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "STORENET_SECRET_KEY" in done.stdout + done.stderr
