"""Recall holds started over the API, run as background jobs (storenet.http.jobs), so
creating a campaign of a million units answers at once (202) while its hold proceeds.

A campaign's latest hold is one JSON file under the home (`recall-holds/<id>.json`,
every worker sharing the home reads it): status ("running", "done", "failed"), stage,
done and total (in locations), then the units held by serial and by quantity. One hold
per campaign at a time (a lock file per campaign): a second start while one runs
answers the running one; campaigns hold side by side. Each batch of locations commits
on its own (`storenet.recall.hold.hold_campaign`), so the funnel's `not_held` falls as
the hold goes; a hold cut short (the worker stopped) is answered as failed, and
creating the campaign again (same name) starts it again, finishing it.
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
from storenet.http.jobs import JobRunner, Progress
from storenet.http.problems import Conflict
from storenet.http.service import Service
from storenet.recall.hold import hold_campaign

CAMPAIGN_ID = re.compile(r"RC-[0-9a-f]{12}")


def _stamp(value: Any) -> Any:
    """Times as ISO strings with offset, to the second."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC).isoformat(timespec="seconds")
    return value


class HoldFiles:
    """The campaigns' latest holds under `folder`, one JSON file per campaign (a
    JobStore whose job id is the campaign id)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._update_lock = threading.Lock()

    def _path(self, campaign_id: str) -> Path:
        if not CAMPAIGN_ID.fullmatch(campaign_id):
            raise NotFound("recall hold", campaign_id)
        return self.folder / f"{campaign_id}.json"

    def _write(self, job: dict) -> None:
        path = self._path(job["id"])
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps({k: _stamp(v) for k, v in job.items()}))
        os.replace(tmp, path)

    def create(self, job: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write({"finished_at": None, "seconds": None, "error": None, **job})

    def update(self, job_id: str, values: dict) -> None:
        with self._update_lock:  # only the hold's own thread writes its file
            self._write({**self.get(job_id), **values})

    def get(self, job_id: str) -> dict:
        try:
            return json.loads(self._path(job_id).read_text())
        except FileNotFoundError as error:
            raise NotFound("recall hold", job_id) from error


def _folder(svc: Service) -> Path:
    return svc.settings.home / "recall-holds"


def _runner(svc: Service, campaign_id: str) -> JobRunner:
    """The runner of campaign `campaign_id`'s holds: one at a time per campaign."""
    folder = _folder(svc)
    return svc.runner(
        f"recall-hold:{campaign_id}",
        lambda: JobRunner("recall hold", folder / f"{campaign_id}.lock", HoldFiles(folder)),
    )


def start_hold(svc: Service, actor: str, campaign_id: str) -> dict:
    """Hold campaign `campaign_id`'s units in the background (the caller created it,
    or found it by name, under recall.write, audited); answers the hold as stored, or
    the hold already running for it."""

    def work(progress: Progress) -> dict:
        held = hold_campaign(
            svc.engine, campaign_id, lambda done, total: progress("holding", done, total)
        )
        return {"locations": held["locations"], "serials": held["serials"], "units": held["units"]}

    runner = _runner(svc, campaign_id)
    try:
        return runner.start({"id": campaign_id, "started_by": actor}, work)
    except Conflict:  # a hold of this campaign runs already: that one is the answer
        return runner.get(campaign_id)


def hold_of(svc: Service, campaign_id: str) -> dict | None:
    """Campaign `campaign_id`'s latest hold started over the API, or None (never
    started there: the command line holds in its own process). A hold still
    "running" whose worker stopped is answered as failed."""
    try:
        job = HoldFiles(_folder(svc)).get(campaign_id)
    except NotFound:
        return None
    return _runner(svc, campaign_id).get(campaign_id) if job["status"] == "running" else job
