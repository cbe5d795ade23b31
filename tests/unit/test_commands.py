"""HR commands are declared once: the usage line reads the arguments and writes the help."""

from __future__ import annotations

from datetime import date, time

import pytest

from core.commands import CommandError, CommandSet, PersonRef
from core.hr import COMMANDS


def test_every_declared_command_is_in_the_help_with_its_usage() -> None:
    text = COMMANDS.help_text("/exitbot ")
    for verb in COMMANDS:
        assert f"• /exitbot {verb.name} {verb.usage}".rstrip() + f": {verb.help}" in text
    assert [v.name for v in COMMANDS] == [
        "start",
        "schedule",
        "cancel",
        "status",
        "list",
        "report",
        "digest",
        "export",
        "forget",
        "help",
    ]


def test_arguments_are_read_as_the_usage_line_says() -> None:
    verb, command = COMMANDS.parse("SCHEDULE @U1 2026-03-27 09:30")
    assert verb.name == "schedule"
    assert (command.person, command.day, command.at) == (
        PersonRef(user_id="U1"),
        date(2026, 3, 27),
        time(9, 30),
    )
    assert COMMANDS.parse("schedule jane@example.com 2026-03-27")[1].at is None
    assert COMMANDS.parse("digest 7")[1].days == 7
    assert COMMANDS.parse("status")[1].person is None
    assert COMMANDS.parse("")[0].name == "help"


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("schedule @U1", "Usage: /exitbot schedule @person YYYY-MM-DD [HH:MM]"),
        ("list everything", "Usage: /exitbot list"),
        ("status @U1 @U2", "Usage: /exitbot status [@person]"),
        ("fire @U1", "I don't know “fire”. Try “/exitbot help”."),
        ("digest -3", "“-3” is not a number of days"),
    ],
)
def test_a_wrong_command_says_what_to_type(typed: str, says: str) -> None:
    with pytest.raises(CommandError) as raised:
        COMMANDS.parse(typed, "/exitbot ")
    assert str(raised.value).startswith(says)


def test_a_command_with_an_argument_nobody_can_read_is_refused_when_declared() -> None:
    commands = CommandSet()
    with pytest.raises(ValueError, match="WHENEVER"):
        commands.command("remind @person WHENEVER", "no")(lambda desk, asked: None)
    commands.command("ping", "answers")(lambda desk, asked: None)
    with pytest.raises(ValueError, match="declared twice"):
        commands.command("ping", "again")(lambda desk, asked: None)


def test_a_language_to_interview_in_is_read_where_the_usage_offers_it() -> None:
    assert COMMANDS.parse("start @U1 --lang es")[1].language == "es"
    assert COMMANDS.parse("start --lang=de-AT @U1")[1].language == "de-AT"
    _, scheduled = COMMANDS.parse("schedule @U1 2026-03-27 09:30 --language fr")
    assert (scheduled.at, scheduled.language) == (time(9, 30), "fr")
    assert COMMANDS.parse("start @U1")[1].language is None


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("start @U1 --lang 12", "“12” is not a language: give its code, e.g. --lang es."),
        ("start @U1 --lang", "“--lang” is not a language"),
        ("cancel @U1 --lang es", "Usage: /exitbot cancel @person"),
    ],
)
def test_a_wrong_language_option_says_what_to_type(typed: str, says: str) -> None:
    with pytest.raises(CommandError) as raised:
        COMMANDS.parse(typed, "/exitbot ")
    assert str(raised.value).startswith(says)
