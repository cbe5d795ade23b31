"""The parts of operating ExitBot that are easier to see up close than through a server:
the log filter that holds back repeats, and readiness on a database nobody migrated."""

from __future__ import annotations

import logging

from sqlalchemy import create_engine

from bot.logs import Context, Repeats, TextFormatter
from bot.migrate import upgrade
from bot.probes import Probes
from core import trace


def record(message: str, level: int = logging.WARNING, *args: object) -> logging.LogRecord:
    return logging.LogRecord("exitbot", level, __file__, 1, message, args, None)


def test_the_same_warning_passes_once_a_minute_then_says_how_many_were_held() -> None:
    now = [0.0]
    repeats = Repeats(window=60, clock=lambda: now[0])
    assert repeats.filter(record("sending failed (%s)", logging.WARNING, "timeout"))
    held = [
        repeats.filter(record("sending failed (%s)", logging.WARNING, "refused")) for _ in range(5)
    ]
    assert held == [False] * 5
    # Another cause, and anything below WARNING, pass meanwhile.
    assert repeats.filter(record("handling failed"))
    assert repeats.filter(record("sending failed (%s)", logging.INFO, "x"))
    now[0] = 61.0
    again = record("sending failed (%s)", logging.WARNING, "timeout")
    assert repeats.filter(again)
    assert getattr(again, "repeated", 0) == 5
    text = TextFormatter("%(message)s").format(again)
    assert text == "sending failed (timeout) [(and 5 more like it in the last minute)]"


def test_a_line_names_the_work_it_was_written_for() -> None:
    context = Context("host-1")
    formatter = TextFormatter("%(message)s")
    with trace.scope(event_id="Ev1", platform="slack"):
        trace.note(interview_id="iv1")
        inside = record("handled")
        context.filter(inside)
    outside = record("idle")
    context.filter(outside)
    assert formatter.format(inside) == "handled [event_id=Ev1 interview_id=iv1 platform=slack]"
    assert formatter.format(outside) == "idle"
    assert inside.replica == outside.replica == "host-1"  # type: ignore[attr-defined]


def test_readiness_names_what_is_missing(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/probe.db"
    engine = create_engine(url)
    try:
        ready, found = Probes(engine, lambda: ["exitbot-outbox-0"]).readiness()
        assert not ready
        assert found == {
            "database": "ok",
            "migrations": "behind: run `exitbot migrate`",
            "workers": "stopped: exitbot-outbox-0",
        }
        upgrade(url)
        ready, found = Probes(engine, list, {"slack": lambda: False}).readiness()
        assert not ready and found["slack"] == "disconnected"
        ready, found = Probes(engine, list, {"slack": lambda: True}).readiness()
        assert ready and found["migrations"] == "current"
    finally:
        engine.dispose()


def test_a_note_outside_any_scope_stays_nowhere() -> None:
    trace.note(interview_id="iv-demo")  # the demo's thread, say: no request around it
    assert trace.current() == {}


def test_what_an_inner_scope_notes_is_known_until_the_outer_one_ends() -> None:
    with trace.scope(event_id="Ev1", platform="slack"):
        with trace.scope(event_id="Ev1", platform="slack"):
            trace.note(interview_id="iv1")
        assert trace.current() == {"event_id": "Ev1", "platform": "slack", "interview_id": "iv1"}
    assert trace.current() == {}
