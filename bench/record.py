"""What every benchmark records beside its figures: the machine it ran on, and the
`--json` file (`{"bench", "machine", "date", ..., "results": [{"name", "value",
"unit"}]}`)."""

from __future__ import annotations

import json
import os
import platform
from datetime import date
from pathlib import Path


def machine() -> str:
    """Platform, CPU model and count, memory, Python version."""
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


def write_json(path: Path, bench: str, results: list[dict], **extra: object) -> None:
    """Write the benchmark's record to `path`: its name, this machine, today's date,
    any `extra` fields (settings, command), then `results`."""
    doc = {"bench": bench, "machine": machine(), "date": date.today().isoformat(), **extra}
    doc["results"] = results
    Path(path).write_text(json.dumps(doc, indent=2) + "\n")
