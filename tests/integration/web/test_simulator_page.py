"""The simulator page over HTTP: a planner compares policies on the current network and
sees the frontier and the KPIs; a run writes nothing; who may view and who may start."""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import time

import httpx
from sqlalchemy import func, select

from storenet.accounts.roles import allowed
from storenet.planning import compare
from storenet.store.schema import balances, movements, plan_jobs, plan_lines, plans

HTMX = {"HX-Request": "true"}


def _ledger_and_plans(engine, home) -> tuple:  # type: ignore[no-untyped-def]
    """Everything a simulation must leave alone: movements, balances, plans, plan
    jobs, and the planner's saved demand state."""
    with engine.connect() as conn:
        counts = tuple(
            conn.execute(select(func.count()).select_from(t)).scalar()
            for t in (movements, plans, plan_lines, plan_jobs)
        )
        last_movement = conn.execute(select(func.max(movements.c.id))).scalar()
        stock = conn.execute(
            select(balances).order_by(balances.c.location_id, balances.c.sku_id)
        ).all()
        plan_rows = conn.execute(select(plans).order_by(plans.c.id)).all()
    state = home / "planning" / "demand.npz"
    return (
        counts,
        last_movement,
        hashlib.sha256(repr(stock).encode()).hexdigest(),
        repr(plan_rows),
        state.read_bytes() if state.exists() else None,
    )


def _wait_until_done(client: httpx.Client, run_id: str, seconds: float = 180) -> str:
    deadline = time.monotonic() + seconds
    while True:
        html = client.get(f"/console/simulator/runs/{run_id}", headers=HTMX).text
        status = re.search(r'id="sim-run" data-run="[^"]+" data-status="(\w+)"', html).group(1)
        if status != "running":
            return html
        assert time.monotonic() < deadline, "the simulation did not finish"
        assert "<progress" in html and 'hx-trigger="every 1s"' in html
        time.sleep(0.3)


def _chart(html: str) -> dict:
    block = re.search(
        r'<script type="application/json" id="frontier-data-[^"]+">(.*?)</script>', html
    )
    return json.loads(block.group(1))


def _shown(html: str, policy: str, kpi: str) -> str:
    row = re.search(rf'<tr data-policy="{policy}" data-setting="default">(.*?)</tr>', html, re.S)
    return re.search(rf'data-kpi="{kpi}">([^<]+)<', row.group(1)).group(1)


def test_a_planner_compares_policies_and_sees_the_frontier_and_the_kpis(console, tmp_path):
    before = _ledger_and_plans(console.engine, tmp_path)
    with console.sign_in("planner") as c:
        page = c.get("/console/simulator")
        assert page.status_code == 200
        assert '<h1 id="simulator-h">Simulator</h1>' in page.text
        assert 'id="sim-form"' in page.text and 'for="sim-days"' in page.text
        assert "No simulation has run yet." in page.text

        # While another run holds the run lock (here, by hand), a start is refused.
        lock_path = tmp_path / "simulations" / "running.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a+") as held:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            busy = c.post(
                "/console/simulator/runs",
                data={"policy": ["storenet", "minmax"], "days": "3"},
                headers=HTMX,
            )
        assert busy.status_code == 409
        assert "A simulation is already running" in busy.text
        assert busy.headers["HX-Retarget"] == "#sim-notice"

        refused = c.post(
            "/console/simulator/runs", data={"policy": ["storenet"], "days": "99"}, headers=HTMX
        )
        assert refused.status_code == 422 and "from 1 to 56" in refused.text

        started = c.post(
            "/console/simulator/runs",
            data={"policy": ["storenet", "minmax"], "days": "3"},
            headers=HTMX,
        )
        assert started.status_code == 200, started.text
        run_id = re.search(r'data-run="(sim-[0-9a-f]+)"', started.text).group(1)
        html = _wait_until_done(c, run_id)
        # The page shows the latest run too, and a GET changes nothing.
        whole = c.get("/console/simulator").text
        assert f'data-run="{run_id}" data-status="done"' in whole

    assert 'data-status="done"' in html, html
    chart = _chart(html)
    assert chart["type"] == "scatter"
    labels = [d["label"] for d in chart["data"]["datasets"]]
    assert labels == ["storenet", "minmax"]
    shapes = {d["pointStyle"] for d in chart["data"]["datasets"]}
    assert len(shapes) == 2  # not colour alone
    assert "up and to the left is better" in html
    assert 'id="sim-kpis"' in html and 'id="sim-params"' in html

    # The same comparison through the domain function gives the figures shown.
    expected = compare.compare_current(
        console.engine, tmp_path / "history", ["storenet", "minmax"], days=3
    ).points()
    for point, dataset in zip(expected, chart["data"]["datasets"], strict=True):
        assert point["policy"] == dataset["label"]
        assert dataset["data"] == [
            {"x": point["inventory_days"], "y": point["fill_rate"], "setting": point["setting"]}
        ]
        name = point["policy"]
        assert _shown(html, name, "fill_rate") == f"{100 * point['fill_rate']:.2f}%"
        assert _shown(html, name, "inventory_days") == f"{point['inventory_days']:,.2f}"
        assert _shown(html, name, "stockout_rate") == f"{100 * point['stockout_rate']:.2f}%"
        assert _shown(html, name, "turnover") == f"{point['turnover']:,.3f}"
        assert _shown(html, name, "units_sold") == f"{point['units_sold']:,}"
    assert 0 < expected[0]["fill_rate"] <= 1

    # The run wrote nothing to the ledger, the plans or the planner's state.
    assert _ledger_and_plans(console.engine, tmp_path) == before


def test_who_may_view_and_who_may_start_a_simulation(console):
    start = {"policy": ["minmax"], "days": "2"}
    with console.sign_in("auditor") as c:
        page = c.get("/console/simulator")
        assert page.status_code == 200
        assert 'id="sim-form"' not in page.text and 'id="sim-view-only"' in page.text
        refused = c.post("/console/simulator/runs", data=start, headers=HTMX)
        assert refused.status_code == 403
    # A simulation is network-wide: roles that see part of the network never see it,
    # even a regional manager who may read plan lines of their region.
    assert allowed(console.people["rm"]["role"], "plan.read")
    for name in ("owner", "sm", "rm"):
        with console.sign_in(name) as c:
            page = c.get("/console/simulator")
            assert page.status_code == 403, name
            assert 'href="/console/simulator"' not in c.get("/console/").text, name
            assert c.post("/console/simulator/runs", data=start, headers=HTMX).status_code == 403
    with console.sign_in("planner") as c:
        without_csrf = {k: v for k, v in c.headers.items() if k.lower() != "x-csrf-token"}
        with httpx.Client(base_url=console.url, headers=without_csrf) as bare:
            answer = bare.post("/console/simulator/runs", data=start, headers=HTMX)
        assert answer.status_code == 403
        assert 'data-status="running"' not in c.get("/console/simulator").text
        assert c.get("/console/simulator/runs/sim-0000000000000000").status_code == 404
        assert c.get("/console/simulator/runs/..%2Fstorenet.db").status_code == 404
