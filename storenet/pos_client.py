"""A reference POS client: batches are written to an outbox on disk before they are
sent, and removed only when the server has acknowledged them.

Each batch file carries its own Idempotency-Key, chosen once when the batch is
spooled, so a resend after a crash or a dropped connection is a replay the server
answers without writing twice. Outbox layout (one folder per till):

    outbox/pending/<seq>-<key>.json   waiting for an acknowledgement
    outbox/refused/<seq>-<key>.json   refused by the server (422): kept for a person,
                                      with the server's problem document beside it

A file is written to a temporary name, flushed and renamed, so a crash mid-write never
leaves half a batch that looks complete.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

RETRY_STATUSES = {408, 409, 425, 429, 500, 502, 503, 504}


@dataclass
class SendReport:
    """What one `send_pending` run did."""

    acknowledged: int = 0
    refused: int = 0
    retries: int = 0
    pending: int = 0
    unauthorized: bool = False
    answers: list[dict] = field(default_factory=list)


class Outbox:
    """The till's folder of batches not yet acknowledged."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.pending_dir = self.root / "pending"
        self.refused_dir = self.root / "refused"
        self.pending_dir.mkdir(parents=True, exist_ok=True)
        self.refused_dir.mkdir(parents=True, exist_ok=True)

    def spool(self, lines: list[dict], key: str | None = None) -> Path:
        """Write one batch (durably) under a new Idempotency-Key; returns its file."""
        key = key or uuid.uuid4().hex
        seq = time.time_ns()
        path = self.pending_dir / f"{seq:020d}-{key}.json"
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump({"key": key, "lines": lines}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        return path

    def pending(self) -> list[Path]:
        """Batches waiting for an acknowledgement, oldest first."""
        return sorted(self.pending_dir.glob("*.json"))


def spool_lines(outbox: Outbox, lines: list[dict], batch_size: int) -> list[Path]:
    """Cut `lines` into batches of at most `batch_size` and spool each."""
    return [outbox.spool(lines[i : i + batch_size]) for i in range(0, len(lines), batch_size)]


def send_pending(
    outbox: Outbox,
    client: httpx.Client,
    token: str,
    *,
    max_attempts: int = 8,
    sleep: Callable[[float], None] = time.sleep,
) -> SendReport:
    """Send every pending batch, oldest first, until each is acknowledged (2xx: file
    removed), refused (422/400: moved to refused/), or `max_attempts` tries have failed
    on network errors or retryable answers (it stays pending for the next run). A
    refused token (401/403) stops the run with every batch still pending."""
    report = SendReport()
    for path in outbox.pending():
        batch = json.loads(path.read_text(encoding="utf-8"))
        for attempt in range(1, max_attempts + 1):
            try:
                answer = client.post(
                    "/pos/batches",
                    json={"lines": batch["lines"]},
                    headers={"Idempotency-Key": batch["key"], "Authorization": f"Bearer {token}"},
                )
            except httpx.TransportError:
                report.retries += 1
                sleep(min(5.0, 0.05 * 2**attempt))
                continue
            if answer.status_code in RETRY_STATUSES:
                report.retries += 1
                wait = float(answer.headers.get("Retry-After", 0.05 * 2**attempt))
                sleep(min(30.0, wait))
                continue
            if answer.status_code in (401, 403):
                # The device's token is refused: no batch is at fault; keep them all.
                report.pending = len(outbox.pending())
                report.unauthorized = True
                return report
            if 200 <= answer.status_code < 300:
                report.answers.append(answer.json())
                path.unlink()
                report.acknowledged += 1
            else:
                (outbox.refused_dir / (path.stem + ".problem.json")).write_text(answer.text)
                os.replace(path, outbox.refused_dir / path.name)
                report.refused += 1
            break
    report.pending = len(outbox.pending())
    return report
