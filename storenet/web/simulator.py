"""The console's simulator page: compare replenishment policies on the current network
and show their fill-rate vs inventory-days frontier.

A run replays the last days of the sales history against each chosen policy
(`storenet.planning.compare.compare_current`, the same code as `storenet simulate`) as
a background job of the worker that accepted it (storenet.http.jobs: progress,
cancellation, one run at a time, 409 while one runs). It is read-only: the network is
read once on a read-only connection; nothing is written to the ledger, the plan tables
or the planner's demand state.

Where a run lives. Its state (status, stage, progress, parameters, then the KPI points
or the error) is one JSON file, ``<home>/simulations/<run id>.json``, replaced
atomically at each update, so with several uvicorn workers any worker answers for any
run, and results survive a restart. The run lock is
``<home>/simulations/running.lock``. The newest `KEEP_RUNS` runs are kept.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from storenet.accounts.errors import Denied
from storenet.accounts.principal import Principal
from storenet.accounts.roles import NETWORK_WIDE, allowed
from storenet.errors import StorenetError
from storenet.http.job_files import JobFiles
from storenet.http.jobs import JobRunner
from storenet.http.problems import Conflict
from storenet.http.service import Service, ServiceDep
from storenet.planning import compare
from storenet.planning.simulate import SWEEPS
from storenet.web.charts import PALETTE
from storenet.web.layout import PREFIX, Viewer, render

router = APIRouter(include_in_schema=False)

MAX_DAYS = 56
DEFAULT_DAYS = 14
KEEP_RUNS = 20
POLICY_LABELS = {
    "storenet": "storenet (nightly plan)",
    "minmax": "min/max (ERP reorder rule)",
    "statsforecast": "statsforecast (forecast peer)",
}
# Colour, marker shape and dash per policy: never colour alone.
POLICY_STYLE = {
    "storenet": (PALETTE[0], "circle", []),
    "minmax": (PALETTE[5], "triangle", [6, 4]),
    "statsforecast": (PALETTE[2], "rect", [2, 3]),
}
RUN_ID = re.compile(r"sim-[0-9a-f]{16}")


# -- runs: one JSON file each --------------------------------------------------------


class SimulationFiles(JobFiles):
    """The simulation runs kept under `folder`, one JSON file each (a JobStore), the
    newest KEEP_RUNS of them. Each run is a dict: id, status ("running", "done",
    "failed"), stage, done, total, params, started_by, started_at, finished_at,
    seconds, error, result."""

    def __init__(self, folder: Path) -> None:
        defaults = {"finished_at": None, "seconds": None, "error": None, "result": None}
        super().__init__(folder, RUN_ID, "simulation", defaults)

    def create(self, job: dict) -> None:
        """Write a new run, then forget the oldest beyond KEEP_RUNS."""
        super().create(job)
        self._prune()

    def recent(self, limit: int = 10) -> list[dict]:
        """The newest runs first (id, status, started_at, started_by, params)."""
        runs = []
        for path in self.folder.glob("sim-*.json"):
            with suppress(OSError, ValueError):
                runs.append(json.loads(path.read_text()))
        runs.sort(key=lambda r: r["started_at"], reverse=True)
        return runs[:limit]

    def _prune(self) -> None:
        paths = sorted(self.folder.glob("sim-*.json"), key=lambda p: p.stat().st_mtime)
        for path in paths[:-KEEP_RUNS]:
            with suppress(OSError):
                path.unlink()


def _folder(svc: Service) -> Path:
    return svc.settings.home / "simulations"


def runs_of(svc: Service) -> JobRunner:
    """The runner of the simulations kept under the service's home."""
    folder = _folder(svc)
    # A history too short to replay is the simulator's ValueError: shown, not logged.
    return svc.runner(
        "simulation",
        lambda: JobRunner(
            "simulation",
            folder / "running.lock",
            SimulationFiles(folder),
            refusals=(StorenetError, ValueError),
        ),
    )


# -- what the page shows ---------------------------------------------------------------


def setting_label(point: dict) -> str:
    """A run's setting in words ("defaults", "defaults (safety factor 1.5)", "service
    level 0.9") from its KPI point (`compare.Comparison.points`)."""
    setting = point["setting"]
    named = (
        ""
        if setting is None
        else f"{compare.SETTING_NAMES.get(point['policy'], 'setting')} {setting:g}"
    )
    if point["default_settings"]:
        return f"defaults ({named})" if named else "defaults"
    return named


def frontier_chart(points: list[dict], sweep: bool) -> dict:
    """A Chart.js scatter chart, x inventory days, y fill rate: one series per policy
    (its sweep points joined by a line in sweep order, or its default run without the
    sweep), and
    with the sweep each policy's default run as a larger star. Each policy has its own
    colour, marker shape and dash."""
    datasets = []
    policies = list(dict.fromkeys(p["policy"] for p in points))
    for name in policies:
        colour, shape, dash = POLICY_STYLE.get(name, (PALETTE[3], "rectRot", []))
        mine = [p for p in points if p["policy"] == name]
        # Joined in sweep order: the line shows where raising the setting leads.
        swept = sorted((p for p in mine if not p["default_settings"]), key=lambda p: p["setting"])
        defaults = [p for p in mine if p["default_settings"]]
        frontier = swept if sweep and swept else defaults
        datasets.append(
            {
                "label": name,
                "data": [
                    {"x": p["inventory_days"], "y": p["fill_rate"], "setting": p["setting"]}
                    for p in frontier
                ],
                "showLine": bool(sweep and swept),
                "borderColor": colour,
                "backgroundColor": colour,
                "borderDash": dash,
                "pointStyle": shape,
                "pointRadius": 5,
                "pointHoverRadius": 7,
            }
        )
        if sweep and swept:
            datasets.append(
                {
                    "label": f"{name} at default settings",
                    "data": [{"x": p["inventory_days"], "y": p["fill_rate"]} for p in defaults],
                    "showLine": False,
                    "borderColor": colour,
                    "backgroundColor": "#ffffff",
                    "pointStyle": "star",
                    "pointRadius": 10,
                    "pointBorderWidth": 2,
                }
            )
    return {
        "type": "scatter",
        "data": {"datasets": datasets},
        "options": {
            "animation": False,
            "maintainAspectRatio": False,
            "plugins": {"legend": {"labels": {"usePointStyle": True}}},
            "scales": {
                "x": {
                    "title": {
                        "display": True,
                        "text": "Inventory days (average on hand / average daily sales)",
                    }
                },
                "y": {
                    "title": {"display": True, "text": "Fill rate (units sold / units demanded)"},
                    "ticks": {"format": {"style": "percent"}},
                },
            },
        },
    }


