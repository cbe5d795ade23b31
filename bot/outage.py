"""One log line when something starts failing, silence while the same failure goes on, one
line when it works again: a database outage must not write a traceback a second."""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.exc import DBAPIError, OperationalError

log = logging.getLogger("exitbot")


def _expected(exc: BaseException) -> bool:
    """An outage of something outside, where a traceback tells nothing."""
    return isinstance(exc, OperationalError | OSError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


class FailureLog:
    def __init__(self, what: str) -> None:
        self.what = what
        self._cause: str | None = None
        self._since = 0.0
        self._lock = threading.Lock()

    def failed(self, exc: BaseException) -> None:
        cause = type(exc).__name__
        with self._lock:
            if self._cause == cause:
                return
            if self._cause is None:
                self._since = time.monotonic()
            self._cause = cause
        # The first line of a database error: its SQL, never its bound values.
        first_line = str(exc).splitlines()[0][:300] if str(exc) else cause
        log.warning(
            "%s failed (%s: %s); retrying quietly until it works",
            self.what,
            cause,
            first_line,
            exc_info=None if _expected(exc) else exc,
        )

    def ok(self) -> None:
        with self._lock:
            if self._cause is None:
                return
            self._cause = None
            down = time.monotonic() - self._since
        log.info("%s works again after %.0f s", self.what, down)
