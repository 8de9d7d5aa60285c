"""The guarded division the demand model's statistics share: a ratio of discounted sums
whose denominator may still be zero (nothing seen yet)."""

from __future__ import annotations

import numpy as np


def ratio(num: np.ndarray, den: np.ndarray, fallback: np.ndarray | float) -> np.ndarray:
    """num / den elementwise where den > 0, else `fallback` (no warnings)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), fallback)
