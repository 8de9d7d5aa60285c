"""RELIABILITY 9: crash and restart while a day of POS sales is ingested.

A child process (pos_child.py) sends a day of POS batches with fixed keys and is made
to fail at a seeded point: SIGKILLed between two batches, SIGKILLed or exiting inside a
batch's transaction (after its sale lines and movements are written, before its
balances), its server connection terminated mid-batch (PostgreSQL), or the server
restarted mid-batch (PostgreSQL, only with STORENET_TEST_PG_RESTART=1). A fresh
process then resends the whole day under the same keys. The final ledger must equal a
clean single run, and a watcher on another connection must never see part of a batch.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from storenet.ledger.verify import verify_balances
from storenet.sales.ingest import ingest_pos_batch
from storenet.store.engine import unit_of_work
from tests.integration.reliability.helpers import (
    ledger_errors,
    ledger_picture,
    receive,
    twin_database,
    url_of,
)

CHILD = Path(__file__).with_name("pos_child.py")
LOCAL = timezone(timedelta(hours=8))
DAY = datetime(2026, 11, 23, 9, 0, tzinfo=LOCAL)
DEVICES = (("S1", "till-1"), ("S1", "till-2"), ("S2", "till-1"), ("S2", "till-2"))
SKUS = ("K1", "K2", "K3", "K4")
PHONES = ("IMEI-A1", "IMEI-A2", "IMEI-A3")  # received at S1
DAY_SEED = 9
RESTART = os.environ.get("STORENET_TEST_PG_RESTART") == "1"


# --- the day ------------------------------------------------------------------------


def opening_stock(engine) -> None:
    """The same opening stock, under the same keys and times, in every database."""
    at = datetime(2026, 11, 22, 12, 0)
    for store in ("S1", "S2"):
        receive(engine, store, [{"sku": s, "qty": 20} for s in SKUS], key=f"open-{store}", at=at)
    receive(engine, "S1", [{"sku": "PH1", "qty": 3, "serials": list(PHONES)}], key="open-ph", at=at)


def day_of_batches(rng: random.Random) -> list[dict]:
    """A day of POS lines from four tills, in batches of 6 with fixed keys, sent in
    the order their first line was rung up. Some lines sell more than the ledger has,
    some are returns, some sell serials (one where the ledger did not have it, one the
    ledger never saw)."""
    lines = []
    for store, device in DEVICES:
        for r in range(12):
            at = DAY + timedelta(minutes=rng.randint(0, 12 * 60), seconds=rng.randint(0, 59))
            for n, sku in enumerate(rng.sample(SKUS, rng.randint(1, 3)), start=1):
                lines.append(
                    {
                        "store": store,
                        "device": device,
                        "receipt": f"{store}-{device}-{r}",
                        "line": n,
                        "sku": sku,
                        "qty": rng.randint(1, 3),
                        "unit_price": "19.90",
                        "at": at.isoformat(),
                        "kind": "return" if rng.random() < 0.1 else "sale",
                    }
                )
    for n, (store, serial) in enumerate(
        (("S1", "IMEI-A1"), ("S1", "IMEI-A2"), ("S2", "IMEI-A3"), ("S1", "IMEI-Z9"))
    ):
        lines.append(
            {
                "store": store,
                "device": "till-1",
                "receipt": f"{store}-phone-{n}",
                "line": 1,
                "sku": "PH1",
                "qty": 1,
                "unit_price": "2999.00",
                "at": (DAY + timedelta(hours=2 + 2 * n)).isoformat(),
                "serials": [serial],
                "buyer": f"warranty-{n}",
            }
        )
    batches = []
    for store, device in DEVICES:
        mine = sorted(
            (x for x in lines if (x["store"], x["device"]) == (store, device)),
            key=lambda x: x["at"],
        )
        for n in range(0, len(mine), 6):
            batches.append({"key": f"day-{store}-{device}-{n // 6}", "lines": mine[n : n + 6]})
    return sorted(batches, key=lambda b: (b["lines"][0]["at"], b["key"]))


CLEAN_RUNS: dict[tuple[str, int], tuple[dict, dict]] = {}


def clean_run(engine, folder: Path, seed: int) -> tuple[dict, dict]:
    """The ledger picture and the answers of one uninterrupted run of the day of
    `seed`, in a twin database (computed once per database kind and day)."""
    if (engine.dialect.name, seed) not in CLEAN_RUNS:
        with twin_database(engine, folder) as twin:
            opening_stock(twin)
            answers = {
                b["key"]: unit_of_work(
                    twin, lambda c, b=b: ingest_pos_batch(c, key=b["key"], lines=b["lines"])
                )
                for b in day_of_batches(random.Random(seed))
            }
            with twin.connect() as conn:
                CLEAN_RUNS[(engine.dialect.name, seed)] = ledger_picture(conn), answers
    return CLEAN_RUNS[(engine.dialect.name, seed)]


# --- watching from another connection -----------------------------------------------

BATCHES_SEEN = """
    SELECT k.key AS key,
           (SELECT COUNT(*) FROM sale_lines s WHERE s.batch_key = k.key) AS lines,
           (SELECT COUNT(*) FROM sale_lines s JOIN movements m ON m.document = 'sale:' || s.id
             WHERE s.batch_key = k.key) AS moves,
           k.response AS response
      FROM idempotency_keys k WHERE k.scope = 'pos'
    UNION ALL
    SELECT 'no key: ' || s.batch_key, COUNT(*), 0, ''
      FROM sale_lines s
     WHERE s.batch_key NOT IN (SELECT key FROM idempotency_keys WHERE scope = 'pos')
     GROUP BY s.batch_key
