"""The standards score: weighted, exact, rounded half up once."""

from __future__ import annotations

from fractions import Fraction

from storenet.standards.score import Scored, as_percent, basis_points, by_section, weighted


def test_the_weighted_score_matches_a_hand_count():
    items = [
        Scored("decor", 1, 1, 1),  # 1
        Scored("display", 2, 3, 5),  # 1.2
        Scored("service", 1, 1, 1),  # 1
        Scored("cleanliness", 3, 0, 1),  # 0
        Scored("staff", 3, 3, 4),  # 2.25
    ]
    assert weighted(items) == 5450  # 5.45 / 10 = 54.50%
    assert by_section(items) == {
        "decor": 10000,
        "display": 6000,
        "service": 10000,
        "cleanliness": 0,
        "staff": 7500,
    }


def test_rounding_is_half_up_once_at_the_end():
    assert basis_points(Fraction(1, 3)) == 3333
    assert basis_points(Fraction(2, 3)) == 6667
    assert basis_points(Fraction(1, 20000)) == 1  # 0.005% rounds up to 0.01%
    assert (
        weighted([Scored("decor", 1, 1, 3), Scored("decor", 1, 1, 3), Scored("decor", 1, 1, 3)])
        == 3333
    )


def test_no_items_score_zero_and_percent_text():
    assert weighted([]) == 0
    assert as_percent(5450) == "54.50%"
    assert as_percent(10000) == "100.00%"
    assert as_percent(None) == "–"
