"""Server time of every console page on the reference network, on PostgreSQL.

    python bench/console.py --db postgresql+psycopg://postgres@127.0.0.1:5432/refbuild \\
        --home /tmp/refhome --json /tmp/console.json

`--db` must hold a network imported by `storenet generate` / `bench/generate.py --db`
(12,000 stores, 2,000 SKUs, seed 1 by default). `--home` is a working folder: the
generated files are regenerated into <home>/gen when missing (same seed: the same
network), and <home>/history holds the last --history-days of them, from which the
planner learns (a first plan fitted from all 730 days would take the bench a quarter
of an hour and measures nothing about the console).

Preparation (once; skipped when already done): the daily figures the nightly close
writes (`store_days`, `region_days`) are backfilled for the last --figure-days days
from the generated history (units and revenue per store and day, stock-out pairs from
the history's empty listed pairs, listed pairs from the assortment, on hand from
today's balances: the values are plausible, the row counts are those of a real
network), targets are set, one person per role is created, and tonight's plan is run
and saved with the real planner.

Then `storenet serve` (one worker) is started and each page is requested --warm times,
then --requests times, signed in as the role that would use it. The figure is the
`Server-Timing: app;dur=` header the console adds (handler and template, no network);
the client's round trip is reported beside it. Result: slowest_page_p95_ms, and one
p95 per page.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import polars as pl
from record import write_json  # bench/record.py
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select, text

from storenet.accounts.users import create_user
from storenet.closing import FIGURES
from storenet.datagen import NetworkSpec, generate
from storenet.demo import set_demo_targets
from storenet.network.ownership import change_region_manager
from storenet.planning.documents import get_plan
from storenet.planning.service import run_plan
from storenet.sales.history import read_history
from storenet.settings import Settings
from storenet.store.engine import open_engine, reading, unit_of_work
from storenet.store.migrate import migrate
from storenet.store.schema import (
    plans,
    region_days,
    skus,
    store_days,
    store_owners,
    stores,
    users,
)

PASSWORD = "bench password " + "x" * 8
out = Console()


def ensure_files(home: Path, spec: NetworkSpec, history_days: int) -> Settings:
    """The generated files under <home>/gen, and <home>/history holding the months
    that cover the last `history_days` days (symlinks)."""
    gen = home / "gen"
    if not (gen / "history").exists():
        out.print(f"generating the files into {gen} (seed {spec.seed})")
        generate(spec, gen)
    history = home / "history"
    if not history.exists():
        history.mkdir(parents=True)
        first = spec.end - timedelta(days=history_days - 1)
        for month in sorted((gen / "history").glob("month=*")):
            if month.name >= f"month={first:%Y-%m}":
                (history / month.name).symlink_to(month.resolve())
    return Settings(home=home, db_url="", market_tz="Asia/Shanghai")


def backfill_figures(engine, settings: Settings, last: date, days: int) -> int:  # type: ignore[no-untyped-def]
    """Write store_days/region_days for the `days` days to `last` from the history
    (module docstring). Returns rows written."""
    first = last - timedelta(days=days - 1)
    sales = (
        read_history(settings.history_dir, first, last)
        .group_by("store_id", "day")
        .agg(
            pl.col("units").sum().alias("units_sold"),
            pl.col("revenue_cents").sum(),
            (pl.col("closing_on_hand") <= 0).sum().alias("stockout_pairs"),
        )
        .collect()
    )
    with reading(engine) as conn:
        listed = pl.DataFrame(
            conn.execute(text("SELECT store_id, COUNT(*) FROM assortment GROUP BY store_id")).all(),
            schema={"store_id": pl.String, "listed_pairs": pl.Int64},
            orient="row",
        )
        held = pl.DataFrame(
            conn.execute(
                text(
                    "SELECT l.store_id, SUM(b.on_hand) FROM balances b JOIN locations l "
                    "ON l.id = b.location_id WHERE l.store_id IS NOT NULL GROUP BY l.store_id"
                )
            ).all(),
            schema={"store_id": pl.String, "on_hand_units": pl.Int64},
            orient="row",
        )
        region_of = pl.DataFrame(
            conn.execute(select(stores.c.id, stores.c.region_id)).all(),
            schema={"store_id": pl.String, "region_id": pl.String},
            orient="row",
        )
    figures = (
        sales.join(listed, on="store_id", how="inner")
        .join(held, on="store_id", how="left")
        .with_columns(
            pl.col("on_hand_units").fill_null(0),
            pl.lit(0.0).alias("lost_units_est"),
            pl.lit(0).alias("received_units"),
            pl.lit(0).alias("aged_units"),
        )
    )
    columns = ["store_id", "day", *FIGURES]
    regions = (
        figures.join(region_of, on="store_id")
        .group_by("region_id", "day")
        .agg(pl.len().alias("stores"), *[pl.col(c).sum() for c in columns[2:]])
    )
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            for table, frame, names in (
                ("store_days", figures, columns),
                ("region_days", regions, ["region_id", "day", "stores", *columns[2:]]),
            ):
                with cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                    for row in frame.select(names).iter_rows():
                        copy.write_row(row)
        raw.commit()
    finally:
        raw.close()
    return figures.height + regions.height


def people(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """One person per role the pages serve (created once); name -> role."""

    def work(conn):  # type: ignore[no-untyped-def]
        if conn.execute(select(users.c.id).where(users.c.username == "b_planner")).first():
            return
        owner = conn.execute(
            select(store_owners.c.franchisee_id)
            .where(store_owners.c.valid_to.is_(None), store_owners.c.franchisee_id.is_not(None))
            .group_by(store_owners.c.franchisee_id)
            .order_by(func.count().desc())
        ).first()
        region = conn.execute(select(func.min(stores.c.region_id))).scalar()
        store = conn.execute(
            select(func.min(stores.c.id)).where(stores.c.status == "open")
        ).scalar()
        create_user(conn, actor="bench", username="b_planner", role="hq_planner", password=PASSWORD)
        create_user(
            conn, actor="bench", username="b_rm", role="regional_manager", password=PASSWORD
        )
        change_region_manager(conn, region, "b_rm", datetime.now(UTC))
        create_user(
            conn,
            actor="bench",
            username="b_owner",
            role="franchise_owner",
            franchisee_id=owner.franchisee_id,
            password=PASSWORD,
        )
        create_user(
            conn,
            actor="bench",
            username="b_sm",
            role="store_manager",
            store_id=store,
            password=PASSWORD,
        )

    unit_of_work(engine, work)
    return {
        "b_planner": "hq_planner",
        "b_rm": "regional_manager",
        "b_owner": "franchise_owner",
        "b_sm": "store_manager",
    }


def prepare(engine, settings: Settings, last: date, figure_days: int, replan: bool) -> str:  # type: ignore[no-untyped-def]
    """Everything the pages read (module docstring); returns tonight's plan id.
    `replan`: run tonight's plan again even if one is saved (a draft is replaced)."""
    with reading(engine) as conn:
        have = conn.execute(select(func.count()).select_from(store_days)).scalar()
        plan_id = conn.execute(select(func.max(plans.c.id))).scalar()
    if not have:
        started = time.monotonic()
        n = backfill_figures(engine, settings, last, figure_days)
        out.print(f"daily figures: {n:,} rows in {time.monotonic() - started:.0f} s")
        unit_of_work(engine, lambda c: set_demo_targets(c, settings, last))
    if plan_id is None or replan:
        started = time.monotonic()
        header, _ = run_plan(settings, engine, last + timedelta(days=1))
        plan_id = header["id"]
        out.print(f"plan {plan_id}: {time.monotonic() - started:.0f} s")
    return plan_id


