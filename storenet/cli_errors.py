"""How the command groups acting as a named user (`storenet po`, `storenet recall`)
report a refusal: one red line on stderr, exit code 2."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

from storenet.accounts.errors import Denied
from storenet.errors import StorenetError


def fail(error: StorenetError) -> NoReturn:
    """Print `error` on stderr and exit 2. A Denied that hides its object says "not
    found", as the API answers 404, so a refusal tells nobody what exists."""
    text = str(error)
    if isinstance(error, Denied):
        text = f"{error.kind} {error.target!r} not found" if error.hidden else error.reason
    Console(stderr=True).print(f"[bold red]error[/]: {text}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)
