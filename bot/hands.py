"""The hands that handle requests (EXITBOT_HANDLERS), shared by the inbox's handlers and the
answers handled as they arrive. A hand stands for a turn at the database, not for a thread:
a handler that waits for a model lets go of its hand meanwhile, or a model that hangs would
keep every hand waiting and send every answer to the inbox behind it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Hands(threading.BoundedSemaphore):
    def __init__(self, value: int = 1) -> None:
        super().__init__(value)
        self._held = threading.local()  # how many this thread holds

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        taken = super().acquire(blocking, timeout)
        if taken:
            self._held.count = self._mine() + 1
        return taken

    __enter__ = acquire  # Semaphore's is its own acquire, not this one

    def release(self, n: int = 1) -> None:
        super().release(n)
        self._held.count = self._mine() - n

    def _mine(self) -> int:
        return int(getattr(self._held, "count", 0))

    @contextmanager
    def let_go(self) -> Iterator[None]:
        """While this thread waits on something else than the database, the hands it holds
        are free for others; it takes them back (waiting its turn) when done."""
        held = self._mine()
        if held:
            self.release(held)
        try:
            yield
        finally:
            for _ in range(held):
                self.acquire()