def start_server(db_url: str, home: Path) -> tuple[subprocess.Popen, str]:
    port = 8700 + secrets.randbelow(200)
    env = {
        **os.environ,
        "STORENET_DB": db_url,
        "STORENET_HOME": str(home),
        "STORENET_PORT": str(port),
        "STORENET_WORKERS": "1",
        "STORENET_COOKIE_SECURE": "false",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "storenet", "serve"], env=env, stdout=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/openapi.json", timeout=2)
            return server, url
        except httpx.HTTPError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("storenet serve did not start")


def signed_in(url: str, name: str) -> httpx.Client:
    with httpx.Client(base_url=url, timeout=120) as form:
        answer = form.post("/console/sign-in", data={"username": name, "password": PASSWORD})
    if answer.status_code != 303:
        raise SystemExit(f"sign-in as {name} failed: {answer.status_code}")
    cookies = {c.name: c.value for c in answer.cookies.jar}
    return httpx.Client(
        base_url=url,
        timeout=120,
        headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())},
    )


def pages(engine, plan_id: str) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """(name, who, path) of every page and fragment measured."""
    with reading(engine) as conn:
        store = conn.execute(
            select(func.min(stores.c.id)).where(stores.c.status == "open")
        ).scalar()
        sku = conn.execute(select(func.min(skus.c.id))).scalar()
        owned = conn.execute(
            select(store_owners.c.store_id)
            .join(users, users.c.franchisee_id == store_owners.c.franchisee_id)
            .where(users.c.username == "b_owner", store_owners.c.valid_to.is_(None))
        ).first()[0]
        category = conn.execute(select(func.min(skus.c.category))).scalar()
        serial = conn.execute(text("SELECT MIN(serial) FROM serials")).scalar()
    return [
        ("overview (network)", "b_planner", "/console/"),
        ("overview (map by stock-outs)", "b_planner", "/console/?colour=stockout"),
        ("overview (region)", "b_rm", "/console/"),
        ("overview (franchisee)", "b_owner", "/console/"),
        ("plans", "b_planner", "/console/plans"),
        ("plan review", "b_planner", f"/console/plans/{plan_id}"),
        ("plan review (region)", "b_rm", f"/console/plans/{plan_id}"),
        ("plan: at-risk list", "b_planner", f"/console/plans/{plan_id}?show=at_risk"),
        (
            "plan: cut list, page 200",
            "b_planner",
            f"/console/plans/{plan_id}?show=cut&offset=10000",
        ),
        ("plan: one store's lines", "b_planner", f"/console/plans/{plan_id}?store={store}"),
        ("stores", "b_planner", "/console/stores"),
        ("store", "b_planner", f"/console/stores/{store}"),
        ("store (owner)", "b_owner", f"/console/stores/{owned}"),
        (
            "store: a category's SKUs",
            "b_planner",
            f"/console/stores/{store}/stock?category={category}",
        ),
        ("products", "b_planner", "/console/products"),
        ("product", "b_planner", f"/console/products/{sku}"),
        ("product (owner)", "b_owner", f"/console/products/{sku}"),
        ("serial look-up", "b_planner", f"/console/products/serials?serial={serial}"),
        ("simulator", "b_planner", "/console/simulator"),
    ]


