"""Time and peak memory of building the reference network (12,000 stores, 2,000 SKUs,
730 days of history), in a child process so its peak RSS is its own.

By default the child does what `storenet generate` does (`storenet.demo.build_network`
on a migrated database): it generates the files, then imports the master data and the
opening stock with `import_folder`. STORENET_HOME is a fresh temporary folder and the
database is SQLite in it, or `--db URL` (an empty PostgreSQL database, say):

    python bench/generate.py --json /tmp/generate.json
    python bench/generate.py --db postgresql+psycopg://postgres@127.0.0.1:5432/refbuild

`--files-only` runs only `storenet.datagen.generate` in the child (no database):

    python bench/generate.py --files-only --json /tmp/generate.json
    python bench/generate.py --files-only --stores 1000

The child shows a progress bar on a terminal, else one line per stage. Peak RSS is the
larger of the child's own high-water mark and the sampled sum over the child and its
descendants; on PostgreSQL the server backends' high-water mark is reported apart.
Prints a table; `--json PATH` writes {"bench", "machine", "date", "params", "results"}.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
from record import write_json  # bench/record.py
from sqlalchemy import create_engine, inspect, text

SAMPLE_S = 0.2
COUNTED_TABLES = ("stores", "skus", "assortment", "movements", "movement_serials", "serials")


# --- the child ---------------------------------------------------------------------


def child_main(argv: list[str]) -> None:
    """Build in this process and print {"generate_s", "import_s", ...} as JSON last."""
    mode, out, stores, skus, days, seed = argv[0], Path(argv[1]), *map(int, argv[2:6])
    from storenet.datagen import NetworkSpec, generate

    with progress_callback() as tell:
        if mode == "files":
            net = generate(NetworkSpec(stores, skus, days, seed), out, progress=tell)
            generate_s, import_s, db_url = net.seconds, 0.0, ""
        else:
            from datetime import date

            from storenet.demo import build_network
            from storenet.settings import Settings
            from storenet.store.engine import open_engine
            from storenet.store.migrate import migrate

            settings = Settings.from_env()
            engine = open_engine(settings.db_url)
            migrate(engine)
            built = build_network(
                settings,
                engine,
                stores=stores,
                skus=skus,
                days=days,
                seed=seed,
                end=date(2026, 11, 22),
                progress=tell,
            )
            engine.dispose()
            net, report = built["generated"], built["imported"]
            generate_s, import_s, db_url = net.seconds, report.seconds, settings.db_url
    print(
        json.dumps(
            {
                "generate_s": generate_s,
                "import_s": import_s,
                "history_rows": net.history_rows,
                "db_url": db_url,
            }
        )
    )


class progress_callback:  # noqa: N801 (used as a context manager, like a function)
    """`(stage, done, total)` progress: a Rich bar on a terminal, else a line per stage
    when it starts and when it ends (for logs)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.bar = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.bar = Progress(
                TextColumn("{task.description:<28}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )
        self.tasks: dict[str, int] = {}
        self.finished: set[str] = set()

    def __enter__(self) -> Callable[[str, int, int], None]:
        if self.bar is not None:
            self.bar.__enter__()
        return self.tell

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def tell(self, stage: str, done: int, total: int) -> None:
        if self.bar is not None:
            if stage not in self.tasks:
                self.tasks[stage] = self.bar.add_task(stage, total=total)
            self.bar.update(self.tasks[stage], completed=done, total=total)
            return
        at = time.monotonic() - self.started
        rss = proc_kib(os.getpid(), "VmRSS") / 1e6
        if stage not in self.tasks:
            self.tasks[stage] = 0
            print(f"{at:8.1f} s {rss:5.2f} GB  {stage}: started", file=sys.stderr, flush=True)
        if done >= total and stage not in self.finished:
            self.finished.add(stage)
            print(
                f"{at:8.1f} s {rss:5.2f} GB  {stage}: done ({total:,})", file=sys.stderr, flush=True
            )


# --- the parent --------------------------------------------------------------------


def rows_and_bytes(paths: list[Path]) -> tuple[int, int]:
    """Total rows (from Parquet footers) and bytes of `paths`."""
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in paths)
    return rows, sum(p.stat().st_size for p in paths)


def proc_kib(pid: int, field: str) -> int:
    """`field` (VmRSS, VmHWM) of process `pid` in KiB; 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo += parents.get(p, [])
    return tree


class Sampler(threading.Thread):
    """Samples, until stopped, the summed RSS of a process tree and the high-water mark
    of PostgreSQL backends serving `db_url`'s database (if any)."""

    def __init__(self, pid: int, db_url: str | None) -> None:
        super().__init__(daemon=True)
        self.pid, self.db_url = pid, db_url
        self.tree_peak_kib = 0
        self.backend_peak_kib = 0
        self.stop = threading.Event()

    def run(self) -> None:
        engine = create_engine(self.db_url) if self.db_url else None
        while not self.stop.wait(SAMPLE_S):
            total = sum(proc_kib(p, "VmRSS") for p in descendants(self.pid))
            self.tree_peak_kib = max(self.tree_peak_kib, total)
            if engine is not None:
                self.backend_peak_kib = max(self.backend_peak_kib, self._backends(engine))
        if engine is not None:
            engine.dispose()

    @staticmethod
    def _backends(engine) -> int:  # type: ignore[no-untyped-def]
        # The sampler's own backend is left out; VmHWM counts shared buffers touched.
        with engine.connect() as conn:
            pids = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                )
            ).scalars()
            return max((proc_kib(p, "VmHWM") for p in pids), default=0)


