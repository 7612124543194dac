"""A per-client token bucket for endpoints that make the server fetch pages on a reader's behalf."""

from __future__ import annotations

import threading
import time

__all__ = ["RateLimiter"]


class RateLimiter:
    """`rate` requests per second per client with bursts up to `burst`; state lives in this process."""

    def __init__(self, rate: float, burst: int, max_clients: int = 10000, clock=time.monotonic):
        self.rate, self.burst, self.max_clients, self.clock = rate, burst, max_clients, clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> tuple[bool, float]:
        """(allowed, seconds until the next request would be allowed)."""
        now = self.clock()
        with self._lock:
            tokens, stamp = self._buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - stamp) * self.rate)
            if tokens >= 1:
                self._remember(client, (tokens - 1, now))
                return True, 0.0
            self._remember(client, (tokens, now))
            return False, (1 - tokens) / self.rate

    def waiting(self, client: str) -> float:
        """Seconds until `client` may be allowed again (0.0 now), without taking anything from its bucket."""
        now = self.clock()
        with self._lock:
            tokens, stamp = self._buckets.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - stamp) * self.rate)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def _remember(self, client: str, bucket: tuple[float, float]) -> None:
        if client not in self._buckets and len(self._buckets) >= self.max_clients:
            # Forget the stalest half rather than grow without bound under a flood of addresses.
            for key, _ in sorted(self._buckets.items(), key=lambda kv: kv[1][1])[: self.max_clients // 2]:
                del self._buckets[key]
        self._buckets[client] = bucket
