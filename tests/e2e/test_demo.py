"""`exitbot demo` as people run it: resumed under another name, with a question bank that
changed meanwhile, after a demo that was killed, typed into a real terminal (tmux), and
closing with what the settings say HR do."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from bot.container import build_app
from bot.settings import Settings
from core.conversation import interview_of, tell
from core.messages import TextMessage
from tests.conftest import FakeChat
from tests.e2e.cli import EXITBOT, environment, exitbot
from tests.e2e.script import ANSWERS as SCRIPT

ANSWERS = list(SCRIPT.values())
BANK = Path(__file__).parents[2] / "core" / "banks" / "default.yaml"


def demo(
    tmp_path: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    return exitbot("demo", *args, cwd=tmp_path, stdin=stdin, timeout=60, **env)


def test_a_resumed_demo_takes_a_new_name(tmp_path: Path) -> None:
    demo(tmp_path, stdin="\n".join(ANSWERS[:2]) + "\n")
    result = demo(tmp_path, "--name", "Sam", stdin="\n".join(ANSWERS[2:]) + "\n")
    assert result.returncode == 0, result.stderr
    assert "That's everything. Thank you, Sam." in result.stdout
    assert "Exit interview: Sam\n" in result.stdout


def test_a_question_taken_out_of_the_bank_meanwhile_is_skipped_with_a_note(
    tmp_path: Path,
) -> None:
    demo(tmp_path, stdin="\n".join(ANSWERS[:2]) + "\n")  # waiting at manager_rating now
    bank = yaml.safe_load(BANK.read_text())
    gone = {"manager_rating", "manager_detail"}
    bank["questions"] = [q for q in bank["questions"] if q["id"] not in gone]
    (tmp_path / "bank.yaml").write_text(yaml.safe_dump(bank, allow_unicode=True))
    rest = [SCRIPT[q["id"]] for q in bank["questions"] if q["id"] in SCRIPT][2:]
    result = demo(tmp_path, stdin="\n".join(rest) + "\n", EXITBOT_QUESTIONS="bank.yaml")
    assert result.returncode == 0, result.stderr
    assert "The question you were on has since been taken out of the interview" in result.stdout
    assert re.search(r"\n\[3/\d+\] How well could you learn and grow here", result.stdout)
    assert "That's everything." in result.stdout


def test_a_demo_after_a_killed_one_prints_nothing_stale_and_does_not_wait(
    tmp_path: Path,
) -> None:
    demo(tmp_path, stdin="\n".join(ANSWERS[:2]) + "\n")
    # As a demo killed between its commit and its printing leaves it: a message claimed
    # for the terminal (leased to the dead process), never printed.
    app = build_app(
        Settings(DATABASE_URL=f"sqlite:///{tmp_path / 'exitbot-demo.db'}"),
        {"console": FakeChat("console")},
    )  # type: ignore[call-arg]
    app.send_now.take = lambda claimed: None
    try:
        app.transactions.run(
            lambda uow: tell(uow, interview_of(uow, "console", "demo"), [TextMessage(text="STALE")])  # type: ignore[arg-type]
        )
    finally:
        app.close()
    started = time.monotonic()
    result = demo(tmp_path, stdin=ANSWERS[2] + "\n")
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 20
    assert "STALE" not in result.stdout
    assert "[3/13] How would you rate the support you got from your manager?" in result.stdout


@pytest.mark.parametrize(
    ("cron", "said"), [(None, "each week"), ("0 9 1 * *", "each month"), ("0 18 * * *", "each day")]
)
def test_the_closing_message_says_how_often_hr_review(
    tmp_path: Path, cron: str | None, said: str
) -> None:
    env = {"EXITBOT_DIGEST_CRON": cron} if cron else {}
    result = demo(tmp_path, stdin="\n".join(ANSWERS) + "\n", **env)
    assert result.returncode == 0, result.stderr
    closing = " ".join(result.stdout[result.stdout.index("That's everything.") :].split())
    assert f"they read every interview, and {said} they look at them together" in closing


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (CI installs it)")
def test_the_demo_in_a_terminal_edits_lines_and_resumes(tmp_path: Path) -> None:
    session = f"exitbot-demo-{tmp_path.name}"
    env = environment()
    command = f"cd {tmp_path} && {EXITBOT} demo"

    def tmux(*args: str) -> str:
        return subprocess.run(
            ["tmux", *args], capture_output=True, text=True, env=env, check=True
        ).stdout

    def screen() -> str:
        return tmux("capture-pane", "-p", "-t", session, "-S", "-200")

    def wait(text: str) -> None:
        deadline = time.monotonic() + 20
        while text not in screen():
            assert time.monotonic() < deadline, f"no {text!r} on the screen:\n{screen()}"
            time.sleep(0.1)

    tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "50", command)
    try:
        wait("[1/14] What is the main reason")
        tmux("send-keys", "-t", session, "1", "Enter")
        wait("[2/13]")
        # Typed with a slip, mended with the arrow keys: the answer is the mended line.
        tmux("send-keys", "-t", session, "Passed over for promotion twice becase")
        tmux("send-keys", "-t", session, "Left", "Left", "u", "End")
        tmux("send-keys", "-t", session, " criteria were never written down.", "Enter")
        wait("[3/13]")
        tmux("send-keys", "-t", session, "C-d")
        wait("Your answers so far are saved")
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], env=env, check=False)
    engine_url = tmp_path / "exitbot-demo.db"
    import sqlite3

    with sqlite3.connect(engine_url) as db:
        [(answer,)] = db.execute(
            "SELECT value FROM answers WHERE question_id = 'trigger'"
        ).fetchall()
    assert answer == "Passed over for promotion twice because criteria were never written down."
    resumed = demo(tmp_path, stdin="\n".join(ANSWERS[2:]) + "\n")
    assert "[3/13] How would you rate the support you got from your manager?" in resumed.stdout
    assert "That's everything." in resumed.stdout


def test_a_label_typed_back_whole_and_a_maybe_are_answers_hr_read(tmp_path: Path) -> None:
    answers = SCRIPT | {"manager_rating": "5 · Excellent", "would_return": "maybe"}
    result = demo(tmp_path, stdin="\n".join(answers.values()) + "\n")
    assert result.returncode == 0, result.stderr
    assert "didn't catch that" not in result.stdout
    summary = result.stdout[result.stdout.index("What HR would see") :]
    assert "How would you rate the support you got from your manager?: 5/5" in summary
    assert "Would you consider working here again one day?: Maybe" in summary
    assert "Would come back" not in summary  # neither a yes nor a no
