"""Rate limits: 429 with ``Retry-After`` when a key (or an address failing to sign in) asks too much.

Token buckets in memory, per process: ``[server] rate_limit`` requests a minute per API key (0 turns
it off) and ``[server] auth_failures`` failed authentications a minute per remote address, which
slows down guessing keys. A waitress process serves many threads, so the buckets are locked.
"""

from __future__ import annotations

import math
import threading
import time

from voc.errors import VocError


class TooManyRequests(VocError):
    code, status = "too_many_requests", 429

    def __init__(self, message: str, retry_after: float):
        super().__init__(message)
        self.retry_after = max(1, math.ceil(retry_after))


class Buckets:
    """``per_minute`` tokens per key, refilled continuously; at most ``max_keys`` keys remembered."""

    def __init__(self, per_minute: int, *, max_keys: int = 10_000, clock=time.monotonic):
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _tokens(self, key: str, now: float) -> float:
        """The key's tokens now (call with the lock held): a new key starts full."""
        tokens, seen = self._buckets.get(key, (float(self.per_minute), now))
        return min(float(self.per_minute), tokens + (now - seen) * self.rate)

    def take(self, key: str) -> float:
        """0 when a request may go ahead (and counts it), else the seconds until one may."""
        if self.per_minute <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            tokens = self._tokens(key, now)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return (1 - tokens) / self.rate
            if len(self._buckets) >= self.max_keys and key not in self._buckets:
                self._buckets.pop(next(iter(self._buckets)))  # forget the oldest
            self._buckets[key] = (tokens - 1, now)
            return 0.0

    def peek(self, key: str) -> float:
        """Like :meth:`take` but only says whether a request would be refused, counting nothing."""
        if self.per_minute <= 0:
            return 0.0
        with self._lock:
            tokens = self._tokens(key, self.clock())
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate
