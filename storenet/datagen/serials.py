"""Serial numbers for serial-tracked units: IMEI-like for phones, SN-prefixed for TVs.

Serials come from a counter, so they are unique by construction and reproducible.
A phone serial is 15 digits like an IMEI: a 14-digit body starting with 86 (the
reporting-body prefix used for China) followed by its Luhn check digit.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

IMEI_BASE = 86_000_000_000_000  # 14-digit body of the first phone serial
TV_BASE = 10**11  # TVs: "SN" + 12 digits


def luhn_check_digit(body: np.ndarray) -> np.ndarray:
    """Luhn check digit (int64 0-9) for each non-negative integer in `body` (int64).

    The digit d makes ``body * 10 + d`` pass the Luhn test: starting from the
    rightmost digit of `body`, every other digit is doubled (minus 9 if over 9).
    """
    body = np.asarray(body, dtype=np.int64).copy()
    total = np.zeros(body.shape, dtype=np.int64)
    position = 0
    while body.any():
        digit = body % 10
        if position % 2 == 0:
            digit = digit * 2
            digit = np.where(digit > 9, digit - 9, digit)
        total += digit
        body //= 10
        position += 1
    return (10 - total % 10) % 10


def imei_serials(counter: np.ndarray) -> pa.Array:
    """IMEI-like 15-digit strings for counters 0..(10**12 - 1), unique per counter."""
    body = IMEI_BASE + np.asarray(counter, dtype=np.int64)
    return pc.cast(pa.array(body * 10 + luhn_check_digit(body)), pa.string())


def tv_serials(counter: np.ndarray) -> pa.Array:
    """ "SN" + 12 digits for counters 0..(9 * 10**11 - 1), unique per counter."""
    digits = pc.cast(pa.array(TV_BASE + np.asarray(counter, dtype=np.int64)), pa.string())
    return pc.binary_join_element_wise("SN", digits, "")
