"""Writing a night's plan lines: the exception sections as partial indexes on
`plan_lines` (before migration 0020) against rows of their own (`plan_exceptions`).

    python bench/plan_write.py --lines 1000000 \
        --pg postgresql+psycopg://postgres@127.0.0.1:5432/night_bench --json /tmp/pw.json

Synthetic lines shaped like the reference night's (docs/benchmarks.md): one line per
pair in (store, SKU) order over 2,000 SKUs, 85% of them cut, 60% of pairs at risk, a
few in excess, the figures random (so an index keyed by one takes the lines in random
order). Each database is migrated fresh; then, alternating, `--repeat` times:

- *indexes*: the three partial indexes of migration 0007 put back on `plan_lines`;
  the lines written (COPY on PostgreSQL, one executemany on SQLite);
- *sections*: no such index; the lines written, then each section's head
  (`sections.write_sections`: HEAD rows each, sorted, and the floors);
- *neither*: the lines alone, no such index and no sections' rows (what the
  sections cost, either way, is the difference).

Each write goes into an emptied table in one transaction, committed; the time is its
wall time (the server's work included), with the process's CPU and the load average.
- *sections_sql*: every row of every section (no head), made by the database from
  the lines just written (`sections.add_sections_from_lines`).

On a shared machine the wall time says more about the neighbours than the write: the
CPU of this process and (PostgreSQL on this machine) of its server backend are
printed beside it. Results: plan_write_<N>_<db>_<way>_wall_s, _cpu_s and
_server_cpu_s (best of the repeats; all runs are printed).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
from record import write_json  # bench/record.py

PARTIAL = {
    "ix_plan_lines_at_risk": ("plan_id, shortfall, line_no", "shortfall > 0"),
    "ix_plan_lines_excess": ("plan_id, surplus, line_no", "surplus > 0"),
    "ix_plan_lines_cut": ("plan_id, cut_units, line_no", "cut_units > 0"),
}
SKUS = 2000


def lines_frame(n: int, seed: int = 1) -> pl.DataFrame:
    """`n` plan lines with the columns `line_frame.plan_frame` gives."""
    rng = np.random.default_rng(seed)
    line_no = np.arange(1, n + 1)
    store = (line_no - 1) // SKUS
    sku = (line_no - 1) % SKUS
    requested = rng.integers(1, 20, n)
    cut = rng.random(n) < 0.85
    qty = np.where(cut, (requested * rng.random(n)).astype(np.int64), requested)
    position = rng.integers(0, 30, n)
    target = position + requested
    forecast = np.round(rng.gamma(2.0, 6.0, n), 4)
    after = position + qty
    shortfall = np.where(rng.random(n) < 0.6, forecast - after, -1.0 - rng.random(n))
    surplus = np.where(rng.random(n) < 0.01, 2 * target + 1, after - target)
    return pl.DataFrame(
        {
            "line_no": line_no.astype(np.int32),
            "kind": "replenish",
            "source_id": pl.Series([f"W{s % 40:03d}" for s in range(n)]),
            "store_id": pl.Series([f"S{s:05d}" for s in store]),
            "sku_id": pl.Series([f"K{k:05d}" for k in sku]),
            "qty": qty.astype(np.int32),
            "planned_qty": qty.astype(np.int32),
            "forecast_mean": forecast,
            "forecast_quantile": (forecast * 1.5).astype(np.int32),
            "service_level": 0.95,
            "position": position.astype(np.int32),
            "target": target.astype(np.int32),
            "requested": requested.astype(np.int32),
            "cut_reason": np.where(cut, "scarce stock", ""),
            "water_level": pl.Series(np.where(cut, 0.5, np.nan)).fill_nan(None),
            "value": pl.Series([None] * n, dtype=pl.Float64),
            "transfer_no": store.astype(np.int32),
            "pair_first": np.ones(n, dtype=np.int16),
            "shortfall": shortfall,
            "surplus": surplus.astype(np.int32),
            "cut_units": np.where(cut, requested - qty, 0).astype(np.int32),
        }
    )


def one_write(engine, frame: pl.DataFrame, way: str) -> dict:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from storenet.planning.sections import add_sections_from_lines, write_sections
    from storenet.store.bulk import insert_frame
    from storenet.store.schema import plan_lines

    with engine.begin() as conn:
        for table in ("plan_exceptions", "plan_exception_floors", "plan_lines"):
            conn.execute(text(f"DELETE FROM {table}"))
        for name, (columns, where) in PARTIAL.items():
            conn.execute(text(f"DROP INDEX IF EXISTS {name}"))
            if way == "indexes":
                conn.execute(text(f"CREATE INDEX {name} ON plan_lines ({columns}) WHERE {where}"))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM plan_lines, plan_exceptions, plan_exception_floors"))
    load = os.getloadavg()[0]
    with engine.begin() as conn:
        backend = server_pid(conn)
        server, cpu, started = cpu_of(backend), time.process_time(), time.perf_counter()
        insert_frame(conn, plan_lines, frame, constants={"plan_id": "plan-2026-12-08"})
        if way == "sections":
            write_sections(conn, "plan-2026-12-08", frame)
        elif way == "sections_sql":
            add_sections_from_lines(conn, "plan-2026-12-08", "plan_id = :plan", {})
    wall = time.perf_counter() - started
    return {
        "wall_s": wall,
        "cpu_s": time.process_time() - cpu,
        "server_cpu_s": cpu_of(backend) - server,
        "load": max(load, os.getloadavg()[0]),
    }


def server_pid(conn) -> int | None:  # type: ignore[no-untyped-def]
    """The PostgreSQL backend's process id, when the server runs on this machine."""
    if conn.dialect.name != "postgresql":
        return None
    pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    return pid if Path(f"/proc/{pid}/stat").exists() else None


