"""The projection rule: what a movement does to balances (pure, no database)."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storenet.ledger.locations import COUNT_DIFFERENCE, CUSTOMER, QUARANTINE, SUPPLIER, TRANSIT
from storenet.ledger.posting import Deltas, Movement, balance_deltas

T = datetime(2026, 11, 23)
W, S = 101, 102


def test_a_shipment_leaves_the_source_and_counts_in_transit_at_the_destination():
    # given a shipment of 5 from W to S, when projected
    deltas = balance_deltas([Movement("ship", "K", W, TRANSIT, 5, T, site_location=S)])
    # then W loses 5 on hand and S gains 5 in transit
    assert deltas == {(W, "K"): Deltas(on_hand=-5), (S, "K"): Deltas(in_transit=5)}


def test_a_hold_and_its_release_cancel_out():
    moves = [
        Movement("hold", "K", S, QUARANTINE, 2, T, site_location=S),
        Movement("release", "K", QUARANTINE, S, 2, T, site_location=S),
    ]
    assert balance_deltas(moves) == {}


def test_virtual_locations_carry_no_projected_rows():
    deltas = balance_deltas([Movement("sale", "K", S, CUSTOMER, 1, T)])
    assert deltas == {(S, "K"): Deltas(on_hand=-1)}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"qty": 0}, "positive"),
        ({"to_location": W}, "different locations"),
        ({"to_location": TRANSIT}, "real site"),
        ({"serials": ("a", "b")}, "one serial per unit"),
        ({"kind": "teleport"}, "unknown movement kind"),
    ],
)
def test_a_malformed_movement_cannot_be_built(kwargs, message):
    base = {
        "kind": "receipt",
        "sku_id": "K",
        "from_location": W,
        "to_location": S,
        "qty": 1,
        "occurred_at": T,
    }
    with pytest.raises(ValueError, match=message):
        Movement(**{**base, **kwargs})


REAL = st.sampled_from([W, S, 103])
VIRTUAL = st.sampled_from([SUPPLIER, CUSTOMER, COUNT_DIFFERENCE])


@st.composite
def movements(draw):
    kind = draw(st.sampled_from(["plain", "transit", "quarantine"]))
    qty = draw(st.integers(1, 50))
    sku = draw(st.sampled_from(["A", "B"]))
    if kind == "transit":
        a, site = draw(REAL), draw(REAL)
        pair = (a, TRANSIT) if draw(st.booleans()) else (TRANSIT, site)
        return Movement("ship", sku, *pair, qty, T, site_location=site)
    if kind == "quarantine":
        site = draw(REAL)
        pair = (site, QUARANTINE) if draw(st.booleans()) else (QUARANTINE, site)
        return Movement("hold", sku, *pair, qty, T, site_location=site)
    a = draw(st.one_of(REAL, VIRTUAL))
    b = draw(st.one_of(REAL, VIRTUAL).filter(lambda x: x != a))
    return Movement("adjust", sku, a, b, qty, T)


@given(st.lists(movements(), max_size=30))
def test_projected_units_plus_virtual_balances_net_to_zero_per_sku(moves):
    # given any movements, when projected
    deltas = balance_deltas(moves)
    # then real units (on hand + in transit + held) equal what left the other virtual
    # locations, per SKU: double entry conserves units
    for sku in ("A", "B"):
        real = sum(d.on_hand + d.in_transit + d.held for (_, k), d in deltas.items() if k == sku)
        virtual = 0
        for m in moves:
            if m.sku_id != sku:
                continue
            if m.from_location in (SUPPLIER, CUSTOMER, COUNT_DIFFERENCE):
                virtual -= m.qty
            if m.to_location in (SUPPLIER, CUSTOMER, COUNT_DIFFERENCE):
                virtual += m.qty
        assert real + virtual == 0
