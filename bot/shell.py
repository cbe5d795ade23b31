"""HR tasks from the shell: `exitbot schedule`, `exitbot export`, `exitbot import`. They run
the same HR desk as `/exitbot`, as a trusted caller, and are audited as `shell:<user>`."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Collection
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from adapters.slack import PLATFORM as SLACK
from bot.cli import UsageError
from bot.container import App, build_app
from bot.migrate import upgrade_with
from bot.settings import Settings, SettingsError
from bot.slack import slack_edges
from bot.teams import teams_directory
from core.commands import CommandError, parse_date, parse_person, parse_time
from core.departures import Departure, read_departures
from core.events import Command
from core.hr import REFUSED, Progress
from core.messages import FileMessage, TextMessage

TEAMS = "teams"


def actor() -> str:
    return f"shell:{getpass.getuser()}"


NEEDED = {
    SLACK: "SLACK_BOT_TOKEN: needed to look people up in Slack",
    TEAMS: "MICROSOFT_APP_ID: needed to look people up in Teams (or EXITBOT_TEAMS_DEV=1)",
}


def shell_app(settings: Settings, platforms: Collection[str] = ()) -> App:
    """The app with the directories of the platforms the shell will look people up on."""
    upgrade_with(settings)
    slack = slack_edges(settings)
    teams = teams_directory(settings)
    for platform in platforms:
        if {SLACK: slack, TEAMS: teams}.get(platform) is None:
            raise SettingsError(NEEDED[platform])
    app = build_app(settings)
    if slack is not None:
        app.register(slack)
    if teams is not None:
        app.desk.directories[TEAMS] = teams
        app.closing.append(teams.close)
    return app


def platform_for(settings: Settings, asked: str | None) -> str:
    """The platform HR named, else the one that is set up; with both, they must say."""
    if asked:
        return asked
    configured = settings.platforms
    if len(configured) > 1:
        raise SettingsError(
            "--platform: both Slack and Teams are set up; say which (slack or teams)"
        )
    return configured[0] if configured else SLACK


def as_mention(person: str) -> str:
    """`U123`, `@U123` and e-mail addresses are all fine on the command line."""
    return person if person.startswith("@") or "@" in person else f"@{person}"


def run_schedule(
    settings: Settings,
    person: str,
    exit_date: str,
    at: str | None,
    platform: str | None = None,
    now: bool = False,
    language: str | None = None,
) -> int:
    """`now`: an exit date long past is meant, and the interview goes out at once;
    `language`: the one to interview in."""
    chosen = platform_for(settings, platform)
    app = shell_app(settings, [chosen])
    try:
        if now:
            ref, day = parse_person(as_mention(person)), parse_date(exit_date)
            when = parse_time(at) if at else None
            text = app.desk.schedule(
                chosen, actor(), ref, day, when, long_past=True, language=language
            )
        else:
            lang = f" --lang {language}" if language is not None else ""
            words = f"schedule {as_mention(person)} {exit_date} {at or ''}{lang}"
            reply = app.desk.run(Command(chosen, actor(), words.strip()))
            assert isinstance(reply, TextMessage)
            text = reply.text
    finally:
        app.close()
    print(text)
    return 0


def output_file(output: str) -> Path:
    """Where a command will write a file: refused before any work when it cannot be."""
    path = Path(output)
    if path.is_dir():
        raise UsageError(f"{output}: is a folder; give a file name, e.g. {path / 'exits.csv'}")
    if not path.parent.is_dir():
        raise UsageError(f"{output}: there is no folder {path.parent}")
    return path


def run_export(settings: Settings, days: int | None, output: str | None) -> int:
    target = output_file(output) if output else None
    app = shell_app(settings)
    try:
        reply = app.desk.run(Command(SLACK, actor(), f"export {days}" if days else "export"))
        assert isinstance(reply, FileMessage)
        if target is None:
            sys.stdout.write(reply.content)
            return 0
        try:
            target.write_text(reply.content, encoding="utf-8")
        except OSError as exc:
            # The read is audited already: so is that nobody got the file.
            app.views.export_not_written(actor(), f"{output}: {exc.strerror}")
            raise UsageError(f"{output}: cannot write the export ({exc.strerror})") from None
    finally:
        app.close()
    print(f"{reply.title}: written to {output}", file=sys.stderr)
    return 0


def run_import(
    settings: Settings, path: Path, out: TextIO, err: TextIO, platform: str | None = None
) -> int:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise CommandError(
            f"{path}: line {line} is not UTF-8 text (a spreadsheet's older encoding?): save "
            "the file as CSV UTF-8 (Excel: Save As, CSV UTF-8) and import it again"
        ) from None
    except OSError as exc:
        raise CommandError(f"{path}: cannot read it ({exc.strerror})") from None
    departures, problems = read_departures(text)
    everyone_named = all(d.platform for d in departures)
    default = platform or (SLACK if everyone_named else platform_for(settings, None))
    groups: dict[str, list[Departure]] = {}
    for departure in departures:
        groups.setdefault(departure.platform or default, []).append(departure)
    app = shell_app(settings, groups)
    quiet = len(departures) < 20 or not err.isatty()
    looking = tqdm(desc="looking people up", unit=" people", file=err, disable=quiet)
    scheduling = tqdm(
        total=len(departures), desc="scheduling", unit=" rows", file=err, disable=quiet
    )
    scheduled, refused = 0, False
    try:
        for name, group in groups.items():
            try:
                outcome = app.desk.schedule_departures(
                    name, actor(), group, Progress(looking.update, scheduling.update)
                )
            except REFUSED as exc:  # that platform's directory failed: none of its rows
                print(f"{path}: {exc}", file=err)
                refused = True
                continue
            problems += outcome.problems
            scheduled += outcome.scheduled + outcome.moved + outcome.unchanged
    finally:
        looking.close()
        scheduling.close()
        app.close()
    if refused and not scheduled and not problems:
        return 2
    for problem in sorted(problems, key=lambda p: p.line):
        print(f"{path}: {problem}", file=err)
    print(
        f"Scheduled {scheduled} exit interview{'s' if scheduled != 1 else ''} from {path}.",
        file=out,
    )
    if refused:
        return 2
    if problems:
        print(
            f"{len(problems)} line{'s' if len(problems) != 1 else ''} had problems (listed above); "
            "fix them and import the file again: people already scheduled are moved, not doubled.",
            file=out,
        )
        return 2
    return 0
