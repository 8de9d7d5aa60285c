"""The purchase order's transition table and its money rule, without a database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from storenet.errors import Refused
from storenet.purchasing.money import as_decimal, to_cents
from storenet.purchasing.status import EDGES, NEEDS, STATUSES, StatusConflict


def test_the_transition_table_only_moves_forward_one_step_or_ends():
    order = {s: i for i, s in enumerate(STATUSES[:6])}
    for (before, after), action in EDGES.items():
        assert before in order, (before, after)
        if after == "cancelled":
            assert action == "cancel"
        elif (before, after) == ("confirmed", "closed"):
            assert action == "receive"  # everything arrived in one delivery
        else:
            assert order[after] == order[before] + 1, (before, after)
    # Nothing leaves a final status.
    assert not [edge for edge in EDGES if edge[0] in ("closed", "cancelled")]


def test_every_action_starts_only_where_the_table_lets_it():
    for action, starts in NEEDS.items():
        if action == "cancel":
            assert set(starts) == set(STATUSES) - {"closed", "cancelled"}
            continue
        assert set(starts) == {before for (before, _), a in EDGES.items() if a == action}


def test_a_conflict_names_the_status_and_what_the_step_needs():
    text = str(StatusConflict("PO-1", "approved", "confirm"))
    assert text == "purchase order PO-1 is approved: confirm needs it sent; nothing was changed"


@pytest.mark.parametrize(
    ("amount", "cents"),
    [("12.50", 1250), ("12.5", 1250), (Decimal("0.01"), 1), (7, 700), (" 3 ", 300)],
)
def test_amounts_become_whole_cents(amount, cents):
    assert to_cents(amount) == cents


@pytest.mark.parametrize("amount", [1.1, True, "1.005", "-1", "abc", "NaN", "1e999999", "1e13"])
def test_floats_fractions_of_a_cent_and_nonsense_are_refused_naming_the_field(amount):
    with pytest.raises(Refused) as caught:
        to_cents(amount, "unit_cost", "line 3")
    assert [(p.field, p.where) for p in caught.value.problems] == [("unit_cost", "line 3")]


def test_cents_read_back_as_two_place_decimals():
    assert as_decimal(1250) == Decimal("12.50") and str(as_decimal(5)) == "0.05"
