"""The token bucket used for fetching endpoints."""

from masthead.web.ratelimit import RateLimiter


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_burst_then_refusal_then_refill():
    clock = Clock()
    limiter = RateLimiter(rate=2, burst=3, clock=clock)
    assert [limiter.allow("a")[0] for _ in range(4)] == [True, True, True, False]
    allowed, wait = limiter.allow("a")
    assert not allowed and 0 < wait <= 0.5
    clock.now += 0.5
    assert limiter.allow("a")[0] is True
    assert limiter.allow("b")[0] is True  # clients are independent


def test_memory_is_bounded_under_many_clients():
    clock = Clock()
    limiter = RateLimiter(rate=1, burst=1, max_clients=100, clock=clock)
    for i in range(1000):
        clock.now += 0.001
        limiter.allow(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter._buckets) <= 100
