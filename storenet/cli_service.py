"""`storenet serve`, `storenet users create-admin`, `storenet audit verify`,
`storenet pos-client`: thin commands over storenet.api, storenet.accounts,
storenet.audit and storenet.pos_client."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer
from rich.console import Console

from storenet.errors import Refused

users_app = typer.Typer(help="Accounts: the first administrator (there is no default one).")
audit_app = typer.Typer(help="The audit trail.")
console = Console()


def register(app: typer.Typer) -> None:
    """Add `serve`, `users`, `audit` and `pos-client` to `app`."""
    app.command("serve")(serve)
    app.command("pos-client")(pos_client)
    app.add_typer(users_app, name="users")
    app.add_typer(audit_app, name="audit")


def _engine():  # type: ignore[no-untyped-def]
    from storenet.settings import Settings
    from storenet.store.engine import open_engine
    from storenet.store.migrate import migrate

    settings = Settings.from_env()
    engine = open_engine(settings.db_url)
    migrate(engine)
    return settings, engine


def serve(
    host: str = typer.Option(None, help="address to listen on (STORENET_HOST)"),
    port: int = typer.Option(None, help="port (STORENET_PORT)"),
    workers: int = typer.Option(None, help="worker processes (STORENET_WORKERS)"),
) -> None:
    """Run the HTTP API (OpenAPI at /openapi.json) on the configured database."""
    import uvicorn

    # Workers build their settings from the environment: pass overrides through it.
    for name, value in (("HOST", host), ("PORT", port), ("WORKERS", workers)):
        if value is not None:
            os.environ[f"STORENET_{name}"] = str(value)
    try:
        settings, engine = _engine()
    except ValueError as error:  # pydantic's refusal of the settings
        console.print(f"[red]settings refused:[/] {error}")
        raise typer.Exit(2) from error
    engine.dispose()
    uvicorn.run(
        "storenet.serve.app:create_app_from_env",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level="warning",
        access_log=False,
    )


@users_app.command("create-admin")
def create_admin(
    username: str = typer.Argument(..., help="the administrator's username"),
    password_stdin: bool = typer.Option(False, help="read the password from standard input"),
) -> None:
    """Create the first administrator (refused if an enabled one exists)."""
    from storenet.accounts.users import create_first_admin
    from storenet.store.engine import unit_of_work

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    _, engine = _engine()
    try:
        user = unit_of_work(engine, lambda conn: create_first_admin(conn, username, password))
    except Refused as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(1) from error
    console.print(f"administrator {user['username']!r} created (id {user['id']})")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit chain; exits 1 naming every edit, gap or cut tail."""
    from storenet.audit.verify import verify_chain
    from storenet.store.engine import reading

    _, engine = _engine()
    with reading(engine) as conn:
        problems = verify_chain(conn)
    if problems:
        for problem in problems:
            console.print(f"[red]{problem}[/]")
        raise typer.Exit(1)
    console.print("audit chain intact")


def pos_client(
    outbox: Path = typer.Option(..., help="the till's outbox folder"),
    url: str = typer.Option("http://127.0.0.1:8000", help="the storenet service"),
    token: str = typer.Option(..., envvar="STORENET_POS_TOKEN", help="the device token"),
    lines_file: Path = typer.Option(None, "--lines", help="JSON Lines of POS lines to spool"),
    batch_size: int = typer.Option(500, min=1, max=10000),
) -> None:
    """Spool POS lines (if given) to the outbox, then send every pending batch until
    acknowledged. Unsent batches stay on disk for the next run."""
    import httpx

    from storenet.pos_client import Outbox, send_pending, spool_lines

    box = Outbox(outbox)
    if lines_file is not None:
        lines = [json.loads(t) for t in lines_file.read_text().splitlines() if t.strip()]
        spool_lines(box, lines, batch_size)
    with httpx.Client(base_url=url, timeout=30) as client:
        report = send_pending(box, client, token)
    console.print(
        f"acknowledged {report.acknowledged}, refused {report.refused}, "
        f"retries {report.retries}, still pending {report.pending}"
    )
    if report.unauthorized:
        console.print("[red]the service refused the device token[/]")
    if report.pending or report.refused:
        raise typer.Exit(1)
