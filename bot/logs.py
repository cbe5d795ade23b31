"""One log format for everything `exitbot serve` writes (ours, uvicorn's, the libraries'),
at `EXITBOT_LOG_LEVEL`, as text or one JSON object per line (`EXITBOT_LOG_FORMAT`). Every
line carries the replica and, within a request's work, the event, interview and platform
it is about (core/trace.py). The same warning or error repeats at most once a minute.

Employee words never reach a log: ExitBot's own lines name ids and causes only, and the
libraries that log requests, responses or SQL below WARNING (Slack's SDK, HTTP clients,
the ORM) are held at WARNING whatever the level."""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable

from pythonjsonlogger.json import JsonFormatter

from core import trace

# Loggers that print request and response bodies (answers, questions, summaries) or SQL
# below WARNING; APScheduler, two lines a minute per replica for each run of each job.
QUIET_LIBRARIES = (
    "slack_sdk",
    "slack_bolt",
    "httpx",
    "httpcore",
    "openai",
    "urllib3",
    "msal",
    "microsoft_agents",
    "sqlalchemy",
    "apscheduler",
)
REPEAT_SECONDS = 60.0
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def replica_name(configured: str | None) -> str:
    return configured or f"{socket.gethostname()}-{os.getpid()}"


class Context(logging.Filter):
    """Adds the replica and the current work's ids to each record."""

    def __init__(self, replica: str) -> None:
        super().__init__()
        self.replica = replica

    def filter(self, record: logging.LogRecord) -> bool:
        record.replica = self.replica
        for name, value in trace.current().items():
            setattr(record, name, value)
        return True


class Repeats(logging.Filter):
    """Lets a warning or error through once per cause per `window` seconds; the next one
    let through says how many were held back. A cause is the logger, the message's
    template and the exception's type: an outage logs one line a minute, not one a try."""

    def __init__(
        self, window: float = REPEAT_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.window = window
        self.clock = clock
        self._last: dict[tuple[str, str, str], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        error = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        cause = (record.name, str(record.msg), error)
        now = self.clock()
        with self._lock:
            since, held = self._last.get(cause, (float("-inf"), 0))
            if now - since < self.window:
                self._last[cause] = (since, held + 1)
                return False
            self._last[cause] = (now, 0)
        if held:
            record.repeated = held
        return True


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        ids = [f"{name}={getattr(record, name)}" for name in trace.FIELDS if hasattr(record, name)]
        held = getattr(record, "repeated", 0)
        if held:
            ids.append(f"(and {held} more like it in the last minute)")
        if not ids:
            return line
        first, newline, rest = line.partition("\n")
        return f"{first} [{' '.join(ids)}]{newline}{rest}"


def configure(level: str = "INFO", form: str = "text", replica: str | None = None) -> None:
    """Route every logger through one handler on standard error, in one format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(Context(replica_name(replica)))
    handler.addFilter(Repeats())
    if form == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                datefmt="%Y-%m-%dT%H:%M:%S%z",
            )
        )
    else:
        handler.setFormatter(TextFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quiet = max(logging.getLevelName(level), logging.WARNING)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(quiet)
    # uvicorn's own loggers write through ours (serve passes log_config=None).
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
        logger.setLevel(level)
