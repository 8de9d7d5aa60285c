"""The service object every route and page shares: settings, engine, transactions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine

from storenet.settings import Settings
from storenet.store.engine import reading, unit_of_work

T = TypeVar("T")


@dataclass
class Service:
    """Everything the routes share, made once per process by the app factory."""

    settings: Settings
    engine: Engine

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run `work` on a read-only connection (never takes SQLite's write lock)."""
        with reading(self.engine) as conn:
            return work(conn)

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one transaction, retried whole on serialization failures."""
        return unit_of_work(self.engine, work)


def get_service(request: Request) -> Service:
    """The service of the app serving `request`."""
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(get_service)]