def run_child(args: argparse.Namespace, home: Path) -> dict:
    """Run the build in a child; returns its JSON plus wall seconds and peak RSS (GB)."""
    sizes = [str(args.stores), str(args.skus), str(args.days), str(args.seed)]
    env = dict(os.environ, STORENET_HOME=str(home))
    if args.db:
        env["STORENET_DB"] = args.db
    else:
        env.pop("STORENET_DB", None)
    mode = "files" if args.files_only else "cli"
    command = [sys.executable, __file__, "--child", mode, str(home), *sizes]
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    sampler = Sampler(child.pid, args.db if args.db and not args.files_only else None)
    sampler.start()
    stdout, _ = child.communicate()
    seconds = time.perf_counter() - started
    sampler.stop.set()
    sampler.join()
    if child.returncode != 0:
        sys.stderr.write(stdout[-4000:])
        raise SystemExit(f"the build failed (exit {child.returncode}): {' '.join(command[:4])}")
    # ru_maxrss is in KiB on Linux: the largest high-water mark of a waited-for child.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    own_kib = usage.ru_maxrss
    out = json.loads(stdout.strip().splitlines()[-1])
    out["wall_s"] = seconds
    # CPU seconds of the child: on a shared machine, steadier than the wall clock.
    out["cpu_s"] = usage.ru_utime + usage.ru_stime
    out["peak_gb"] = max(own_kib, sampler.tree_peak_kib) * 1024 / 1e9
    out["backend_peak_gb"] = sampler.backend_peak_kib * 1024 / 1e9
    return out


