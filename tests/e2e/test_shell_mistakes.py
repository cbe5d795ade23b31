"""Mistakes people make at the shell, each answered with one line and no traceback (exit 2
for bad input, 1 for a service that does not answer), and nothing done half-way."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.e2e.cli import exitbot
from tests.e2e.server import free_port

GUID = "00000000-0000-0000-0000-0000000000b2"


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    env.setdefault("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    return exitbot(*args, cwd=tmp_path, timeout=60, **env)


def serve_slack(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run(tmp_path, "serve", SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s", **env)


def one_line(result: subprocess.CompletedProcess[str], code: int, starts: str) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(starts), result.stderr


def audit(tmp_path: Path) -> list[tuple[str, str]]:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        found = [
            (r[0], r[1]) for r in connection.execute(text("SELECT action, subject FROM audit_log"))
        ]
    engine.dispose()
    return found


def test_an_export_to_a_missing_folder_or_onto_a_folder_is_refused_before_reading(
    tmp_path: Path,
) -> None:
    missing = run(tmp_path, "export", "-o", str(tmp_path / "nope" / "x.csv"))
    one_line(missing, 2, f"exitbot: {tmp_path / 'nope' / 'x.csv'}: there is no folder")
    folder = run(tmp_path, "export", "-o", str(tmp_path))
    one_line(folder, 2, f"exitbot: {tmp_path}: is a folder; give a file name")
    assert not (tmp_path / "x.db").exists()  # nothing was read, so nothing to audit


@pytest.mark.skipif(not Path("/proc/version").exists(), reason="needs Linux's /proc")
def test_an_export_that_cannot_be_written_says_so_and_the_audit_log_too(tmp_path: Path) -> None:
    result = run(tmp_path, "export", "-o", "/proc/version")  # a file nobody may write, root too
    one_line(result, 2, "exitbot: /proc/version: cannot write the export")
    assert audit(tmp_path)[-2:] == [
        ("export", "last 30 days: 0 interviews"),
        ("export not written", "/proc/version: Input/output error"),
    ]


def test_a_teams_package_into_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    result = run(tmp_path, "teams-package", "-o", "nope/app.zip", MICROSOFT_APP_ID=GUID)
    one_line(result, 2, "exitbot: nope/app.zip: there is no folder nope")


def test_a_binary_question_bank_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "bank.yaml").write_bytes(b"\x7fELF\x02\x01\x01\x00\xd0\xff\xfe" * 20)
    demo = run(tmp_path, "demo", EXITBOT_QUESTIONS="bank.yaml")
    one_line(demo, 2, "exitbot: bank.yaml: not a text file in UTF-8")
    questions = run(tmp_path, "questions", "bank.yaml")
    one_line(questions, 2, "bank.yaml: not a text file in UTF-8")


def test_serve_without_a_chat_platform_is_refused_unless_asked_for(tmp_path: Path) -> None:
    result = run(tmp_path, "serve")
    one_line(result, 2, "exitbot: no chat platform is set up: set SLACK_BOT_TOKEN")
    assert "--no-platform" in result.stderr


def test_serve_with_a_teams_app_id_that_is_no_guid_is_refused_at_start(tmp_path: Path) -> None:
    result = run(tmp_path, "serve", MICROSOFT_APP_ID="exitbot", MICROSOFT_APP_PASSWORD="pw")
    one_line(result, 2, "exitbot: MICROSOFT_APP_ID: the Azure bot's application id (a GUID)")


def test_serve_with_slack_unreachable_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    result = serve_slack(
        tmp_path, SLACK_API_URL=f"http://127.0.0.1:{port}/api/", EXITBOT_PORT=str(free_port())
    )
    one_line(result, 1, f"exitbot: cannot reach Slack at http://127.0.0.1:{port}/api/")


def test_serve_on_a_port_in_use_stops_before_it_migrates_or_sends(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve_slack(tmp_path, EXITBOT_PORT=str(port))
    one_line(result, 2, f"exitbot: EXITBOT_PORT: cannot listen on 127.0.0.1:{port}: Address")
    assert not (tmp_path / "x.db").exists()  # no migration, no sweep, nothing sent