"""


def partial_batches(conn, sizes: dict[str, int]) -> list[str]:
    """What another connection can see of batches that are not whole: a key without all
    its lines, lines without their movements or without a key, a key without its answer,
    balances that disagree with the movements. Each query is one statement, so it sees
    one committed state."""
    seen = []
    for r in conn.execute(text(BATCHES_SEEN)):
        if (r.lines, r.moves) != (sizes.get(r.key), sizes.get(r.key)) or not r.response:
            seen.append(f"{r.key}: {r.lines} lines, {r.moves} movements, answer {r.response!r}")
    seen += [f"balances: {m}" for m in verify_balances(conn)]
    return seen


def committed_keys(conn) -> list[str]:
    return sorted(
        conn.execute(text("SELECT key FROM idempotency_keys WHERE scope = 'pos'")).scalars()
    )


class Watcher(threading.Thread):
    """Polls the database from its own connection while the children run and records
    every partial batch it ever sees (and how often the database did not answer)."""

    def __init__(self, engine, batches: list[dict]) -> None:
        super().__init__(daemon=True)
        url = engine.url
        connect_args = {"timeout": 30} if engine.dialect.name == "sqlite" else {}
        # A plain engine: storenet's SQLite engine would take the write lock to read.
        self.engine = create_engine(url, connect_args=connect_args)
        self.sizes = {b["key"]: len(b["lines"]) for b in batches}
        self.stop, self.polls, self.unavailable = threading.Event(), 0, 0
        self.partial: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                with self.engine.connect() as conn:
                    self.partial += partial_batches(conn, self.sizes)
                self.polls += 1
            except DBAPIError:  # the server is restarting
                self.unavailable += 1
            time.sleep(0.02)

    def finish(self) -> None:
        self.stop.set()
        self.join(30)
        self.engine.dispose()


# --- the child process --------------------------------------------------------------


def start_child(url: str, batches_file: Path, control: Path, fault: str) -> subprocess.Popen:
    env = {**os.environ, "STORENET_CHILD_FAULT": fault}
    return subprocess.Popen(
        [sys.executable, str(CHILD), url, str(batches_file), str(control)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_child(child: subprocess.Popen) -> tuple[int, dict[str, dict], str]:
    """Wait for `child`; its exit code, the answers it printed by key, its stderr."""
    out, err = child.communicate(timeout=120)
    answers = {}
    for line in out.splitlines():
        key, _, answer = line.partition(" ")
        answers[key] = json.loads(answer)
    return child.returncode, answers, err


def wait_until_paused(child: subprocess.Popen, control: Path) -> None:
    deadline = time.monotonic() + 60
    while not (control / "paused").exists():
        if child.poll() is not None:
            pytest.fail(f"the child ended before pausing: {child.communicate()}")
        assert time.monotonic() < deadline, "the child never reached its pause"
        time.sleep(0.01)


# --- PostgreSQL server faults -------------------------------------------------------


def terminate_backend(engine, application_name: str) -> int:
    with engine.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :app"
            ),
            {"app": application_name},
        ).scalar()
        conn.commit()
    return killed


def pg_cluster() -> tuple[str, str]:
    """(version, name) of the local cluster: STORENET_TEST_PG_CLUSTER ("15 main"), or
    the newest version under /etc/postgresql with cluster "main"."""
    given = os.environ.get("STORENET_TEST_PG_CLUSTER")
    if given:
        version, name = given.split()
        return version, name
    versions = sorted(Path("/etc/postgresql").iterdir(), key=lambda p: float(p.name))
    return versions[-1].name, "main"


def server_answers(engine, within: float) -> bool:
    probe = create_engine(engine.url, pool_pre_ping=True)
    deadline = time.monotonic() + within
    try:
        while time.monotonic() < deadline:
            try:
                with probe.connect() as conn:
                    conn.execute(text("SELECT 1"))
                return True
            except DBAPIError:
                time.sleep(0.2)
        return False
    finally:
        probe.dispose()


def restart_postgresql(engine) -> None:
    """Restart the local PostgreSQL cluster, and never leave it down."""
    version, name = pg_cluster()
    ctl = ["pg_ctlcluster", "--skip-systemctl-redirect", version, name]
    try:
        subprocess.run([*ctl, "restart"], check=True, timeout=120, capture_output=True)
    finally:
        if not server_answers(engine, 30):
            subprocess.run([*ctl, "start"], check=False, timeout=120, capture_output=True)
            assert server_answers(engine, 60), "PostgreSQL did not come back after a restart"


# --- the tests ----------------------------------------------------------------------


def crash_then_resend(engine, tmp_path: Path, fault: str, seed: int) -> None:
    """Given / when / then shared by every fault: see the module docstring."""
    # given a day of batches, the picture a clean run gives, and the opening stock
    batches = day_of_batches(random.Random(DAY_SEED))
    k = random.Random(seed).randrange(1, len(batches) - 1)  # the batch the fault hits
    reference, clean_answers = clean_run(engine, tmp_path, DAY_SEED)
    opening_stock(engine)
    batches_file = tmp_path / "day.json"
    batches_file.write_text(json.dumps(batches))
    control = tmp_path / "control"
    control.mkdir()
    app = f"storenet-crash-{seed}-{os.getpid()}"
    on_pg = engine.dialect.name == "postgresql"
    url = url_of(engine, application_name=app) if on_pg else url_of(engine)
    child_fault = {"kill-after": f"kill-after:{k}", "exit": f"exit:{k}"}.get(fault, f"pause:{k}")
    watcher = Watcher(engine, batches)
    watcher.start()

    # when the first process fails at the seeded point
    children = []
    try:
        child = start_child(url, batches_file, control, child_fault)
        children.append(child)
        if fault in ("sigkill", "terminate", "restart"):
            wait_until_paused(child, control)
            # (batch k is half written in an open transaction: nothing of it shows)
            with watcher.engine.connect() as conn:
                assert partial_batches(conn, watcher.sizes) == []
                assert committed_keys(conn) == sorted(b["key"] for b in batches[:k])
            if fault == "sigkill":
                child.send_signal(signal.SIGKILL)
            elif fault == "terminate":
                assert terminate_backend(engine, app) == 1
            else:
                restart_postgresql(engine)
            (control / "go").write_text("")
        code, first_answers, err = finish_child(child)
        survived = k + 1 if fault == "kill-after" else k
        expected_code = {"kill-after": -9, "sigkill": -9, "exit": 137}.get(fault, 1)
        assert code == expected_code, err
        assert list(first_answers) == [b["key"] for b in batches[:survived]]
        with watcher.engine.connect() as conn:
            assert committed_keys(conn) == sorted(b["key"] for b in batches[:survived])

        # and a fresh process resends the whole day under the same keys
        resend = start_child(url, batches_file, control, "none:-1")
        children.append(resend)
        code, answers, err = finish_child(resend)
        assert code == 0, err
    finally:
        watcher.finish()
        for process in children:  # only when an assertion stopped the test midway
            if process.poll() is None:
                process.kill()
                process.wait()

    # then the watcher never saw part of a batch, in hundreds of looks
    assert watcher.partial == []
    assert watcher.polls > 20
    assert watcher.unavailable == 0 or fault == "restart"
    # and every answer, first or replayed, is the clean run's answer
    assert first_answers == {key: clean_answers[key] for key in first_answers}
    assert answers == clean_answers
    # and the ledger equals the clean run's, table by table, and is consistent
    with engine.connect() as conn:
        picture = ledger_picture(conn)
        assert ledger_errors(conn) == ([], {})
    for table in reference:
        assert picture[table] == reference[table], table


@pytest.mark.parametrize(
    ("fault", "seed"),
    [("kill-after", 901), ("sigkill", 902), ("exit", 903)],
)
def test_a_pos_sender_killed_at_a_seeded_point_and_resent_ends_like_a_clean_run(
    network, tmp_path, fault, seed
):
    # given a day of POS batches, when the sender dies at batch k (seeded) and a fresh
    # process resends the day, then the ledger equals a clean run: crash_then_resend
    crash_then_resend(network, tmp_path, fault, seed)


@pytest.mark.postgres
def test_a_pos_batch_whose_server_connection_is_terminated_midway_leaves_nothing_and_resends(
    pg_network, tmp_path
):
    # given a day of POS batches, when pg_terminate_backend cuts the sender's connection
    # inside batch k and a fresh process resends the day, then the ledger equals a clean
    # run: crash_then_resend
    crash_then_resend(pg_network, tmp_path, "terminate", 904)


@pytest.mark.postgres
@pytest.mark.pg_restart  # restarts the server under every other test: run alone (Makefile)
@pytest.mark.skipif(not RESTART, reason="restarts the server: set STORENET_TEST_PG_RESTART=1")
def test_a_pos_batch_cut_by_a_postgresql_restart_leaves_nothing_and_resends(
    pg_network_surviving_restarts, tmp_path
):
    # given a day of POS batches, when the server restarts inside batch k and a fresh
    # process resends the day, then the ledger equals a clean run: crash_then_resend
    crash_then_resend(pg_network_surviving_restarts, tmp_path, "restart", 905)
