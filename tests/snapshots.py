"""Seeded test databases built once per process and copied into each test.

Some fixtures seed a database by generating a network, importing it, playing days and
planning: seconds of work, the same every time. `seed_from_snapshot` does that work
once per process and database kind, keeps the result (the database and the home
folder the seeding wrote), and gives every test a copy of both: a byte copy of the
SQLite file, or on PostgreSQL every row and sequence copied into the test's own schema
(tests.databases). Each test therefore starts on exactly what its fixture would have
built, and what it writes stays its own.
"""

from __future__ import annotations

import atexit
import copy
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from storenet.store.engine import open_engine
from tests.databases import schema_of, schema_pool, schema_url, sqlite_engine


@dataclass(frozen=True)
class Snapshot:
    """A seeded database of one kind and the home folder seeded with it."""

    home: Path
    database: str  # the SQLite file, or the PostgreSQL schema
    value: Any  # what the seeding returned


_snapshots: dict[tuple[str, str, str], Snapshot] = {}
_folder: Path | None = None


def _snapshot_folder() -> Path:
    global _folder
    if _folder is None:
        _folder = Path(tempfile.mkdtemp(prefix="storenet-snapshots-"))
        atexit.register(shutil.rmtree, _folder, ignore_errors=True)
    return _folder


def _pg_url(engine: Engine) -> str:
    """The server URL `engine`'s pool was made for (its schema option removed)."""
    url = engine.url.render_as_string(hide_password=False)
    return url.split("&options=")[0].split("?options=")[0]


def _build(name: str, engine: Engine, seed: Callable[[Engine, Path], Any]) -> Snapshot:
    kind = engine.dialect.name
    folder = Path(tempfile.mkdtemp(prefix=f"{name}-{kind}-", dir=_snapshot_folder()))
    home = folder / "home"
    home.mkdir()
    if kind == "sqlite":
        built = sqlite_engine(folder)
        database = str(folder / "storenet.db")
    else:
        pool = schema_pool(_pg_url(engine))
        database = pool.acquire()  # kept until the pool is closed: never handed out
        built = open_engine(schema_url(pool.pg_url, database))
    try:
        value = seed(built, home)
    finally:
        built.dispose()
    # The copy is faithful only if nothing the seeding wrote names where it was built.
    marker = str(home).encode()
    for path in [*home.rglob("*"), *([Path(database)] if kind == "sqlite" else [])]:
        if path.is_file():
            assert marker not in path.read_bytes(), f"{path} names its snapshot folder"
    return Snapshot(home=home, database=database, value=value)


def seed_from_snapshot(
    name: str, engine: Engine, home: Path, seed: Callable[[Engine, Path], Any]
) -> Any:
    """Make `engine`'s (empty, migrated) database and the folder `home` what
    `seed(engine, home)` makes of them, and return a copy of what it returns.

    `seed` runs once per process for each `name` and database kind, on a database and
    home folder of its own; it must depend on nothing but its two arguments (the
    build checks that no file it wrote names the folder it was built in). `engine` is
    disposed first: it must have no connection in use.
    """
    kind = engine.dialect.name
    key = (name, kind, _pg_url(engine) if kind == "postgresql" else "")
    if key not in _snapshots:
        _snapshots[key] = _build(name, engine, seed)
    snap = _snapshots[key]
    engine.dispose()
    if kind == "sqlite":
        target = Path(engine.url.database)
        for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copyfile(snap.database, target)
    else:
        schema_pool(key[2]).copy_rows(snap.database, schema_of(engine))
    shutil.copytree(snap.home, home, dirs_exist_ok=True)
    return copy.deepcopy(snap.value)
