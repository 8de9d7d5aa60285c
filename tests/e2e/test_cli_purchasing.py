"""`storenet po ...`: an order's whole life from the command line, each change as a
named operator with the same checks and audit entries as the API (SQLite and
PostgreSQL)."""

from __future__ import annotations

import functools

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from storenet.accounts.passwords import hash_password
from storenet.accounts.users import create_user
from storenet.cli import app
from storenet.network.ownership import change_region_manager
from storenet.store.engine import unit_of_work
from storenet.store.schema import audit_log, purchase_orders
from tests.integration.purchasing.suppliers import seed_suppliers
from tests.support import seed_small_network


@functools.cache
def _password_hash(password: str) -> str:
    return hash_password(password)


@pytest.fixture
def cli_chain(engine, tmp_path, monkeypatch):
    """The small network with suppliers, a planner, an administrator and the EAST
    regional manager; the CLI pointed at it."""
    from datetime import UTC, datetime

    monkeypatch.setattr("storenet.accounts.users.hash_password", _password_hash)
    seed_small_network(engine)
    seed_suppliers(engine)

    def people(conn):  # type: ignore[no-untyped-def]
        for name, role in (
            ("ann", "hq_planner"),
            ("root", "administrator"),
            ("rm", "regional_manager"),
            ("aud", "auditor"),
        ):
            create_user(conn, actor="test", username=name, role=role, password="long enough pw")
        change_region_manager(conn, "EAST", "rm", datetime(2025, 1, 1, tzinfo=UTC))

    unit_of_work(engine, people)
    monkeypatch.setenv("STORENET_HOME", str(tmp_path))
    monkeypatch.setenv("STORENET_DB", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("STORENET_OPERATOR", raising=False)
    return engine


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["po", *args])


def _status(engine, po_id):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(
            select(purchase_orders.c.status).where(purchase_orders.c.id == po_id)
        ).scalar()


def test_an_order_from_draft_to_closed_on_the_command_line(cli_chain):
    made = _run(
        "create", "--supplier", "SUP-A", "--warehouse", "WE", "--line", "K1=10",
        "--line", "K2=4@7.50", "--po-id", "PO-C1", "--as", "ann",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "PO-C1 (draft)" in made.output and "7.50" in made.output
    # Four eyes: ann created it, ann may not approve it.
    own = _run("approve", "PO-C1", "--as", "ann")
    assert own.exit_code == 2 and "four eyes" in own.output
    assert _run("approve", "PO-C1", "--as", "root").exit_code == 0
    # Skipping a step: confirm before send conflicts, naming the status.
    early = _run("confirm", "PO-C1", "--as", "ann")
    assert early.exit_code == 2 and "is approved" in early.output
    assert _run("send", "PO-C1", "--as", "ann").exit_code == 0
    confirmed = _run(
        "confirm", "PO-C1", "--promised-on", "2026-12-20", "--line", "2=3", "--as", "ann"
    )
    assert confirmed.exit_code == 0, confirmed.output
    # The auditor may not receive; the regional manager of WE's region does.
    denied = _run("receive", "PO-C1", "--line", "1=6+1", "--note", "DN-1", "--as", "aud")
    assert denied.exit_code == 2 and "not do po.receive" in denied.output
    got = _run(
        "receive", "PO-C1", "--line", "1=6+1", "--line", "2=3", "--note", "DN-1", "--as", "rm"
    )
    assert got.exit_code == 0, got.output
    assert '"partly_received"' in got.output
    again = _run(
        "receive", "PO-C1", "--line", "1=6+1", "--line", "2=3", "--note", "DN-1", "--as", "rm"
    )
    assert again.output == got.output  # the same delivery note replays, changes nothing
    closed = _run("cancel", "PO-C1", "--reason", "rest not needed", "--as", "ann")
    assert closed.exit_code == 0 and "PO-C1 (closed)" in closed.output
    assert _status(cli_chain, "PO-C1") == "closed"
    shown = _run("show", "PO-C1")
    assert "partly_received -> closed by ann (rest not needed)" in shown.output
    listed = _run("list", "--status", "closed")
    assert "PO-C1" in listed.output
    with cli_chain.connect() as conn:
        actions = list(
            conn.execute(
                select(audit_log.c.actor, audit_log.c.action)
                .where(audit_log.c.target.in_(["po:PO-C1", "storenet po receive PO-C1"]))
                .order_by(audit_log.c.seq)
            )
        )
    assert [tuple(a) for a in actions] == [
        ("ann", "po.create"),
        ("root", "po.approve"),
        ("ann", "po.send"),
        ("ann", "po.confirm"),
        ("aud", "denied"),
        ("rm", "po.receive"),
        ("ann", "po.cancel"),
    ]
