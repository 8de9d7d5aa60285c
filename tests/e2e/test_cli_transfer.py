"""`storenet transfer create|ship|cancel|receive` and `storenet stock echelons` end to
end through the command line (SQLite, then PostgreSQL): a warehouse transfer's life as
a named operator, each step once (a replay prints the same answer), audited under the
operator's name; refusals name the field and exit 2; the network's stock by echelon as
a table and as JSON."""

from __future__ import annotations

import json

from tests.e2e.test_cli_stock import audited, cli, k1_at_s1, shop, verified
from tests.integration.ledger.chain import receive

__all__ = ["shop"]  # the fixture, used by name


def test_a_warehouse_transfer_is_created_shipped_and_received_once_each(shop):
    # given 30 K1 at the east regional warehouse, run by rm_east
    receive(shop, "WE", [{"sku": "K1", "qty": 30}])
    create = ["transfer", "create", "T-CLI", "--from", "WE", "--to", "S1", "--line", "K1=6"]
    # when created (twice: the key is the transfer's), shipped and received one short
    made = cli(*create, "--reason", "weekly refill", "--as", "rm_east")
    again = cli(*create, "--reason", "weekly refill", "--as", "rm_east")
    shipped = cli("transfer", "ship", "T-CLI", "--as", "rm_east")
    assert k1_at_s1(shop)["in_transit"] == 6
    got = cli("transfer", "receive", "T-CLI", "--received", "K1=5", "--as", "sm_s1")
    # then each step answered once, and S1 has what arrived
    assert made.exit_code == 0, made.output
    assert made.stdout == again.stdout
    assert json.loads(made.stdout) == {"transfer": "T-CLI", "status": "draft", "lines": 1}
    assert shipped.exit_code == 0 and json.loads(shipped.stdout)["status"] == "shipped"
    assert got.exit_code == 0 and json.loads(got.stdout)["discrepancies"] == 1
    assert k1_at_s1(shop)["on_hand"] == 25 and k1_at_s1(shop)["in_transit"] == 0
    assert audited(shop, "transfer.create") == [("rm_east", "transfer:T-CLI")]
    assert audited(shop, "transfer.ship") == [("rm_east", "transfer:T-CLI")]
    assert audited(shop, "transfer.receive") == [("sm_s1", "transfer:T-CLI")]
    assert verified()


def test_a_draft_is_cancelled_with_a_reason_once(shop):
    receive(shop, "WE", [{"sku": "K2", "qty": 5}])
    args = ["transfer", "create", "T-C", "--from", "WE", "--to", "S2", "--line", "K2=5"]
    assert cli(*args, "--as", "rm_east").exit_code == 0
    first = cli("transfer", "cancel", "T-C", "--reason", "wrong store", "--as", "rm_east")
    replay = cli("transfer", "cancel", "T-C", "--reason", "wrong store", "--as", "rm_east")
    other = cli("transfer", "ship", "T-C", "--as", "rm_east")
    bare = cli("transfer", "cancel", "T-C", "--as", "rm_east")
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["status"] == "cancelled" and replay.stdout == first.stdout
    assert other.exit_code == 2 and "status: transfer is cancelled" in other.output
    assert bare.exit_code == 2 and "--reason" in bare.output
    assert audited(shop, "transfer.cancel") == [("rm_east", "transfer:T-C")]


def test_refusals_name_the_field_exit_2_and_change_nothing(shop):
    before = k1_at_s1(shop)
    cases = {
        # F1 owns S2: another franchisee's store answers as an unknown place
        "location 'S3' not found": ["--from", "S2", "--to", "S3", "--line", "K1=1"],
        "location 'NOWHERE' not found": ["--from", "S2", "--to", "NOWHERE", "--line", "K1=1"],
        "--line: name at least one SKU=QTY": ["--from", "S2", "--to", "WE"],
        "--line: must be SKU=QTY": ["--from", "S2", "--to", "WE", "--line", "K1"],
    }
    for n, (expected, args) in enumerate(cases.items()):
        result = cli("transfer", "create", f"T-{n}", *args, "--as", "fr_f1")
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.output, (args, result.output)
    wrong_way = cli(
        *("transfer", "create", "T-W", "--from", "S1", "--to", "WC", "--line", "K1=1"),
        *("--as", "sm_s1"),
    )
    assert wrong_way.exit_code == 2 and "location 'WC' not found" in wrong_way.output
    assert k1_at_s1(shop) == before
    assert [a for a, _ in audited(shop, "denied")] == ["fr_f1", "fr_f1", "sm_s1"]


def test_stock_echelons_prints_a_table_and_plain_json(shop):
    # given 20 K1 + 20 K2 + 2 phones in each of S1, S3, S4 and 3 K1 on their way to S1
    receive(shop, "WE", [{"sku": "K1", "qty": 3}])
    args = ["transfer", "create", "T-E", "--from", "WE", "--to", "S1", "--line", "K1=3"]
    assert cli(*args, "--as", "rm_east").exit_code == 0
    assert cli("transfer", "ship", "T-E", "--as", "rm_east").exit_code == 0
    table = cli("stock", "echelons")
    as_json = cli("stock", "echelons", "--json")
    assert table.exit_code == 0, table.output
    assert "Stock by echelon" in table.output and "in transit to stores" in table.output
    assert "126" in table.output and "CNY" in table.output
    rows = {r["echelon"]: r for r in json.loads(as_json.stdout)}
    assert rows["stores"] == {
        "echelon": "stores",
        "units": 126,
        "value": 3 * (40 * 10.0 + 2 * 2000.0),
        "currency": "CNY",
    }
    assert rows["in transit to stores"]["units"] == 3
    assert rows["regional warehouses"]["units"] == 0


def test_a_phone_named_on_a_return_is_released_when_the_return_is_cancelled(shop):
    # given S1's manager returning phone P-S1-1 to its warehouse, WE
    args = ["transfer", "create", "T-P", "--from", "S1", "--to", "WE", "--serial", "PH1=P-S1-1"]
    made = cli(*args, "--as", "sm_s1")
    claimed = cli(
        *("transfer", "create", "T-Q", "--from", "S1", "--to", "WE", "--serial", "PH1=P-S1-1"),
        *("--as", "sm_s1"),
    )
    # when the return is cancelled
    cancelled = cli("transfer", "cancel", "T-P", "--reason", "kept for a customer", "--as", "sm_s1")
    # then the phone was claimed by the draft, and is free again
    assert made.exit_code == 0, made.output
    assert claimed.exit_code == 2 and "already named on draft transfer T-P" in claimed.output
    assert json.loads(cancelled.stdout)["serials_released"] == ["P-S1-1"]
    again = cli(
        *("transfer", "create", "T-Q", "--from", "S1", "--to", "WE", "--serial", "PH1=P-S1-1"),
        *("--key", "q2", "--as", "sm_s1"),
    )
    assert again.exit_code == 0, again.output
