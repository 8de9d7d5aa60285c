"""A POS sender in a process of its own, for the crash tests (RELIABILITY 9). Not a test.

    python pos_child.py DATABASE_URL BATCHES_JSON CONTROL_DIR

Sends every batch of BATCHES_JSON (a list of {"key", "lines"}) in order, one
`unit_of_work` each, and prints "<key> <answer as JSON>" once a batch has committed.

The environment variable STORENET_CHILD_FAULT = "<fault>:<k>" makes it fail at batch
number k (0-based), at a seam inside storenet's posting: after the batch's sale lines
and movements are inserted and before the balances change.

- ``pause:k``: write CONTROL_DIR/paused and wait (transaction open) until
  CONTROL_DIR/go exists, then carry on; the parent does the harm in between
  (SIGKILL, terminating the server connection, restarting the server).
- ``exit:k``: die on the spot with os._exit(137), transaction open.
- ``kill-after:k``: after batch k has committed and been printed, SIGKILL itself.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import storenet.ledger.posting as posting
from storenet.sales.ingest import ingest_pos_batch
from storenet.store.engine import open_engine, unit_of_work


def main() -> None:
    url, batches_file, control = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    fault, _, at = os.environ.get("STORENET_CHILD_FAULT", "none:-1").partition(":")
    fault_batch = int(at)
    batches = json.loads(batches_file.read_text())
    current = {"batch": -1}
    real_apply = posting.apply_deltas

    def apply_with_a_fault(*args, **kwargs):
        if current["batch"] == fault_batch and fault == "pause":
            (control / "paused").write_text(str(os.getpid()))
            deadline = time.monotonic() + 60
            while not (control / "go").exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        if current["batch"] == fault_batch and fault == "exit":
            os._exit(137)
        return real_apply(*args, **kwargs)

    posting.apply_deltas = apply_with_a_fault
    engine = open_engine(url)
    for n, batch in enumerate(batches):
        current["batch"] = n
        answer = unit_of_work(
            engine, lambda c, b=batch: ingest_pos_batch(c, key=b["key"], lines=b["lines"])
        )
        print(batch["key"], json.dumps(answer, sort_keys=True), flush=True)
        if n == fault_batch and fault == "kill-after":
            os.kill(os.getpid(), signal.SIGKILL)
    engine.dispose()


if __name__ == "__main__":
    main()
