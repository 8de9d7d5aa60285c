"""Who may take the stock commands (storenet.accounts.roles.POLICY, issue 13 item 7)."""

from __future__ import annotations

from storenet.accounts.roles import POLICY, STOCK_KEEPERS, allowed

STOCK_COMMANDS = ("stock.receive", "stock.scrap", "stock.hold", "stock.release", "stock.reserve")


def test_only_those_who_keep_stock_take_stock_commands():
    for action in STOCK_COMMANDS:
        assert POLICY[action] <= STOCK_KEEPERS, action
        for role in ("auditor", "hq_planner", "pos_device"):
            assert not allowed(role, action), (role, action)


def test_held_units_go_back_on_sale_only_by_a_line_manager():
    assert sorted(POLICY["stock.release"]) == ["administrator", "regional_manager"]
    assert allowed("store_manager", "stock.hold") and allowed("franchise_owner", "stock.hold")
    assert not allowed("store_manager", "stock.release")
    assert not allowed("franchise_owner", "stock.release")
