"""Token buckets that keep calls to a platform just under its limits: in this process, or in
Redis, shared by every replica (so that N replicas together stay under a workspace's limit,
and a 429 one of them met pauses them all).

`take` reserves a call: it answers how long to wait before making it (0: at once), or None
when the bucket cannot let it through within `max_wait` (then nothing is taken, and the
caller does something else meanwhile instead of sleeping)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

import redis

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Limit:
    rate: float  # calls per second, sustained
    burst: float  # calls at once after a quiet spell


class Buckets(Protocol):
    def take(self, key: str, limit: Limit, max_wait: float) -> float | None: ...

    def pause(self, key: str, seconds: float) -> None:
        """Nothing through `key` for `seconds` (a platform's Retry-After)."""
        ...

    def wait(self, key: str) -> float:
        """How long `key` is paused for (0 when it is not)."""
        ...


@dataclass
class _State:
    tokens: float
    at: float
    paused_until: float = 0.0


class MemoryBuckets:
    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self._now = clock or time.monotonic
        self._lock = threading.Lock()
        self._buckets: dict[str, _State] = {}

    def take(self, key: str, limit: Limit, max_wait: float) -> float | None:
        with self._lock:
            now = self._now()
            state = self._buckets.setdefault(key, _State(limit.burst, now))
            state.tokens = min(limit.burst, state.tokens + (now - state.at) * limit.rate)
            state.at = now
            wait = max(0.0, (1 - state.tokens) / limit.rate, state.paused_until - now)
            if wait > max_wait:
                return None
            state.tokens -= 1  # may go below zero: the next caller waits for it
            return wait

    def pause(self, key: str, seconds: float) -> None:
        with self._lock:
            now = self._now()
            state = self._buckets.setdefault(key, _State(0.0, now))
            state.paused_until = max(state.paused_until, now + seconds)

    def wait(self, key: str) -> float:
        with self._lock:
            state = self._buckets.get(key)
            return max(0.0, state.paused_until - self._now()) if state else 0.0


# The same arithmetic as MemoryBuckets, atomic in Redis, on Redis's clock (replicas' clocks
# may differ). Numbers go back as strings: Redis would cut a Lua number to an integer.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate, burst, max_wait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'paused_until')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
local paused_until = tonumber(b[3]) or 0
tokens = math.min(burst, tokens + (now - at) * rate)
local wait = math.max(0, (1 - tokens) / rate, paused_until - now)
if wait > max_wait then return '-1' end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], 3600)
return tostring(wait)
"""
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = now + tonumber(ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'paused_until')) or 0
if until_ > current then redis.call('HSET', KEYS[1], 'paused_until', tostring(until_)) end
redis.call('EXPIRE', KEYS[1], 3600)
return tostring(math.max(0, math.max(until_, current) - now))
"""
_WAIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local current = tonumber(redis.call('HGET', KEYS[1], 'paused_until')) or 0
return tostring(math.max(0, current - now))
"""


class RedisBuckets:
    """While Redis cannot be reached, this process paces itself alone (one line in the log
    when that starts and one when it ends): sending goes on, slower to agree across replicas."""

    def __init__(self, url: str, prefix: str = "exitbot:pace:") -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix
        self._take = self._redis.register_script(_TAKE)
        self._pause = self._redis.register_script(_PAUSE)
        self._wait = self._redis.register_script(_WAIT)
        self._alone = MemoryBuckets()
        self._down = False

    def take(self, key: str, limit: Limit, max_wait: float) -> float | None:
        args = [limit.rate, limit.burst, max_wait]
        wait = self._shared(
            lambda: float(self._take(keys=[self._prefix + key], args=args)),
            lambda: self._alone.take(key, limit, max_wait),
        )
        return None if wait is None or wait < 0 else wait

    def pause(self, key: str, seconds: float) -> None:
        self._alone.pause(key, seconds)
        self._shared(lambda: self._pause(keys=[self._prefix + key], args=[seconds]), lambda: None)

    def wait(self, key: str) -> float:
        return self._shared(
            lambda: float(self._wait(keys=[self._prefix + key])), lambda: self._alone.wait(key)
        )

    def _shared(self, call: Callable[[], T], alone: Callable[[], T]) -> T:
        try:
            result = call()
        except redis.RedisError as exc:
            if not self._down:
                log.warning("Redis unreachable (%s): pacing this replica on its own", exc)
                self._down = True
            return alone()
        if self._down:
            log.info("Redis is back: pacing shared with the other replicas again")
            self._down = False
        return result

    def close(self) -> None:
        self._redis.close()
