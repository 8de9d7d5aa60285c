"""`storenet stock ...` and `storenet transfer receive` end to end through the command
line (SQLite, then PostgreSQL): each acts as a named operator, books once per key
(a replay prints the same answer and changes nothing), is audited under the
operator's name, refuses naming the field with exit 2, and leaves the ledger verified."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from storenet.accounts.passwords import hash_password
from storenet.accounts.users import create_user, disable_user
from storenet.cli import app
from storenet.ledger.stock import receive_from_supplier
from storenet.ledger.transfers import create_transfer, ship_transfer
from storenet.network.ownership import change_region_manager
from storenet.store.engine import unit_of_work
from storenet.store.locks import lock_balances
from storenet.store.schema import audit_log, discrepancies
from tests.e2e.test_cli_ingest import use

OPERATORS = {
    "sm_s1": {"role": "store_manager", "store_id": "S1"},
    "rm_east": {"role": "regional_manager"},
    "fr_f1": {"role": "franchise_owner", "franchisee_id": "F1"},
    "auditor": {"role": "auditor"},
    "gone": {"role": "store_manager", "store_id": "S1"},
}


@functools.cache
def _password_hash(password: str) -> str:
    return hash_password(password)


@pytest.fixture
def shop(network, monkeypatch, tmp_path):
    """The small network with operators and 20 units of K1, K2 and two phones at S1."""
    monkeypatch.setattr("storenet.accounts.users.hash_password", _password_hash)
    use(network, monkeypatch, tmp_path)

    def work(conn):  # type: ignore[no-untyped-def]
        for name, spec in OPERATORS.items():
            made = create_user(
                conn, actor="test", username=name, password="long enough password", **spec
            )
        disable_user(conn, actor="test", user_id=made["id"])
        create_user(conn, actor="test", username="till", role="pos_device", store_id="S1")
        change_region_manager(conn, "EAST", "rm_east", datetime(2025, 1, 1, tzinfo=UTC))
        for where in ("S1", "S3", "S4"):
            lines = [{"sku": "K1", "qty": 20}, {"sku": "K2", "qty": 20}]
            lines.append({"sku": "PH1", "qty": 2, "serials": [f"P-{where}-1", f"P-{where}-2"]})
            receive_from_supplier(conn, key=f"seed-{where}", location=where, lines=lines)

    unit_of_work(network, work)
    return network


def cli(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


def k1_at_s1(engine, sku: str = "K1") -> dict:  # type: ignore[no-untyped-def]
    from storenet.ledger.locations import location_of

    with engine.connect() as conn:
        where = location_of(conn, "S1")
        return lock_balances(conn, [(where, sku)])[(where, sku)]


def audited(engine, action: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        q = select(audit_log.c.actor, audit_log.c.target).where(audit_log.c.action == action)
        return [tuple(r) for r in conn.execute(q.order_by(audit_log.c.seq))]


def verified() -> bool:
    return cli("ledger", "verify").exit_code == 0


COMMANDS = {
    "receive": (
        ["stock", "receive", "S1", "--line", "K1=6", "--document", "DN-7"],
        "stock.receive",
        {"on_hand": 6},
    ),
    "count": (["stock", "count", "S1", "K1", "17", "--key", "c1"], "stock.count", {"on_hand": -3}),
    "adjust": (
        ["stock", "adjust", "S1", "K1", "--delta", "-2", "--reason", "dropped", "--key", "a1"],
        "stock.adjust",
        {"on_hand": -2},
    ),
    "scrap": (
        ["stock", "scrap", "S1", "K1", "4", "--reason", "broken", "--key", "s1"],
        "stock.scrap",
        {"on_hand": -4},
    ),
    "hold": (
        ["stock", "hold", "S1", "K1", "5", "--reason", "wet", "--key", "h1"],
        "stock.hold",
        {"on_hand": -5, "held": 5},
    ),
    "reserve": (
        ["stock", "reserve", "S1", "K1", "3", "--reference", "web-1", "--key", "r1"],
        "stock.reserve",
        {"reserved": 3},
    ),
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_stock_command_acts_once_as_its_operator_and_is_audited(shop, name):
    # given
    args, action, change = COMMANDS[name]
    before = k1_at_s1(shop)
    # when: run twice with the same arguments
    first = cli(*args, "--as", "sm_s1")
    again = cli(*args, "--as", "sm_s1")
    # then: one change, the same answer, one audit entry under the operator's name
    assert first.exit_code == 0, first.output
    assert first.stdout == again.stdout
    after = k1_at_s1(shop)
    assert {k: after[k] - before[k] for k in after if after[k] != before[k]} == change
    target = "S1" if name == "receive" else "S1/K1"
    assert audited(shop, action) == [("sm_s1", target)]
    assert verified()


def test_held_units_are_released_by_a_regional_manager_and_reserved_ones_given_back(shop):
    assert cli(*COMMANDS["hold"][0], "--as", "sm_s1").exit_code == 0
    assert cli(*COMMANDS["reserve"][0], "--as", "sm_s1").exit_code == 0
    # when: the store manager tries to lift his own hold
    refused = cli(
        "stock", "release", "S1", "K1", "2", "--reason", "ok", "--key", "x", "--as", "sm_s1"
    )
    # then: not his to decide, and the attempt is audited
    assert refused.exit_code == 2 and "not allowed" in refused.output
    assert audited(shop, "denied")[-1] == ("sm_s1", "cli stock release")
    # when: his regional manager does, and the order is cancelled
    freed = cli(
        "stock", "release", "S1", "K1", "2", "--reason", "ok", "--key", "x", "--as", "rm_east"
    )
    back = cli(
        "stock", "unreserve", "S1", "K1", "3", "--reference", "web-1", "--key", "u", "--as", "sm_s1"
    )
    # then
    assert freed.exit_code == 0, freed.output
    assert back.exit_code == 0, back.output
    assert k1_at_s1(shop) == {"on_hand": 17, "in_transit": 0, "reserved": 0, "held": 3}
    assert audited(shop, "stock.release") == [("rm_east", "S1/K1")]
    assert verified()


def test_refusals_name_the_field_exit_2_and_change_nothing(shop):
    before = k1_at_s1(shop)
    cases = {
        "sku: is not a known SKU": [
            "stock",
            "hold",
            "S1",
            "NOPE",
            "1",
            "--reason",
            "r",
            "--key",
            "1",
            "--as",
            "sm_s1",
        ],
        "insufficient stock of K1 at S1": [
            "stock",
            "scrap",
            "S1",
            "K1",
            "99",
            "--reason",
            "r",
            "--key",
            "2",
            "--as",
            "sm_s1",
        ],
        "--key: is required without --document": [
            "stock",
            "receive",
            "S1",
            "--line",
            "K1=1",
            "--as",
            "sm_s1",
        ],
        "--line: must be SKU=QTY": [
            "stock",
            "receive",
            "S1",
            "--line",
            "K1",
            "--key",
            "3",
            "--as",
            "sm_s1",
        ],
        "--line: must be SKU=QTY, QTY a whole number (got '--5')": [
            *("stock", "receive", "S1", "--line", "K1=--5", "--key", "3", "--as", "sm_s1")
        ],
        "operator: is not a known user": [
            "stock",
            "count",
            "S1",
            "K1",
            "3",
            "--key",
            "4",
            "--as",
            "nobody",
        ],
        "operator: is a pos_device, not a person": [
            "stock",
            "count",
            "S1",
            "K1",
            "3",
            "--key",
            "5",
            "--as",
            "till",
        ],
        "operator: is disabled": ["stock", "count", "S1", "K1", "3", "--key", "5", "--as", "gone"],
        "not allowed: the role auditor may not do stock.count": [
            "stock",
            "count",
            "S1",
            "K1",
            "3",
            "--key",
            "6",
            "--as",
            "auditor",
        ],
        "location 'S3' not found": [
            "stock",
            "count",
            "S3",
            "K1",
            "3",
            "--key",
            "7",
            "--as",
            "fr_f1",
        ],
        "location 'NOWHERE' not found": [
            "stock",
            "count",
            "NOWHERE",
            "K1",
            "3",
            "--key",
            "7",
            "--as",
            "fr_f1",
        ],
    }
    for expected, args in cases.items():
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.output, (args, result.output)
    assert k1_at_s1(shop) == before
    assert [a for a, _ in audited(shop, "denied")] == ["auditor", "fr_f1", "fr_f1"]


def test_a_key_reused_with_other_arguments_is_refused_naming_the_difference(shop):
    assert cli("stock", "count", "S1", "K1", "17", "--key", "k", "--as", "sm_s1").exit_code == 0
    other = cli("stock", "count", "S1", "K1", "18", "--key", "k", "--as", "sm_s1")
    assert other.exit_code == 2
    assert "counted was 17, now 18" in other.output


def test_a_delivery_of_phones_names_one_new_serial_per_unit(shop):
    args = ["stock", "receive", "S1", "--serial", "PH1=NEW-1", "--serial", "PH1=NEW-2"]
    known = cli(*args[:-1], "PH1=P-S3-1", "--key", "p0", "--as", "sm_s1")
    ok = cli(*args, "--document", "DN-9", "--as", "sm_s1")
    assert known.exit_code == 2 and "serials: already exists in the ledger" in known.output
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["units"] == 2
    assert k1_at_s1(shop, "PH1")["on_hand"] == 4
    assert verified()


def _shipped(engine, lines: list[dict]) -> None:
    def work(conn):  # type: ignore[no-untyped-def]
        create_transfer(
            conn, key="t", transfer_id="T-1", source="S4", destination="S1", lines=lines
        )
        ship_transfer(conn, key="t-ship", transfer_id="T-1")

    unit_of_work(engine, work)


def test_a_transfer_is_received_once_with_only_its_differences_named(shop):
    # given: 3 K1, 2 K2 and both phones shipped from S4 to S1
    _shipped(
        shop,
        [{"sku": "K1", "qty": 3}, {"sku": "K2", "qty": 2}, {"sku": "PH1", "qty": 2}],
    )
    args = ["transfer", "receive", "T-1", "--received", "K1=2", "--serial", "PH1=P-S4-1"]
    # when: a store manager of another store tries, then S1's does, twice
    first = cli(*args, "--as", "sm_s1")
    again = cli(*args, "--as", "sm_s1")
    # then: K1 one short, K2 in full (not named), one phone short; once
    assert first.exit_code == 0, first.output
    assert first.stdout == again.stdout
    answer = json.loads(first.stdout)
    assert answer["status"] == "received" and answer["serials_short"] == ["P-S4-2"]
    assert k1_at_s1(shop)["on_hand"] == 22 and k1_at_s1(shop, "K2")["on_hand"] == 22
    with shop.connect() as conn:
        assert len(conn.execute(select(discrepancies)).all()) == 2
    assert audited(shop, "transfer.receive") == [("sm_s1", "transfer:T-1")]
    assert verified()


def test_a_transfer_outside_the_operators_stores_answers_as_an_unknown_one(shop):
    _shipped(shop, [{"sku": "K1", "qty": 1}])
    theirs = cli("transfer", "receive", "T-1", "--as", "fr_f1")
    ghost = cli("transfer", "receive", "T-NONE", "--as", "fr_f1")
    assert theirs.exit_code == ghost.exit_code == 2
    assert theirs.output.replace("T-1", "T-NONE") == ghost.output
    assert k1_at_s1(shop)["in_transit"] == 1