def table_counts(url: str) -> dict[str, int]:
    """Rows in the tables the import fills."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                for t in COUNTED_TABLES
            }
    finally:
        engine.dispose()


def refuse_unless_empty(url: str) -> None:
    """A build into a database that already holds stores would be a re-import."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if (
                inspect(conn).has_table("stores")
                and conn.execute(text("SELECT 1 FROM stores LIMIT 1")).first()
            ):
                raise SystemExit(f"{url} already holds stores: give an empty database")
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", type=int, default=12_000)
    parser.add_argument("--skus", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="write results here")
    parser.add_argument(
        "--files-only",
        action="store_true",
        help="run datagen.generate only, without the import",
    )
    parser.add_argument("--db", help="database URL (default: SQLite in the build folder)")
    parser.add_argument(
        "--keep", type=Path, help="build here and keep the files (default: a temp dir)"
    )
    args = parser.parse_args()

    if args.db and not args.files_only:
        refuse_unless_empty(args.db)
    home = args.keep or Path(tempfile.mkdtemp(prefix="storenet-bench-generate-"))
    home.mkdir(parents=True, exist_ok=True)
    try:
        child = run_child(args, home)
        history = sorted(home.glob("**/history/month=*/*.parquet"))
        master = home / "master"
        history_rows, history_bytes = rows_and_bytes(history)
        counts = {
            name: rows_and_bytes([master / f"{name}.parquet"])
            for name in ("assortment", "opening_stock", "opening_serials")
        }
        master_bytes = sum(p.stat().st_size for p in master.glob("*.parquet"))
        db = home / "storenet.db"
        db_bytes = db.stat().st_size if db.exists() else 0
        in_db = table_counts(child["db_url"]) if child["db_url"] else {}
    finally:
        if args.keep is None:
            shutil.rmtree(home, ignore_errors=True)

    seconds = child["wall_s"]
    results = [
        {"name": "reference_build_s", "value": round(seconds, 1), "unit": "s"},
        {"name": "reference_peak_rss_gb", "value": round(child["peak_gb"], 2), "unit": "GB"},
        {"name": "build_cpu_s", "value": round(child["cpu_s"], 1), "unit": "s"},
        {"name": "generate_s", "value": round(child["generate_s"], 1), "unit": "s"},
    ]
    if not args.files_only:
        results.append({"name": "import_s", "value": round(child["import_s"], 1), "unit": "s"})
    if child["backend_peak_gb"]:
        results.append(
            {
                "name": "postgres_backend_peak_rss_gb",
                "value": round(child["backend_peak_gb"], 2),
                "unit": "GB",
            }
        )
    results += [
        {"name": "assortment_pairs", "value": counts["assortment"][0], "unit": "pairs"},
        {"name": "history_rows", "value": history_rows, "unit": "rows"},
        {"name": "history_rows_per_s", "value": round(history_rows / seconds), "unit": "rows/s"},
        {"name": "history_disk_gb", "value": round(history_bytes / 1e9, 3), "unit": "GB"},
        {
            "name": "history_bytes_per_row",
            "value": round(history_bytes / max(history_rows, 1), 2),
            "unit": "B",
        },
        {"name": "master_disk_mb", "value": round(master_bytes / 1e6, 1), "unit": "MB"},
        {"name": "opening_stock_rows", "value": counts["opening_stock"][0], "unit": "rows"},
        {"name": "opening_serials", "value": counts["opening_serials"][0], "unit": "rows"},
    ]
    if db_bytes:
        results.append({"name": "sqlite_db_gb", "value": round(db_bytes / 1e9, 3), "unit": "GB"})
    results += [{"name": f"db_{t}_rows", "value": n, "unit": "rows"} for t, n in in_db.items()]

    database = "" if args.files_only else ("PostgreSQL" if args.db else "SQLite")
    mode = "files only (datagen.generate)" if args.files_only else f"generate + import ({database})"
    print(f"{args.stores} stores x {args.skus} SKUs x {args.days} days, seed {args.seed}: {mode}")
    print(f"{'result':<30}{'value':>16}  unit")
    for r in results:
        value = r["value"]
        shown = f"{value:,}" if isinstance(value, int) else f"{value:,.3f}"
        print(f"{r['name']:<30}{shown:>16}  {r['unit']}")
    if args.json:
        write_json(
            args.json,
            "generate",
            results,
            params={
                "stores": args.stores,
                "skus": args.skus,
                "days": args.days,
                "seed": args.seed,
                "mode": "files-only" if args.files_only else "cli",
                "database": database.lower(),
            },
        )
        print(f"wrote {args.json}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child_main(sys.argv[2:])
    else:
        main()