def measure(url: str, targets: list[tuple[str, str, str]], warm: int, requests: int) -> list[dict]:
    clients: dict[str, httpx.Client] = {}
    rows = []
    for name, who, path in targets:
        client = clients.get(who) or clients.setdefault(who, signed_in(url, who))
        server_ms, round_ms, size, status = [], [], 0, 0
        for i in range(warm + requests):
            started = time.perf_counter()
            answer = client.get(path)
            took = (time.perf_counter() - started) * 1000
            status = answer.status_code
            timing = answer.headers.get("server-timing", "")
            if i >= warm and "dur=" in timing:
                server_ms.append(float(timing.split("dur=")[1].split(",")[0]))
                round_ms.append(took)
                size = len(answer.content)
        rows.append(
            {
                "page": name,
                "path": path,
                "status": status,
                "p50_ms": float(np.percentile(server_ms, 50)) if server_ms else float("nan"),
                "p95_ms": float(np.percentile(server_ms, 95)) if server_ms else float("nan"),
                "round_p95_ms": float(np.percentile(round_ms, 95)) if round_ms else float("nan"),
                "kb": size / 1024,
            }
        )
    for client in clients.values():
        client.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="PostgreSQL URL of the imported network")
    parser.add_argument("--home", type=Path, required=True, help="working folder (kept)")
    parser.add_argument("--stores", type=int, default=12000)
    parser.add_argument("--skus", type=int, default=2000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--history-days", type=int, default=90)
    parser.add_argument("--figure-days", type=int, default=90)
    parser.add_argument("--warm", type=int, default=2)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--replan", action="store_true", help="run tonight's plan again")
    parser.add_argument("--json", type=Path, help="write results here")
    args = parser.parse_args()

    spec = NetworkSpec(stores=args.stores, skus=args.skus, days=args.days, seed=args.seed)
    args.home.mkdir(parents=True, exist_ok=True)
    settings = ensure_files(args.home, spec, args.history_days)
    settings = Settings(home=args.home.resolve(), db_url=args.db, market_tz=settings.market_tz)
    engine = open_engine(args.db)
    migrate(engine)
    with reading(engine) as conn:
        n_stores = conn.execute(select(func.count()).select_from(stores)).scalar()
    if not n_stores:
        raise SystemExit(f"{args.db} holds no network: build it with bench/generate.py --db")
    plan_id = prepare(engine, settings, spec.end, args.figure_days, args.replan)
    people(engine)
    targets = pages(engine, plan_id)
    with reading(engine) as conn:
        lines = conn.execute(
            text("SELECT COUNT(*) FROM plan_lines WHERE plan_id = :p"), {"p": plan_id}
        ).scalar()
        figure_rows = conn.execute(select(func.count()).select_from(store_days)).scalar()
        region_rows = conn.execute(select(func.count()).select_from(region_days)).scalar()
    plan_status = get_plan_status(engine, plan_id)
    engine.dispose()
    server, url = start_server(args.db, settings.home)
    try:
        rows = measure(url, targets, args.warm, args.requests)
    finally:
        server.terminate()
        server.wait(timeout=30)

    table = Table(
        title=f"Console on {n_stores:,} stores, PostgreSQL: server time per page "
        f"({args.requests} requests after {args.warm} warm-up; plan {plan_id}: "
        f"{lines:,} lines, {plan_status})"
    )
    for column in ("page", "status", "p50 ms", "p95 ms", "round trip p95 ms", "KB"):
        table.add_column(column, justify="left" if column == "page" else "right")
    for r in rows:
        table.add_row(
            r["page"],
            str(r["status"]),
            f"{r['p50_ms']:.1f}",
            f"{r['p95_ms']:.1f}",
            f"{r['round_p95_ms']:.1f}",
            f"{r['kb']:.0f}",
        )
    out.print(table)
    slowest = max(rows, key=lambda r: r["p95_ms"])
    out.print(
        f"slowest_page_p95_ms {slowest['p95_ms']:.1f} ({slowest['page']}); goal under 300 ms; "
        f"daily figures: {figure_rows:,} store rows, {region_rows:,} region rows"
    )
    bad = [r["page"] for r in rows if r["status"] != 200]
    if bad:
        out.print(f"[red]pages that did not answer 200: {bad}[/]")
    if args.json:
        results = [
            {"name": "slowest_page_p95_ms", "value": round(slowest["p95_ms"], 1), "unit": "ms"}
        ]
        results += [
            {"name": f"p95_ms[{r['page']}]", "value": round(r["p95_ms"], 1), "unit": "ms"}
            for r in rows
        ]
        results += [
            {"name": "stores", "value": n_stores, "unit": "stores"},
            {"name": "plan_lines", "value": lines, "unit": "lines"},
            {"name": "store_day_rows", "value": figure_rows, "unit": "rows"},
        ]
        write_json(args.json, "console", results, params={k: str(v) for k, v in vars(args).items()})
        out.print(f"wrote {args.json}")


def get_plan_status(engine, plan_id: str) -> str:  # type: ignore[no-untyped-def]
    with reading(engine) as conn:
        return get_plan(conn, plan_id)["status"]


if __name__ == "__main__":
    main()
