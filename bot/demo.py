"""`exitbot demo`: a whole interview in the terminal, offline, on SQLite. Answers are read
line by line, so `printf '...' | exitbot demo` scripts it. Stopping half-way keeps the
answers: the next run picks up at the next unanswered question."""

from __future__ import annotations

from typing import TextIO

from adapters.console.chat import PLATFORM, ConsoleChat
from bot.container import build_app
from bot.migrate import upgrade_with
from bot.settings import Settings
from core.events import UserMessage
from core.interview import InterviewState, Person

DEMO_USER = "demo"
# The employee's name in a new demo interview.
NAME = "Alex"


def _read(stdin: TextIO, stdout: TextIO, interactive: bool) -> str:
    """The next line typed, with its newline; "" at the end of input (Ctrl-D)."""
    if not interactive:
        return stdin.readline()
    try:
        return input("> ") + "\n"
    except EOFError:
        return ""


def run_demo(
    settings: Settings,
    stdin: TextIO,
    stdout: TextIO,
    name: str | None,
    fresh: bool,
    language: str | None = None,
) -> int:
    """`name` None: the demo's own (a new interview), or the one already used (resuming);
    `language`: the one a new interview is held in."""
    upgrade_with(settings)
    app = build_app(settings, {PLATFORM: ConsoleChat(stdout)})
    conversation = app.conversation
    try:
        current = conversation.current(PLATFORM, DEMO_USER)
        if current is not None and current.state is InterviewState.IN_PROGRESS:
            if fresh:
                app.hr.cancel(current.employee, by="exitbot demo --fresh")
                app.delivery.drain()
            else:
                stdout.write(
                    "(Picking up your unfinished interview; "
                    "`exitbot demo --fresh` starts over.)\n\n"
                )
                conversation.resume(PLATFORM, DEMO_USER, name)
        if current is None or fresh or current.state is not InterviewState.IN_PROGRESS:
            person = Person(platform=PLATFORM, user_id=DEMO_USER, display_name=name or NAME)
            app.hr.start_now(person, by="exitbot demo", language=language)
        app.delivery.drain()
        interactive = stdin.isatty()
        if interactive:
            # Line editing (arrows, history) for input(): typed keys stay out of the answer.
            import readline  # noqa: F401
        while True:
            line = _read(stdin, stdout, interactive)
            if not line:
                stdout.write(
                    "\n(Your answers so far are saved. Run `exitbot demo` again to pick up "
                    "where you left off.)\n"
                )
                return 0
            text = line.rstrip("\r\n")
            if not interactive:
                stdout.write(f"> {text}\n\n")
            if not text.strip():
                continue
            conversation.handle_message(
                UserMessage(platform=PLATFORM, user_id=DEMO_USER, text=text)
            )
            app.delivery.drain()
            interview = conversation.current(PLATFORM, DEMO_USER)
            if interview is None or interview.state is not InterviewState.IN_PROGRESS:
                return 0
    finally:
        app.close()
