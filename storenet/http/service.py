"""The service object every route and page shares: settings, engine, transactions."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

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
    _jobs: dict[str, Any] = field(default_factory=dict, repr=False)
    _jobs_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run `work` on a read-only connection (never takes SQLite's write lock)."""
        with reading(self.engine) as conn:
            return work(conn)

    def write(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one transaction, retried whole on serialization failures."""
        return unit_of_work(self.engine, work)

    def runner(self, kind: str, make: Callable[[], T]) -> T:
        """This service's job runner of `kind` (storenet.http.jobs.JobRunner), made by
        `make()` the first time: one per kind, so the requests of this worker share
        its running jobs (to cancel them)."""
        with self._jobs_lock:
            if kind not in self._jobs:
                self._jobs[kind] = make()
            return self._jobs[kind]


def get_service(request: Request) -> Service:
    """The service of the app serving `request`."""
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(get_service)]
