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

import re
from pathlib import Path

from storenet.errors import NotFound
from storenet.http.job_files import JobFiles
from storenet.http.jobs import JobRunner, Progress
from storenet.http.problems import Conflict
from storenet.http.service import Service
from storenet.recall.hold import hold_campaign

CAMPAIGN_ID = re.compile(r"RC-[0-9a-f]{12}")


def hold_files(folder: Path) -> JobFiles:
    """The campaigns' latest holds under `folder`, one JSON file per campaign (the job
    id is the campaign id)."""
    defaults = {"finished_at": None, "seconds": None, "error": None}
    return JobFiles(folder, CAMPAIGN_ID, "recall hold", defaults)


def _folder(svc: Service) -> Path:
    return svc.settings.home / "recall-holds"


def _runner(svc: Service, campaign_id: str) -> JobRunner:
    """The runner of campaign `campaign_id`'s holds: one at a time per campaign."""
    folder = _folder(svc)
    return svc.runner(
        f"recall-hold:{campaign_id}",
        lambda: JobRunner("recall hold", folder / f"{campaign_id}.lock", hold_files(folder)),
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
        job = hold_files(_folder(svc)).get(campaign_id)
    except NotFound:
        return None
    return _runner(svc, campaign_id).get(campaign_id) if job["status"] == "running" else job
