"""The `exitbot` command as a user runs it: a scripted demo, a resumed demo, migrations, and
bad input answered with exit code 2 and one line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.cli import exitbot
from tests.e2e.script import ANSWERS as SCRIPT

ANSWERS = list(SCRIPT.values())


def run(
    args: list[str], tmp_path: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    return exitbot(*args, cwd=tmp_path, stdin=stdin, **env)


def states(tmp_path: Path, database: str = "exitbot-demo.db") -> list[str]:
    engine = create_engine(f"sqlite:///{tmp_path / database}")
    with engine.connect() as connection:
        found = [row[0] for row in connection.execute(text("SELECT state FROM interviews"))]
    engine.dispose()
    return found


def test_a_scripted_demo_runs_a_whole_interview_and_prints_the_hr_summary(tmp_path: Path) -> None:
    result = run(["demo"], tmp_path, stdin="\n".join(ANSWERS) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("Hi Alex, I'm ExitBot.")
    assert "[1/14] What is the main reason you decided to leave?" in out
    assert "[12/12] Last one." in out
    assert "That's everything. Thank you, Alex." in out
    summary = out[out.index("What HR would see") :]
    assert "Exit interview: Alex\nOutcome: Completed\nAnswered: 12 of 12 questions" in summary
    assert "Primary reason: Career growth" in summary
    assert 'What would have kept them:\n  "A clear path to senior engineer' in summary
    assert "Would come back: yes" in summary and "Would recommend working here: 8/10" in summary
    assert "I was passed over for promotion twice" in summary  # a quote, verbatim
    assert states(tmp_path) == ["COMPLETED"]


def test_a_demo_stopped_half_way_resumes_at_the_next_question(tmp_path: Path) -> None:
    first = run(["demo", "--name", "Sam"], tmp_path, stdin="\n".join(ANSWERS[:4]) + "\n")
    assert first.returncode == 0, first.stderr
    assert "answers so far are saved" in first.stdout
    assert "What HR would see" not in first.stdout

    second = run(["demo"], tmp_path, stdin="\n".join(ANSWERS[4:]) + "\n")
    assert second.returncode == 0, second.stderr
    out = second.stdout
    assert out.startswith("(Picking up your unfinished interview")
    assert "[5/12] How valued and recognised" in out
    assert "main reason you decided to leave" not in out  # nothing answered is asked again
    assert "Exit interview: Sam\nOutcome: Completed\nAnswered: 12 of 12 questions" in out
    assert states(tmp_path) == ["COMPLETED"]


def test_demo_words_work_from_a_script(tmp_path: Path) -> None:
    script = [
        "skip",
        "2",
        "back",
        "5",
        "The pay was below market because raises were frozen.",
        "stop",
    ]
    result = run(["demo", "--fresh"], tmp_path, stdin="\n".join(script) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "This one matters most for the interview, so I can't skip it." in out
    assert "You answered: Pay or benefits. Send a new answer, or “skip” to keep it." in out
    assert "Primary reason: Health and wellbeing\nAlso: Pay and benefits" in out
    # Of the twelve they would have been asked: not "2 of 2".
    assert (
        "Exit interview: Alex\nOutcome: Declined (they said stop)\n"
        "Answered: 2 of 12 questions, stopped" in out
    )
    assert states(tmp_path) == ["DECLINED"]


def test_the_demo_never_writes_to_the_database_in_database_url(tmp_path: Path) -> None:
    production = tmp_path / "production.db"
    result = run(["demo"], tmp_path, "1\nstop\n", DATABASE_URL=f"sqlite:///{production}")
    assert result.returncode == 0, result.stderr
    assert not production.exists() and states(tmp_path) == ["DECLINED"]
    chosen = tmp_path / "chosen.db"
    result = run(["demo", "--database", f"sqlite:///{chosen}"], tmp_path, "1\nstop\n")
    assert result.returncode == 0 and chosen.exists()
    bad = run(["demo", "--database", "mysql://x"], tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.startswith("exitbot: DATABASE_URL: must be a sqlite://")


def test_fresh_starts_over(tmp_path: Path) -> None:
    run(["demo"], tmp_path, stdin="1\n")
    result = run(["demo", "--fresh"], tmp_path, stdin="")
    assert "[1/14] What is the main reason" in result.stdout
    assert sorted(states(tmp_path)) == ["CANCELLED", "IN_PROGRESS"]


def test_migrate_on_sqlite(tmp_path: Path) -> None:
    result = run(["migrate"], tmp_path)
    assert (result.returncode, result.stdout.strip()) == (0, "exitbot: database is up to date")
    assert states(tmp_path, "demo.db") == []


@pytest.mark.postgres
def test_migrate_on_postgres(tmp_path: Path, empty_postgres: str) -> None:
    result = run(["migrate"], tmp_path, DATABASE_URL=empty_postgres)
    assert result.returncode == 0, result.stderr
    engine = create_engine(empty_postgres)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM interviews")).scalar() == 0
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ["demo"],
            {"EXITBOT_PORT": "eighty"},
            "exitbot: EXITBOT_PORT: Input should be a valid integer",
        ),
        (
            ["demo"],
            {"EXITBOT_SEND_TIME": "25:00"},
            "exitbot: EXITBOT_SEND_TIME: must be a time of day as HH:MM",
        ),
        (
            ["demo"],
            {"DATABASE_URL": "mysql://x"},
            "exitbot: DATABASE_URL: must be a sqlite:// or postgresql+psycopg:// URL",
        ),
        (
            ["demo"],
            {"EXITBOT_QUESTIONS": "missing.yaml"},
            "exitbot: EXITBOT_QUESTIONS: missing.yaml is not a file",
        ),
        (["dance"], {}, "exitbot: argument command: invalid choice: 'dance'"),
        (["demo", "--nmae", "x"], {}, "exitbot: unrecognized arguments: --nmae x"),
        (["questions", "nope.yaml"], {}, "exitbot: nope.yaml: no such file"),
        (
            ["schedule", "U123", "2030-01-01"],
            {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": "http://127.0.0.1:9/"},
            "exitbot: Slack could not be reached ([Errno 111] Connection refused); try again.",
        ),
        (
            ["demo"],
            {"EXITBOT_HR_LANGUAGE": "zz"},
            "exitbot: EXITBOT_HR_LANGUAGE: must be a language code such as en, de or es",
        ),
        (
            ["demo"],
            {"EXITBOT_DEFAULT_LANGUAGE": "klingon"},
            "exitbot: EXITBOT_DEFAULT_LANGUAGE: must be one of en, de, es, fr, pt, the languages "
            "ExitBot speaks",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    result = run(args, tmp_path, **env)
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


BROKEN_BANK = """\
intro: Hi {name}
closing: Bye
questions:
  - id: reason
    text: Why?
    kind: choice
    options: [{id: a, label: A}, {id: b, label: B}]
  - id: more
    text: More?
    kind: txt
  - id: back_again
    text: Would you?
    kind: yes_no
    when: {question: reason, equals: c}
