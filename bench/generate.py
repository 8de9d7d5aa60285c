"""Time and peak memory of building the reference network (12,000 stores, 2,000 SKUs,
730 days of history), in a child process so its peak RSS is its own.

By default the child is the CLI, which generates the files and imports the master data
into SQLite (STORENET_HOME is a fresh temporary folder):

    python bench/generate.py --json /tmp/generate.json

`--files-only` runs only `storenet.datagen.generate` in the child (no import):

    python bench/generate.py --files-only --json /tmp/generate.json
    python bench/generate.py --files-only --stores 1000

Prints a table; `--json PATH` writes {"bench", "machine", "date", "params", "results"}.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

CHILD = """
import json, sys
from pathlib import Path
from storenet.datagen import NetworkSpec, generate
out, stores, skus, days, seed = sys.argv[1], *map(int, sys.argv[2:6])
spec = NetworkSpec(stores=stores, skus=skus, days=days, seed=seed)
net = generate(spec, Path(out))
print(json.dumps({"history_rows": net.history_rows, "stockout_rate": net.stockout_rate}))
"""


def machine() -> str:
    """Platform, CPU model and count, memory."""
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores, "
        f"{mem_gb:.0f} GB, Python {platform.python_version()}"
    )


def rows_and_bytes(paths: list[Path]) -> tuple[int, int]:
    """Total rows (from Parquet footers) and bytes of `paths`."""
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in paths)
    return rows, sum(p.stat().st_size for p in paths)


def run_child(args: argparse.Namespace, home: Path) -> tuple[float, float]:
    """Run the build in a child; returns (wall seconds, peak RSS of the child in GB)."""
    sizes = [str(args.stores), str(args.skus), str(args.days), str(args.seed)]
    env = dict(os.environ)
    if args.files_only:
        command = [sys.executable, "-c", CHILD, str(home), *sizes]
    else:
        env["STORENET_HOME"] = str(home)
        command = [sys.executable, "-m", "storenet", "generate"]
        for flag, value in zip(("--stores", "--skus", "--days", "--seed"), sizes, strict=True):
            command += [flag, value]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise SystemExit(f"the build failed (exit {done.returncode}): {' '.join(command[:4])} ...")
    # ru_maxrss is in KiB on Linux; RUSAGE_CHILDREN covers the (only) child waited for.
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, peak_kib * 1024 / 1e9


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
        help="run datagen.generate only, without the CLI import",
    )
    parser.add_argument(
        "--keep", type=Path, help="build here and keep the files (default: a temp dir)"
    )
    args = parser.parse_args()

    home = args.keep or Path(tempfile.mkdtemp(prefix="storenet-bench-generate-"))
    home.mkdir(parents=True, exist_ok=True)
    try:
        seconds, peak_gb = run_child(args, home)
        history = sorted(home.glob("**/history/month=*/*.parquet"))
        master = home / "master" if (home / "master").is_dir() else next(home.glob("**/master"))
        history_rows, history_bytes = rows_and_bytes(history)
        counts = {
            name: rows_and_bytes([master / f"{name}.parquet"])
            for name in ("assortment", "opening_stock", "opening_serials")
        }
        master_bytes = sum(p.stat().st_size for p in master.glob("*.parquet"))
        db = home / "storenet.db"
        db_bytes = db.stat().st_size if db.exists() else 0
    finally:
        if args.keep is None:
            shutil.rmtree(home, ignore_errors=True)

    results = [
        {"name": "reference_build_s", "value": round(seconds, 1), "unit": "s"},
        {"name": "reference_peak_rss_gb", "value": round(peak_gb, 2), "unit": "GB"},
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

    mode = "files only (datagen.generate)" if args.files_only else "CLI generate + import (SQLite)"
    print(f"{args.stores} stores x {args.skus} SKUs x {args.days} days, seed {args.seed}: {mode}")
    print(f"{'result':<26}{'value':>16}  unit")
    for r in results:
        value = r["value"]
        shown = f"{value:,}" if isinstance(value, int) else f"{value:,.3f}"
        print(f"{r['name']:<26}{shown:>16}  {r['unit']}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "bench": "generate",
                    "machine": machine(),
                    "date": datetime.now(UTC).isoformat(timespec="seconds"),
                    "params": {
                        "stores": args.stores,
                        "skus": args.skus,
                        "days": args.days,
                        "seed": args.seed,
                        "mode": "files-only" if args.files_only else "cli",
                    },
                    "results": results,
                },
                indent=2,
            )
        )
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
