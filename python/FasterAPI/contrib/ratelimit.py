"""Rate limiting: a token bucket per client, as a dependency.

`RateLimiter("10/minute")` is a dependency: put it on a route (`dependencies=[Depends(limiter)]`),
a router or the whole app (`FastAPI(dependencies=[...])`). Each client (its IP address, as the
server sees it after `--proxy-headers`; or what `key(request)` returns) has a bucket of `burst`
tokens (the rate's count by default) that refills at the rate; a request takes one. A request
that finds the bucket empty is answered 429 with `Retry-After`; the 429 and the answers made
from what a handler returns carry the `RateLimit-Limit`, `RateLimit-Remaining` and
`RateLimit-Reset` headers (IETF draft httpapi-ratelimit-headers, up to its version 06). As a
dependency it runs inside the route's run, on the native server's path too.

The buckets live in memory (`MemoryBackend`, per process, at most `max_keys` of them) or in
Redis (`RedisBackend`, the `redis` extra): one atomic Lua script per request, timed by Redis's
clock, so that every worker and instance sharing the Redis shares each client's budget.
"""

from __future__ import annotations

import inspect
import logging
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple

from ..exceptions import HTTPException
from ..requests import Request
from ..responses import Response
from ._redis import LoopClient

_PERIODS = {"second": 1.0, "minute": 60.0, "hour": 3600.0, "day": 86400.0}
_logger = logging.getLogger("fasterapi.error")
_NAMES = (b"ratelimit-limit", b"ratelimit-remaining", b"ratelimit-reset")
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(second|minute|hour|day)s?\s*$")


class Bucket(NamedTuple):
    """What a backend says of one hit: whether it is allowed, and the tokens left after it."""

    allowed: bool
    tokens: float


class MemoryBackend:
    """Token buckets in this process's memory: at most `max_keys` clients are remembered
    (the least recently seen is forgotten first, and starts again with a full bucket), so
    that clients cannot grow the server's memory without bound. `clock`: seconds, monotonic."""

    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic):
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def hit(self, key: str, capacity: int, rate: float) -> Bucket:
        now = self.clock()
        buckets = self._buckets
        state = buckets.get(key)
        if state is None:
            tokens = float(capacity)
            if len(buckets) >= self.max_keys:
                buckets.popitem(last=False)
        else:
            tokens, then = state
            tokens = min(float(capacity), tokens + max(0.0, now - then) * rate)
            buckets.move_to_end(key)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        buckets[key] = (tokens, now)
        return Bucket(allowed, tokens)


#: The token bucket, atomically, on Redis's own clock: KEYS[1] the bucket, ARGV[1] its
#: capacity, ARGV[2] its refill rate per second; returns {allowed, tokens left (as text)}.
_LUA = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
if tokens == nil then
  tokens = capacity
else
  tokens = math.min(capacity, tokens + math.max(0, now - tonumber(state[2])) * rate)
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""


class RedisBackend:
    """Token buckets in Redis, shared by every process and instance using it; keys start with
    `prefix` and expire once full. From `url`, a client is made for each event loop that
    uses the backend (a redis.asyncio connection belongs to the loop that opened it), with
    `timeout` seconds to connect and to answer; or give a `redis.asyncio.Redis` as `client`,
    used as it is."""

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Any = None,
        prefix: str = "fasterapi:rl:",
        timeout: float = 1.0,
    ) -> None:
        self._redis = LoopClient(url, client, timeout, (_LUA,))
        self.url = url
        self.timeout = timeout
        self.prefix = prefix

    async def hit(self, key: str, capacity: int, rate: float) -> Bucket:
        script = self._redis.scripts()[0]
        allowed, tokens = await script(keys=[self.prefix + key], args=[capacity, rate])
        return Bucket(bool(int(allowed)), float(tokens))

    async def aclose(self) -> None:
        await self._redis.aclose()


def client_ip(request: Request) -> str:
    """The default key: the client's address as the server sees it (the proxy's client's
    with `--proxy-headers` from a trusted proxy), or "unknown"."""
    client = request.client
    return client.host if client is not None else "unknown"


def parse_rate(rate: str) -> tuple[int, float]:
    """ "10/minute", "100/hour", "5/30second": (count, period in seconds)."""
    match = _RATE.match(rate)
    if match is None or int(match.group(1)) < 1:
        raise ValueError(
            f"invalid rate {rate!r}: write it as COUNT/PERIOD, e.g. '10/minute' or '5/30second'"
        )
    count, multiple, unit = match.groups()
    if multiple and int(multiple) < 1:
        raise ValueError(f"invalid rate {rate!r}: the period must be at least 1 {unit}")
    return int(count), (int(multiple) if multiple else 1) * _PERIODS[unit]


class RateLimiter:
    """A dependency that lets each client make `rate` requests ("10/minute"), in bursts of
    at most `burst` (the rate's count by default), and answers 429 past it. If the backend
    fails (Redis down or slow), the request is answered 503, or let through with
    `fail_open=True`; either way the failure is logged."""

    #: How many limiters were made before: the default scope of the next one.
    _made = 0

    def __init__(
        self,
        rate: str,
        *,
        burst: int | None = None,
        key: Callable[[Request], Any] = client_ip,
        backend: MemoryBackend | RedisBackend | None = None,
        scope: str = "",
        fail_open: bool = False,
    ) -> None:
        count, period = parse_rate(rate)
        if burst is not None and burst < 1:
            raise ValueError("burst must be at least 1")
        self.capacity = burst if burst is not None else count
        self.refill = count / period  # tokens per second
        self.key = key
        self.backend = backend if backend is not None else MemoryBackend()
        self.fail_open = fail_open
        #: Sets this limiter's buckets apart from another's on the same backend: by default
        #: the order it was made in (the same in every worker and instance running the same
        #: code) and its rate; limiters given the same scope share their buckets.
        self.scope = scope or f"{RateLimiter._made}:{count}/{period:g}/{self.capacity}"
        RateLimiter._made += 1
        self._limit = b"%d" % self.capacity

    async def __call__(self, request: Request, response: Response) -> None:
        key = self.key(request)
        if inspect.isawaitable(key):
            key = await key
        try:
            allowed, tokens = await self.backend.hit(
                f"{self.scope}:{key}", self.capacity, self.refill
            )
        except Exception:  # the backend is down or slow: the limit cannot be checked
            _logger.exception("Rate limiting failed (%s)", type(self.backend).__name__)
            if self.fail_open:
                return
            raise HTTPException(503, "Rate limiting is unavailable") from None
        reset = max(0, math.ceil((self.capacity - tokens) / self.refill))
        remaining = max(0, math.floor(tokens))
        if not allowed:
            headers = {
                "Retry-After": str(max(1, math.ceil((1.0 - tokens) / self.refill))),
                "RateLimit-Limit": str(self.capacity),
                "RateLimit-Remaining": str(remaining),
                "RateLimit-Reset": str(reset),
            }
            raise HTTPException(429, "Too Many Requests", headers=headers)
        # (on the raw headers: a limiter before this one, app-wide say, is replaced)
        raw = response.raw_headers
        if raw:
            raw[:] = [pair for pair in raw if pair[0] not in _NAMES]
        raw += (
            (b"ratelimit-limit", self._limit),
            (b"ratelimit-remaining", b"%d" % remaining),
            (b"ratelimit-reset", b"%d" % reset),
        )


__all__ = [
    "Bucket",
    "MemoryBackend",
    "RateLimiter",
    "RedisBackend",
    "client_ip",
    "parse_rate",
]
