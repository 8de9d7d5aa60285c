"""Naming the first difference between two payloads."""

from __future__ import annotations

import pytest

from storenet.errors import Refused
from storenet.ledger.idempotency import canonical, check_key, first_difference


def test_identical_payloads_have_no_difference():
    assert first_difference({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2}]}) is None


def test_the_first_differing_field_is_named_with_its_path():
    first = {"lines": [{"qty": 1, "sku": "A"}, {"qty": 2, "sku": "B"}]}
    now = {"lines": [{"qty": 1, "sku": "A"}, {"qty": 3, "sku": "B"}]}
    assert first_difference(first, now) == ("lines[1].qty", 2, 3)


def test_a_different_number_of_lines_is_named():
    assert first_difference({"lines": [1]}, {"lines": [1, 2]}) == ("lines length", 1, 2)


def test_a_missing_key_is_named():
    assert first_difference({"a": 1}, {"a": 1, "b": 2}) == ("b", None, 2)


def test_canonical_text_ignores_key_order():
    assert canonical({"b": 1, "a": 2}) == canonical({"a": 2, "b": 1}) == '{"a":2,"b":1}'


@pytest.mark.parametrize("key", [None, "", "   ", "x" * 201])
def test_a_missing_or_oversized_key_is_refused(key):
    with pytest.raises(Refused, match="idempotency_key"):
        check_key(key)