"""


def test_a_broken_question_bank_stops_the_demo_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "bank.yaml").write_text(BROKEN_BANK)
    result = run(["demo"], tmp_path, EXITBOT_QUESTIONS="bank.yaml")
    assert result.returncode == 2
    assert result.stderr == (
        "exitbot: bank.yaml: question 'more' (#2) field 'kind': must be one of text, choice, "
        "yes_no, rating, nps, not 'txt'\n"
    )


def test_questions_lists_every_problem_of_a_broken_bank(tmp_path: Path) -> None:
    (tmp_path / "bank.yaml").write_text(BROKEN_BANK.replace("kind: txt", "kind: text"))
    result = run(["questions", "bank.yaml"], tmp_path)
    assert result.returncode == 2
    assert (
        "question 'back_again' (#3) field 'when.equals': 'c' is not an answer of 'reason'"
        in result.stderr
    )


def test_questions_lists_a_valid_bank(tmp_path: Path) -> None:
    result = run(["questions"], tmp_path)
    assert result.returncode == 0
    assert " 1. primary_reason (choice)" in result.stdout
    assert "14 questions, all valid." in result.stdout
    assert result.stdout.strip().endswith(
        "Languages: en, de, es, fr, pt (ExitBot speaks en, de, es, fr, pt)."
    )


def test_questions_catches_a_missing_translation(tmp_path: Path) -> None:
    (tmp_path / "bank.yaml").write_text(
        "intro: {en: Hi, es: Hola, it: Ciao}\nclosing: {en: Bye, es: Adiós, it: Ciao}\n"
        "questions:\n  - {id: why, text: {en: Why, it: Perché}, kind: text}\n"
    )
    result = run(["questions", "bank.yaml"], tmp_path)
    assert result.returncode == 1
    assert "Missing in 'es' (1; shown in 'en' instead):\n  question 'why' (#1) field 'text'" in (
        result.stdout
    )
    assert "'it': ExitBot has no catalog for it" in result.stdout


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = run(
        ["migrate"], tmp_path, DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/none"
    )
    assert result.returncode == 1
    assert result.stderr.startswith("exitbot: cannot use the database:")
    assert "Traceback" not in result.stderr


def test_a_malformed_encryption_key_is_one_line(tmp_path: Path) -> None:
    result = run(["migrate"], tmp_path, EXITBOT_ENCRYPTION_KEY="k")
    assert result.returncode == 2
    assert result.stderr.startswith("exitbot: EXITBOT_ENCRYPTION_KEY: must be one key made by")
    assert result.stderr.count("\n") == 1


def test_a_wrong_or_missing_key_is_one_line_at_start(tmp_path: Path) -> None:
    key, other = (run(["keygen"], tmp_path).stdout.strip() for _ in range(2))
    assert run(["demo"], tmp_path, "1\nstop\n", EXITBOT_ENCRYPTION_KEY=key).returncode == 0
    for env in ({"EXITBOT_ENCRYPTION_KEY": other}, {}):
        result = run(["demo"], tmp_path, "1\n", **env)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("exitbot: EXITBOT_ENCRYPTION_KEY: ")
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_keygen_prints_a_key_that_works(tmp_path: Path) -> None:
    result = run(["keygen"], tmp_path)
    assert result.returncode == 0
    key = result.stdout.strip().splitlines()[-1]
    assert run(["migrate"], tmp_path, EXITBOT_ENCRYPTION_KEY=key).returncode == 0


def test_teams_package_has_the_manifest_with_the_bot_id_and_both_icons(tmp_path: Path) -> None:
    import json
    import zipfile
    from importlib.metadata import version

    from PIL import Image

    from core.hr import COMMANDS

    app_id = "12345678-1234-1234-1234-123456789abc"
    result = run(["teams-package", "-o", "teams.zip"], tmp_path, MICROSOFT_APP_ID=app_id)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "teams.zip") as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        sizes = {name: Image.open(package.open(name)).size for name in ("color.png", "outline.png")}
    assert manifest["id"] == app_id and manifest["bots"][0]["botId"] == app_id
    # A current GA schema (1.23, as Microsoft's own samples use), its URL matching the version.
    assert manifest["manifestVersion"] == "1.23"
    assert manifest["$schema"].endswith("/teams/v1.23/MicrosoftTeams.schema.json")
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team"}
    assert sizes == {"color.png": (192, 192), "outline.png": (32, 32)}
    # Stamped with ExitBot's version (Teams updates an app to a newer one), every HR command
    # listed, as help lists them, and the company's own pages.
    assert manifest["version"] == version("exitbot")
    commands = manifest["bots"][0]["commandLists"][0]["commands"]
    assert [c["title"] for c in commands] == [verb.name for verb in COMMANDS]
    assert all(len(c["title"]) <= 32 and len(c["description"]) <= 128 for c in commands)
    assert "example pages" in result.stderr
    own = run(
        ["teams-package", "-o", "own.zip"],
        tmp_path,
        MICROSOFT_APP_ID=app_id,
        EXITBOT_TEAMS_WEBSITE_URL="https://hr.acme.test/exitbot",
        EXITBOT_TEAMS_PRIVACY_URL="https://hr.acme.test/privacy",
        EXITBOT_TEAMS_TERMS_URL="https://hr.acme.test/terms",
    )
    assert own.returncode == 0 and "example pages" not in own.stderr
    with zipfile.ZipFile(tmp_path / "own.zip") as package:
        developer = json.loads(package.read("manifest.json"))["developer"]
    assert developer["privacyUrl"] == "https://hr.acme.test/privacy"
    plain = run(
        ["teams-package"], tmp_path, MICROSOFT_APP_ID=app_id, EXITBOT_TEAMS_TERMS_URL="http://x"
    )
    assert (
        plain.returncode == 2 and "EXITBOT_TEAMS_TERMS_URL: Teams needs an https://" in plain.stderr
    )
    missing = run(["teams-package"], tmp_path)
    assert missing.returncode == 2 and missing.stderr.startswith("exitbot: MICROSOFT_APP_ID:")


def test_version_is_the_installed_package_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    shown = exitbot("--version", cwd=tmp_path)
    assert shown.returncode == 0
    assert shown.stdout == f"exitbot {version('exitbot')}\n"
