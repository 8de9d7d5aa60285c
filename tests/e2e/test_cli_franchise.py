"""`storenet targets import` and `storenet rewards close-period | overdue | approve |
pay` end to end on the command line, as named operators (SQLite and PostgreSQL)."""

from __future__ import annotations

import functools
import json

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from storenet.accounts.passwords import hash_password
from storenet.accounts.users import create_user
from storenet.cli import app
from storenet.store.engine import unit_of_work
from storenet.store.schema import audit_log, franchise_targets, rewards
from tests.integration.franchise.conftest import local, program, sell
from tests.support import seed_small_network


@functools.cache
def _password_hash(password: str) -> str:
    return hash_password(password)


@pytest.fixture
def cli_shop(engine, tmp_path, monkeypatch):
    """The small network with a planner, two finance people and F1's owner; the CLI
    pointed at it."""
    monkeypatch.setattr("storenet.accounts.users.hash_password", _password_hash)
    seed_small_network(engine)

    def people(conn):  # type: ignore[no-untyped-def]
        for name, role, more in (
            ("ann", "hq_planner", {}),
            ("fin", "finance", {}),
            ("fin2", "finance", {}),
            ("li", "franchise_owner", {"franchisee_id": "F1"}),
        ):
            create_user(
                conn, actor="test", username=name, role=role, password="long enough pw", **more
            )

    unit_of_work(engine, people)
    monkeypatch.setenv("STORENET_HOME", str(tmp_path))
    monkeypatch.setenv("STORENET_DB", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("STORENET_MARKET_TZ", "Asia/Shanghai")
    monkeypatch.delenv("STORENET_OPERATOR", raising=False)
    return engine


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


GOOD = """scope,subject,period,metric,amount,category,currency
store,S2,2026-11,revenue,4000.00,,CNY
franchisee,F1,2026-11,revenue,3000.00,,CNY

franchisee,F1,2026-Q4,units,90,,
"""


def test_targets_import_is_all_or_nothing_and_idempotent(cli_shop, tmp_path):
    good = tmp_path / "targets.csv"
    good.write_text(GOOD)
    first = _run("targets", "import", str(good), "--as", "ann")
    assert first.exit_code == 0, first.output
    assert "3 target(s) set, 0 unchanged" in first.output
    again = _run("targets", "import", str(good), "--as", "ann")
    assert "0 target(s) set, 3 unchanged" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_text(
        GOOD + "store,S9,2026-11,revenue,12.345,,CNY\nstore,S1,2026-11,subscriptions,5,,\n"
    )
    refused = _run("targets", "import", str(bad), "--as", "ann")
    assert refused.exit_code == 2
    assert "row 5: subject" in refused.output and "row 5: amount" in refused.output
    assert "row 6: metric" in refused.output and "subscriptions" in refused.output
    denied = _run("targets", "import", str(good), "--as", "li")
    assert denied.exit_code == 2 and "may not do target.write" in denied.output
    with cli_shop.connect() as conn:
        assert conn.execute(select(func.count()).select_from(franchise_targets)).scalar() == 3


def test_close_period_overdue_digest_approve_and_pay(cli_shop, tmp_path):
    sell(cli_shop, "S2", "K1", 1, 400_000, local(2026, 11, 3))
    program(cli_shop, due_days=5)
    good = tmp_path / "targets.csv"
    good.write_text(GOOD)
    assert _run("targets", "import", str(good), "--as", "ann").exit_code == 0
    closed = _run(
        "rewards", "close-period", "--period", "2026-11", "--today", "2026-12-01", "--as", "ann"
    )
    assert closed.exit_code == 0, closed.output
    assert "RW-P1-2026-11-F1" in closed.output and "skipped F2" in closed.output
    again = _run(
        "rewards", "close-period", "--period", "2026-11", "--today", "2026-12-01", "--as", "fin"
    )
    assert "already closed, nothing changed" in again.output
    on_due = _run("rewards", "overdue", "--today", "2026-12-05", "--json")
    assert json.loads(on_due.output)["count"] == 0
    late = _run("rewards", "overdue", "--today", "2026-12-06", "--json")
    digest = json.loads(late.output)
    assert digest["count"] == 1 and digest["by_currency"] == {"CNY": "1000.00"}
    assert digest["rewards"][0]["id"] == "RW-P1-2026-11-F1"
    assert (
        "1 reward(s) overdue on 2026-12-06: 1000.00 CNY"
        in _run("rewards", "overdue", "--today", "2026-12-06").output
    )
    early = _run(
        "rewards",
        "pay",
        "RW-P1-2026-11-F1",
        "--reference",
        "B-1",
        "--paid-on",
        "2026-12-07",
        "--as",
        "fin",
    )
    assert early.exit_code == 2 and "pay needs it approved" in early.output
    assert _run("rewards", "approve", "RW-P1-2026-11-F1", "--as", "fin").exit_code == 0
    paid = _run(
        "rewards",
        "pay",
        "RW-P1-2026-11-F1",
        "--reference",
        "B-1",
        "--paid-on",
        "2026-12-07",
        "--as",
        "fin2",
    )
    assert paid.exit_code == 0 and "paid" in paid.output
    assert (
        json.loads(_run("rewards", "overdue", "--today", "2026-12-08", "--json").output)["count"]
        == 0
    )
    with cli_shop.connect() as conn:
        assert conn.execute(select(rewards.c.status)).scalar() == "paid"
        actions = conn.execute(select(audit_log.c.action).order_by(audit_log.c.seq)).scalars()
        assert [a for a in actions if a.startswith("reward.")] == [
            "reward.close_period",
            "reward.pay.refused",
            "reward.approve",
            "reward.pay",
        ]


def test_the_preparer_cannot_approve_on_the_command_line(cli_shop):
    sell(cli_shop, "S2", "K1", 1, 400_000, local(2026, 11, 3))
    program(
        cli_shop, tiers=[{"threshold": "0", "payout": "fixed", "amount": "1.00"}], basis="sales"
    )
    _run("rewards", "close-period", "--period", "2026-11", "--today", "2026-12-01", "--as", "fin")
    own = _run("rewards", "approve", "RW-P1-2026-11-F1", "--as", "fin")
    assert own.exit_code == 2 and "four eyes" in own.output