@dataclass(frozen=True)
class RunView:
    """A run as the page shows it."""

    run: dict
    chart: dict | None
    percent: int

    @property
    def id(self) -> str:
        return self.run["id"]


def run_view(run: dict) -> RunView:
    """The chart and progress of `run` for the templates."""
    chart = None
    if run["status"] == "done":
        chart = frontier_chart(run["result"]["points"], run["result"]["summary"]["sweep"])
    total = run.get("total") or 0
    percent = int(100 * run["done"] / total) if total else 0
    return RunView(run=run, chart=chart, percent=percent)


def _require(who: Principal, action: str) -> None:
    """`action` must be allowed, and the role must see the whole network: a
    simulation replays every store, so its figures are network-wide."""
    if not allowed(who.role, action):
        raise Denied(action, reason=f"the role {who.role} may not do {action}")
    if who.role not in NETWORK_WIDE:
        raise Denied(action, reason="simulations cover the whole network; your role sees part")


def _page(
    request: Request, who: Principal, svc: Service, shown: dict | None, **extra: Any
) -> Response:
    recent = SimulationFiles(_folder(svc)).recent()
    if shown is None and recent:
        shown = runs_of(svc).get(recent[0]["id"])
    return render(
        request,
        "simulator.html",
        who,
        may_run=allowed(who.role, "plan.write"),
        policies=compare.available_policies(),
        labels=POLICY_LABELS,
        max_days=MAX_DAYS,
        default_days=DEFAULT_DAYS,
        sweep_sizes={name: len(SWEEPS[name]) for name in compare.available_policies()},
        view=run_view(shown) if shown else None,
        recent=recent,
        setting_label=setting_label,
        **extra,
    )


def _notice(
    request: Request, who: Principal, status: int, title: str, lines: list[str]
) -> Response:
    """A refusal of the start form, shown next to it (not in place of the latest run)."""
    answer = render(request, "simulator_notice.html", who, status=status, title=title, lines=lines)
    answer.headers["HX-Retarget"] = "#sim-notice"
    answer.headers["HX-Reswap"] = "innerHTML"
    return answer


# -- routes ----------------------------------------------------------------------------


@router.get(PREFIX + "/simulator")
def simulator_page(request: Request, who: Viewer, svc: ServiceDep) -> Response:
    """The form (for roles that may plan) and the latest run: its progress while it
    runs, then its frontier and KPI table. Reads only."""
    _require(who, "plan.read")
    return _page(request, who, svc, None)


@router.post(PREFIX + "/simulator/runs")
def start_run(
    request: Request,
    who: Viewer,
    svc: ServiceDep,
    policy: Annotated[list[str] | None, Form()] = None,
    days: Annotated[str, Form(max_length=20)] = str(DEFAULT_DAYS),
    sweep: Annotated[str | None, Form(max_length=10)] = None,
) -> Response:
    """Start a comparison (htmx): answers the run's progress fragment, 409 while
    another run is going, 422 for unusable input."""
    _require(who, "plan.write")
    names = [p for p in (policy or []) if p in compare.available_policies()]
    problems = []
    if not names:
        problems.append("Choose at least one policy to compare.")
    try:
        n_days = int(days)
    except ValueError:
        n_days = 0
    if not 1 <= n_days <= MAX_DAYS:
        problems.append(f"Days to replay must be a whole number from 1 to {MAX_DAYS}.")
    if problems:
        return _notice(request, who, 422, "Not started", problems)
    swept = sweep is not None
    params = {"policies": names, "days": n_days, "sweep": swept}
    engine, history_dir = svc.engine, svc.settings.history_dir

    def work(progress: Callable[[str, int, int], None]) -> dict:
        result = compare.compare_current(engine, history_dir, names, n_days, swept, progress)
        return {"result": {"summary": result.summary(), "points": result.points()}}

    try:
        job = {"id": f"sim-{uuid.uuid4().hex[:16]}", "started_by": who.username, "params": params}
        run = runs_of(svc).start(job, work)
    except Conflict:
        return _notice(
            request,
            who,
            409,
            "A simulation is already running",
            ["Only one simulation runs at a time: wait for it to finish, then start yours."],
        )
    return render(
        request,
        "simulator_run.html",
        who,
        view=run_view(run),
        setting_label=setting_label,
        clear_notice=True,
    )


@router.get(PREFIX + "/simulator/runs/{run_id}")
def run_page(request: Request, run_id: str, who: Viewer, svc: ServiceDep) -> Response:
    """One run: the fragment htmx polls (progress until done, then the results), or
    the whole page when opened directly."""
    _require(who, "plan.read")
    run = runs_of(svc).get(run_id)
    if request.headers.get("HX-Request"):
        return render(
            request, "simulator_run.html", who, view=run_view(run), setting_label=setting_label
        )
    return _page(request, who, svc, run)
