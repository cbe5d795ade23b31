"""What this thread (or task) is working on: the ids that every log line of the work
carries (the platform's event id, the interview, the platform). Plain context variables:
the core names what it handles, bot/logs.py writes it on each line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

FIELDS = ("event_id", "interview_id", "platform")

_EMPTY: MappingProxyType[str, str] = MappingProxyType({})
_current: ContextVar[MappingProxyType[str, str]] = ContextVar("exitbot_trace", default=_EMPTY)


def current() -> MappingProxyType[str, str]:
    return _current.get()


@contextmanager
def scope(**fields: Any) -> Iterator[None]:
    """Within the block, the work is about these; before and after, about what it was. A
    scope inside another adds to it until the outer one ends (a stored request's handling,
    then the conversation it reaches): what is noted inside is still known outside."""
    if _current.get() is not _EMPTY:
        note(**fields)
        yield
        return
    token = _current.set(_merged(fields))
    try:
        yield
    finally:
        _current.reset(token)


def note(**fields: Any) -> None:
    """From here to the end of the enclosing scope, the work is (also) about these. Outside
    any scope nothing is noted: it would stay with the thread for good."""
    if _current.get() is not _EMPTY:
        _current.set(_merged(fields))


def _merged(fields: dict[str, Any]) -> MappingProxyType[str, str]:
    merged = dict(_current.get())
    merged.update({name: str(value) for name, value in fields.items() if value is not None})
    return MappingProxyType(merged)
