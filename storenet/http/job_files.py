"""Background jobs kept as JSON files under the home, one file a job (a `JobStore` of
storenet.http.jobs): simulation runs and recall holds.

Every worker sharing the home reads the same files. A write goes through a temporary
file and a rename, so a reader never sees half a job. Times are stored as ISO strings
with offset, to the second (as the pages show them). A job id must match the kind's
pattern before it names a file, so no request can reach outside the folder.
"""

from __future__ import annotations

import json
import os
import re
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storenet.errors import NotFound


def stamp(value: Any) -> Any:
    """A naive UTC datetime as an ISO string with offset, to the second; anything
    else unchanged."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC).isoformat(timespec="seconds")
    return value


class JobFiles:
    """The jobs of one kind under `folder`, `<id>.json` each; ids match `pattern`,
    and an unknown or malformed id is NotFound(`noun`). `defaults` are the values a
    new job starts with unless it gives its own."""

    def __init__(self, folder: Path, pattern: re.Pattern[str], noun: str, defaults: dict) -> None:
        self.folder = Path(folder)
        self.pattern = pattern
        self.noun = noun
        self.defaults = defaults
        self._update_lock = threading.Lock()

    def path(self, job_id: str) -> Path:
        """The file of job `job_id`; NotFound for an id the kind cannot have."""
        if not self.pattern.fullmatch(job_id):
            raise NotFound(self.noun, job_id)
        return self.folder / f"{job_id}.json"

    def _write(self, job: dict) -> None:
        path = self.path(job["id"])
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps({k: stamp(v) for k, v in job.items()}))
        os.replace(tmp, path)

    def create(self, job: dict) -> None:
        """Write a new job: the kind's defaults, then `job`'s values."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write({**self.defaults, **job})

    def update(self, job_id: str, values: dict) -> None:
        """Change some of a job's values (only the job's own thread writes it)."""
        with self._update_lock:
            self._write({**self.get(job_id), **values})

    def get(self, job_id: str) -> dict:
        """One job as stored; NotFound if there is none."""
        try:
            return json.loads(self.path(job_id).read_text())
        except FileNotFoundError as error:
            raise NotFound(self.noun, job_id) from error
