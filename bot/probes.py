"""What `/livez` and `/readyz` tell an orchestrator. Live: the process answers HTTP (restart
it when not). Ready: it can do its work: the database answers and is at this code's
migration, the worker's threads and the scheduler run, and a connection the platform keeps
open itself (Slack's Socket Mode) is up (send it no traffic when not)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from bot.migrate import is_current


@dataclass
class Probes:
    engine: Engine
    # The names of background threads that should run and do not.
    stopped: Callable[[], list[str]] = list
    # Each kept-open connection by name: is it up?
    connections: Mapping[str, Callable[[], bool]] = field(default_factory=dict)

    def readiness(self) -> tuple[bool, dict[str, str]]:
        """Whether ready, and each check's finding."""
        checks: dict[str, str] = {}
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
                checks["database"] = "ok"
                current = is_current(connection)
            checks["migrations"] = "current" if current else "behind: run `exitbot migrate`"
        except SQLAlchemyError:
            checks["database"] = "unreachable"
            checks["migrations"] = "unknown"
        stopped = self.stopped()
        checks["workers"] = f"stopped: {', '.join(stopped)}" if stopped else "ok"
        for name, connected in self.connections.items():
            checks[name] = "connected" if connected() else "disconnected"
        ready = checks["database"] == "ok" and checks["migrations"] == "current"
        ready = (
            ready and not stopped and all(checks[name] == "connected" for name in self.connections)
        )
        return ready, checks
