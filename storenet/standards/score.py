"""The standards score: the weighted share of the checklist met, exact.

Each item counts its `weight` times the fraction it earned: 1 or 0 for a pass_fail
item, score / max_score for a score item. The audit's score is the sum over the sum of
weights, as a percentage held in hundredths of a percent (basis points of 100%: 0 to
10000), rounded half up once at the end; the arithmetic before it is exact
(fractions), so two databases and two runs give the same figure. Section scores are the
same rule over each section's items.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import floor


@dataclass(frozen=True)
class Scored:
    """One item as the score sees it."""

    section: str
    weight: int
    score: int
    max_score: int


def basis_points(share: Fraction) -> int:
    """`share` (0..1) in hundredths of a percent, rounded half up."""
    return floor(share * 10000 + Fraction(1, 2))


def weighted(items: list[Scored]) -> int:
    """The weighted score of `items` in hundredths of a percent (0..10000); 0 for no
    items."""
    total = sum(i.weight for i in items)
    if not total:
        return 0
    earned = sum(Fraction(i.weight * i.score, i.max_score) for i in items)
    return basis_points(earned / total)


def by_section(items: list[Scored]) -> dict[str, int]:
    """{section: weighted score in hundredths of a percent}, sections in first-seen
    order."""
    sections: dict[str, list[Scored]] = {}
    for item in items:
        sections.setdefault(item.section, []).append(item)
    return {name: weighted(group) for name, group in sections.items()}


def as_percent(bp: int | None) -> str:
    """Hundredths of a percent as text: 8750 -> "87.50%"; a dash for None."""
    return "–" if bp is None else f"{bp // 100}.{bp % 100:02d}%"