def cpu_of(pid: int | None) -> float:
    """CPU seconds (user + system) process `pid` has used; 0 without one."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--pg", help="an empty PostgreSQL database's URL")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--only", choices=["sqlite", "pg"], help="one database only")
    parser.add_argument(
        "--ways", nargs="+", default=["indexes", "sections", "neither"], help="what to time"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from sqlalchemy import insert, text

    from storenet.store.clock import utc_now
    from storenet.store.engine import open_engine
    from storenet.store.migrate import migrate
    from storenet.store.schema import plans

    frame = lines_frame(args.lines)
    sections = frame.filter(pl.col("cut_units") > 0).height
    print(f"{frame.height:,} lines, {sections:,} cut", flush=True)
    work = tempfile.TemporaryDirectory(prefix="plan_write_")
    databases = {"sqlite": f"sqlite:///{work.name}/bench.db"}
    if args.pg:
        databases["pg"] = args.pg
    if args.only:
        databases = {args.only: databases[args.only]}
    results = []
    for db, url in databases.items():
        engine = open_engine(url)
        migrate(engine)
        with engine.begin() as conn:
            # An earlier run's plan, if the database is reused.
            for table in ("plan_exceptions", "plan_exception_floors", "plan_lines", "plans"):
                conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(
                insert(plans).values(
                    id="plan-2026-12-08",
                    for_day=date(2026, 12, 8),
                    status="draft",
                    created_at=utc_now(),
                    summary="{}",
                )
            )
        best: dict[str, float] = {}
        for _ in range(args.repeat):
            for way in args.ways:
                got = one_write(engine, frame, way)
                print(
                    f"{db} {way}: {got['wall_s']:.2f} s wall, {got['cpu_s']:.2f} s CPU, "
                    f"server {got['server_cpu_s']:.2f} s CPU, load {got['load']:.1f}",
                    flush=True,
                )
                for figure in ("wall_s", "cpu_s", "server_cpu_s"):
                    key = f"{way}_{figure}"
                    best[key] = min(best.get(key, float("inf")), got[figure])
        for key, seconds in best.items():
            name = f"plan_write_{args.lines}_{db}_{key}"
            results.append({"name": name, "value": round(seconds, 3), "unit": "s"})
        engine.dispose()
    if args.json:
        write_json(args.json, "plan_write", results, load_average=os.getloadavg()[0])


if __name__ == "__main__":
    main()
