"""`storenet ledger verify` exits non-zero naming every mismatch (RELIABILITY 12)."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from typer.testing import CliRunner

from storenet.cli import app
from storenet.ledger import stock
from storenet.store.engine import unit_of_work


def test_ledger_verify_exits_non_zero_naming_the_corrupted_balance_then_zero_after_rebuild(
    network, monkeypatch
):
    # given a ledger whose S2/K2 balance was corrupted
    monkeypatch.setenv("STORENET_DB", network.url.render_as_string(hide_password=False))
    unit_of_work(
        network,
        lambda c: stock.receive_from_supplier(
            c, key=uuid.uuid4().hex, location="S2", lines=[{"sku": "K2", "qty": 3}]
        ),
    )
    with network.begin() as conn:
        conn.execute(text("UPDATE balances SET in_transit = 9 WHERE sku_id = 'K2'"))
    runner = CliRunner()
    # when verified
    result = runner.invoke(app, ["ledger", "verify"])
    # then it fails naming the row
    assert result.exit_code == 1
    assert "S2 K2 in_transit: projection says 9, movements say 0" in result.output
    # and units in transit that no shipped transfer carries
    assert "in transit: S2 K2 in_transit: the ledger says 9, shipped transfers" in result.output
    # when rebuilt, then verify passes
    assert runner.invoke(app, ["ledger", "rebuild"]).exit_code == 0
    assert runner.invoke(app, ["ledger", "verify"]).exit_code == 0
