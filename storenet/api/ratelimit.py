"""Per-device rate limits: a token bucket over POS lines, in this worker process.

A batch is admitted whole or not at all: `take` either removes all of its lines from
the bucket or none and says how long to wait, so a refused batch writes nothing. With
several workers each keeps its own buckets (a device's quota is per worker).
"""

from __future__ import annotations

import math
import threading
import time


class LineBuckets:
    """One bucket per device: `rate` lines per second, holding at most `burst`."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[object, tuple[float, float]] = {}

    def take(self, device: object, lines: int) -> int:
        """Admit `lines` for `device`: 0 if admitted (and taken), else the whole seconds
        to wait before this many lines would be admitted."""
        with self._lock:
            now = self._clock()
            level, then = self._buckets.get(device, (float(self.burst), now))
            level = min(float(self.burst), level + (now - then) * self.rate)
            if lines <= level:
                self._buckets[device] = (level - lines, now)
                return 0
            self._buckets[device] = (level, now)
            return max(1, math.ceil((lines - level) / self.rate))
