"""Keeping a slow or failing model from slowing the interview: a hard wall-clock timeout,
a bound on calls in flight, and a circuit breaker that stops calling for a while after
repeated failures (the offline analyst answers meanwhile), then tries one call again."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class CircuitOpen(Exception):
    """The breaker is open: do not call the model now."""


class Busy(Exception):
    """Every slot for a model call is taken, and the caller would rather not wait for one."""


class CircuitBreaker:
    def __init__(
        self,
        failures_to_open: int = 3,
        cooldown: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failures_to_open = failures_to_open
        self.cooldown = cooldown
        self.clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            return "half-open" if self.clock() - self._opened_at >= self.cooldown else "open"

    def allow(self) -> bool:
        """May we call now? After the cooldown, one trial call is let through."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self.clock() - self._opened_at < self.cooldown or self._trial:
                return False
            self._trial = True
            return True

    def success(self) -> None:
        with self._lock:
            was_open = self._opened_at is not None
            self._failures, self._opened_at, self._trial = 0, None, False
        if was_open:
            log.info("LLM analyst answering again: circuit closed")

    def failure(self) -> None:
        with self._lock:
            self._failures += 1
            opens = self._trial or self._failures >= self.failures_to_open
            reopens = opens and self._opened_at is not None
            if opens:
                self._opened_at, self._trial = self.clock(), False
        if opens and not reopens:
            # Said once, not once per answer while it stays open.
            log.warning(
                "LLM analyst failing: circuit open, the offline analyst answers; one call "
                "is tried again every %g s",
                self.cooldown,
            )


# Told of each call's outcome ("ok", "error", "timeout", or "refused" while the breaker is
# open) and how long it took in seconds.
CallObserver = Callable[[str, float], None]


class Guard:
    """Runs calls with a hard timeout, at most `concurrency` at once, behind a breaker."""

    def __init__(
        self,
        timeout: float,
        concurrency: int,
        breaker: CircuitBreaker,
        observe: CallObserver = lambda outcome, seconds: None,
    ) -> None:
        self.timeout = timeout
        self.breaker = breaker
        self.observe = observe
        self.concurrency = concurrency
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="exitbot-llm")
        # Calls submitted and not finished (a hung one holds its slot past its timeout).
        self._unfinished = 0
        self._lock = threading.Lock()

    def call(self, work: Callable[[], T], *, wait_for_slot: bool = True) -> T:
        """The result, or an exception: CircuitOpen, TimeoutError, or whatever `work` raised
        (each failure counts towards opening the breaker). Without `wait_for_slot`, Busy
        when every slot is taken: someone waits on this answer, and queueing behind calls
        that may hang would hold them (and the thread serving them) for the whole timeout."""
        if not self.breaker.allow():
            self.observe("refused", 0.0)
            raise CircuitOpen()
        with self._lock:
            if not wait_for_slot and self._unfinished >= self.concurrency:
                self.observe("busy", 0.0)
                raise Busy()
            self._unfinished += 1
        started = time.monotonic()
        future: Future[T] = self._pool.submit(work)
        future.add_done_callback(self._finished)
        try:
            result = future.result(timeout=self.timeout)
        except FutureTimeout:
            future.cancel()
            self.breaker.failure()
            self.observe("timeout", time.monotonic() - started)
            raise TimeoutError(f"no answer within {self.timeout:g} s") from None
        except Exception:
            self.breaker.failure()
            self.observe("error", time.monotonic() - started)
            raise
        self.breaker.success()
        self.observe("ok", time.monotonic() - started)
        return result

    def _finished(self, _: Future[T]) -> None:
        with self._lock:
            self._unfinished -= 1

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
