"""HR tasks from the shell: `exitbot schedule`, `exitbot export`, `exitbot import`. They run
the same HR desk as `/exitbot`, as a trusted caller, and are audited as `shell:<user>`."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from adapters.slack.chat import PLATFORM as SLACK
from bot.container import App, build_app
from bot.migrate import upgrade_with
from bot.settings import Settings, SettingsError
from bot.slack import slack_edges
from core.commands import CommandError
from core.departures import read_departures
from core.events import Command
from core.hr import REFUSED, Progress
from core.messages import FileMessage, TextMessage


def actor() -> str:
    return f"shell:{getpass.getuser()}"


def shell_app(settings: Settings, need_directory: bool) -> App:
    upgrade_with(settings)
    slack = slack_edges(settings)
    if need_directory and slack is None:
        raise SettingsError("SLACK_BOT_TOKEN: needed to look people up in Slack")
    app = build_app(settings)
    if slack is not None:
        app.register(slack)
    return app


def as_mention(person: str) -> str:
    """`U123`, `@U123` and e-mail addresses are all fine on the command line."""
    return person if person.startswith("@") or "@" in person else f"@{person}"


def run_schedule(settings: Settings, person: str, exit_date: str, at: str | None) -> int:
    app = shell_app(settings, need_directory=True)
    try:
        words = f"schedule {as_mention(person)} {exit_date} {at or ''}"
        reply = app.desk.run(Command(SLACK, actor(), words.strip()))
    finally:
        app.close()
    assert isinstance(reply, TextMessage)
    print(reply.text)
    return 0


def run_export(settings: Settings, days: int | None, output: str | None) -> int:
    app = shell_app(settings, need_directory=False)
    try:
        reply = app.desk.run(Command(SLACK, actor(), f"export {days}" if days else "export"))
    finally:
        app.close()
    assert isinstance(reply, FileMessage)
    if output:
        Path(output).write_text(reply.content, encoding="utf-8")
        print(f"{reply.title}: written to {output}", file=sys.stderr)
    else:
        sys.stdout.write(reply.content)
    return 0


def run_import(settings: Settings, path: Path, out: TextIO, err: TextIO) -> int:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"{path}: cannot read it ({exc.__class__.__name__})") from None
    departures, problems = read_departures(text)
    app = shell_app(settings, need_directory=bool(departures))
    quiet = len(departures) < 20 or not err.isatty()
    looking = tqdm(desc="looking people up", unit=" people", file=err, disable=quiet)
    scheduling = tqdm(
        total=len(departures), desc="scheduling", unit=" rows", file=err, disable=quiet
    )
    try:
        outcome = app.desk.schedule_departures(
            SLACK, actor(), departures, Progress(looking.update, scheduling.update)
        )
    except REFUSED as exc:  # the directory itself failed: nothing was scheduled
        print(f"{path}: {exc}", file=err)
        return 2
    finally:
        looking.close()
        scheduling.close()
        app.close()
    problems += outcome.problems
    scheduled = outcome.scheduled + outcome.moved
    for problem in sorted(problems, key=lambda p: p.line):
        print(f"{path}: {problem}", file=err)
    print(
        f"Scheduled {scheduled} exit interview{'s' if scheduled != 1 else ''} from {path}.",
        file=out,
    )
    if problems:
        print(
            f"{len(problems)} line{'s' if len(problems) != 1 else ''} had problems (listed above); "
            "fix them and import the file again: people already scheduled are moved, not doubled.",
            file=out,
        )
        return 2
    return 0
