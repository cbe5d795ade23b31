"""The `exitbot` command. Bad input: exit code 2 and one line on stderr, never a traceback."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import NoReturn

from sqlalchemy.exc import OperationalError

from bot.settings import EXAMPLE_SITE, Settings, SettingsError, load_settings
from core.api_keys import BadScopes
from core.hr import PAST_DAYS, REFUSED
from core.questions import BankError, QuestionBank

# The demo's own database, in the working directory.
DEMO_DATABASE = "sqlite:///exitbot-demo.db"


class StartupError(Exception):
    """ExitBot cannot start as configured; one line says why."""


class UsageError(Exception):
    """Bad input to a command: reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="exitbot", description="Exit interviews in Slack and Microsoft Teams.")
    parser.add_argument("--version", action="version", version=f"exitbot {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = commands.add_parser("demo", help="run a whole interview in this terminal, offline")
    demo.add_argument(
        "--name", help="the employee's name in the demo (default Alex; renames a resumed one)"
    )
    demo.add_argument("--fresh", action="store_true", help="start over instead of resuming")
    demo.add_argument("--lang", help="the language to be interviewed in (en, de, es, fr, pt)")
    demo.add_argument(
        "--database",
        metavar="URL",
        help=f"where the demo keeps its interview (default {DEMO_DATABASE}); never DATABASE_URL",
    )

    commands.add_parser("migrate", help="bring the database (DATABASE_URL) up to date")

    serve = commands.add_parser(
        "serve", help="migrate, then serve Slack over HTTP and run the scheduler"
    )
    serve.add_argument(
        "--no-scheduler", action="store_true", help="only the web part: no sweep for due interviews"
    )
    serve.add_argument(
        "--no-platform",
        action="store_true",
        help="serve with no chat platform set up (the HR API and the scheduler alone)",
    )
    serve.add_argument(
        "--no-migrate",
        action="store_true",
        help="leave the schema to `exitbot migrate`: wait until it has run, then start",
    )

    schedule = commands.add_parser(
        "schedule", help="schedule someone's exit interview (their time zone, lead days applied)"
    )
    schedule.add_argument(
        "person", help="an e-mail address, or a Slack user id (U123...) or Entra object id"
    )
    schedule.add_argument("exit_date", help="their last day, YYYY-MM-DD")
    schedule.add_argument(
        "time", nargs="?", help="HH:MM in their time zone (default EXITBOT_SEND_TIME)"
    )
    schedule.add_argument(
        "--platform", choices=["slack", "teams"], help="where they are (default: the one set up)"
    )
    schedule.add_argument(
        "--now",
        action="store_true",
        help=f"an exit date more than {PAST_DAYS} days ago is meant: interview them at once",
    )
    schedule.add_argument(
        "--lang", help="the language to interview in (en, de, es, fr, pt; default: theirs)"
    )

    export = commands.add_parser("export", help="interviews that ended recently, as CSV (audited)")
    export.add_argument("days", nargs="?", type=int, help="how many days back (default 30)")
    export.add_argument("-o", "--output", help="write to this file instead of standard output")

    importer = commands.add_parser(
        "import",
        help="schedule everyone in a CSV of departures (email or user id, exit date, "
        "department, manager, platform)",
    )
    importer.add_argument("file", help="the CSV file")
    importer.add_argument(
        "--platform",
        choices=["slack", "teams"],
        help="where the rows without a platform column are (default: the one set up)",
    )

    package = commands.add_parser(
        "teams-package", help="build the Teams app package to upload (uses MICROSOFT_APP_ID)"
    )
    package.add_argument("-o", "--output", default="exitbot-teams.zip", help="the zip to write")

    commands.add_parser("keygen", help="print a new key for EXITBOT_ENCRYPTION_KEY")
    rotate = commands.add_parser(
        "rotate-key",
        help="re-encrypt everything with the first key of EXITBOT_ENCRYPTION_KEY (new,old); "
        "safe to interrupt and run again",
    )
    rotate.add_argument("--batch", type=int, default=500, help="values per transaction")

    keys = commands.add_parser("api-key", help="keys for HR systems to call the REST API with")
    key_actions = keys.add_subparsers(dest="action", required=True, parser_class=_Parser)
    create = key_actions.add_parser("create", help="make a key; printed once, as the last word")
    create.add_argument("--name", required=True, help="who uses it (e.g. workday)")
    create.add_argument("--scope", required=True, help="what it may do, comma-separated")
    key_actions.add_parser("list", help="the keys, their scopes, and which are revoked")
    revoke = key_actions.add_parser("revoke", help="a key opens nothing from now on")
    revoke.add_argument("name", help="its name, or its prefix")

    questions = commands.add_parser(
        "questions", help="check a question bank file and list its questions"
    )
    questions.add_argument("file", nargs="?", help="default: EXITBOT_QUESTIONS or the bundled bank")
    return parser


def _version() -> str:
    try:
        return metadata.version("exitbot")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        return _run(args)
    except (UsageError, SettingsError) as exc:
        print(f"exitbot: {exc}", file=sys.stderr)
        return 2
    except (*REFUSED, BadScopes) as exc:
        print(f"exitbot: {exc}", file=sys.stderr)
        return 2
    except BankError as exc:
        problems = str(exc).splitlines()
        more = (
            f" (+{len(problems) - 1} more; `exitbot questions FILE` lists all)"
            if len(problems) > 1
            else ""
        )
        print(f"exitbot: {problems[0]}{more}", file=sys.stderr)
        return 2
    except StartupError as exc:
        print(f"exitbot: {exc}", file=sys.stderr)
        return 1
    except OperationalError as exc:
        print(
            f"exitbot: cannot use the database: {str(exc.orig).strip().splitlines()[0]}",
            file=sys.stderr,
        )
        return 1
    except BrokenPipeError:
        # The reader went away (`exitbot export | head`): nothing more to say to it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        print("\nexitbot: interrupted; nothing answered so far is lost.", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    if args.command == "keygen":
        from adapters.storage.crypto import new_key

        print(new_key())
        return 0
    settings = load_settings()
    if args.command == "rotate-key":
        from bot.keys import run_rotate

        return run_rotate(settings, args.batch)
    if args.command == "demo":
        from bot.demo import run_demo

        # A demo's made-up answers never land in the production database.
        settings = load_settings(DATABASE_URL=args.database or DEMO_DATABASE)
        from adapters.catalogs import shipped, spoken

        if args.lang is not None and spoken(args.lang) is None:
            raise UsageError(f"--lang: ExitBot speaks {', '.join(shipped())}, not {args.lang!r}")
        return run_demo(
            settings, sys.stdin, sys.stdout, name=args.name, fresh=args.fresh, language=args.lang
        )
    if args.command == "schedule":
        from bot.shell import run_schedule

        return run_schedule(
            settings,
            args.person,
            args.exit_date,
            args.time,
            args.platform,
            now=args.now,
            language=args.lang,
        )
    if args.command == "export":
        from bot.shell import run_export

        return run_export(settings, args.days, args.output)
    if args.command == "import":
        from bot.shell import run_import

        path = Path(args.file)
        if not path.is_file():
            raise UsageError(f"{args.file}: no such file")
        return run_import(settings, path, sys.stdout, sys.stderr, args.platform)
    if args.command == "teams-package":
        from bot.extras import require

        require("teams", "exitbot teams-package")
        from bot.shell import output_file
        from bot.teams_package import build_package

        written = build_package(settings, output_file(args.output))
        print(
            f"exitbot: wrote {written}: upload it in Teams (Apps, Manage your apps, Upload an app)"
        )
        urls = (settings.teams_website_url, settings.teams_privacy_url, settings.teams_terms_url)
        if any(url.startswith(EXAMPLE_SITE) for url in urls):
            print(
                "exitbot: the package links to example pages: set EXITBOT_TEAMS_WEBSITE_URL, "
                "EXITBOT_TEAMS_PRIVACY_URL and EXITBOT_TEAMS_TERMS_URL before you publish it",
                file=sys.stderr,
            )
        return 0
    if args.command == "serve":
        from bot.serve import run_serve

        return run_serve(
            settings,
            scheduler=not args.no_scheduler,
            migrate=not args.no_migrate,
            platform=not args.no_platform,
        )
    if args.command == "migrate":
        from bot.migrate import upgrade_with

        upgrade_with(settings)
        print("exitbot: database is up to date")
        return 0
    if args.command == "questions":
        return _check_questions(args.file, settings)
    if args.command == "api-key":
        from bot.api_keys import run_api_key

        return run_api_key(
            settings, args.action, getattr(args, "name", None), getattr(args, "scope", None)
        )
    raise UsageError(f"unknown command {args.command!r}")


def _check_questions(file: str | None, settings: Settings) -> int:
    from bot.container import load_bank, read_bank

    if file is None:
        bank = load_bank(settings)
    else:
        path = Path(file)
        if not path.is_file():
            raise UsageError(f"{file}: no such file")
        try:
            bank = read_bank(path)
        except BankError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    for number, question in enumerate(bank.questions, start=1):
        condition = f"  [only when {question.when.question} …]" if question.when else ""
        print(f"{number:2}. {question.id} ({question.kind}){condition}\n    {question.text}")
    print(f"\n{len(bank.questions)} questions, all valid.")
    return _check_translations(bank)


def _check_translations(bank: QuestionBank) -> int:
    """1 when a language the bank speaks lacks a text (people would read it in the bank's
    own language), or has no catalog (ExitBot's own words would be in English)."""
    from adapters.catalogs import shipped

    speaks = shipped()
    print(f"Languages: {', '.join(bank.languages)} (ExitBot speaks {', '.join(speaks)}).")
    missing = bank.missing_translations()
    uncatalogued = [lang for lang in bank.languages if lang not in speaks]
    for language, gaps in missing.items():
        print(f"\nMissing in {language!r} ({len(gaps)}; shown in {bank.language!r} instead):")
        for gap in gaps:
            print(f"  {gap}")
    for language in uncatalogued:
        print(
            f"\n{language!r}: ExitBot has no catalog for it, so its own words (controls, "
            "hints, reminders) would be in English; see the README's 'Adding a language'."
        )
    return 1 if missing or uncatalogued else 0


if __name__ == "__main__":
    sys.exit(main())
