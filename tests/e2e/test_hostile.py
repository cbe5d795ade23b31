"""Hostile input against a real `exitbot serve`: junk of every kind at every endpoint gets a
4xx with no traceback and changes nothing; a click on someone else's button changes
nothing; control characters never cost an answer; and no employee word reaches the log."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.wording import STRANGER as STRANGER_REPLY
from tests.e2e.script import ANSWERS
from tests.e2e.test_slack import JANE, Server, serve_slack, start_jane
from tests.e2e.test_teams import TeamsServer
from tests.standins.slack import SlackStandIn, action_body, dm, event_body, sign, wait_for
from tests.standins.teams import TeamsStandIn

SECRET_WORDS = "my manager Priya shouted at me in the stairwell"


@pytest.fixture
def server(slack: SlackStandIn, migrated_sqlite: str, tmp_path: Path) -> Iterator[Server]:
    yield from serve_slack(slack, migrated_sqlite, tmp_path)


def signed(body: bytes, timestamp: str | None = None) -> dict[str, str]:
    headers = sign(body.decode("utf-8", "replace"))
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp
    return headers


def raw_post(server: Server, body: bytes, content_type: str, headers: dict[str, str]) -> int:
    response = httpx.post(
        f"{server.url}/slack/events",
        content=body,
        headers={"Content-Type": content_type, **headers},
        timeout=10,
    )
    return response.status_code


JUNK: list[tuple[str, bytes, str, str | None, int]] = [
    ("malformed JSON", b'{"type": "event_callback", ', "application/json", None, 400),
    ("a JSON array", b'[{"type": "event_callback"}]', "application/json", None, 400),
    ("a JSON string", b'"event_callback"', "application/json", None, 400),
    (
        "an event without id",
        b'{"type": "event_callback", "event": {}}',
        "application/json",
        None,
        400,
    ),
    ("invalid UTF-8", b'{"text": "\xff\xfe\xfd"}', "application/json", None, 401),
    ("binary", bytes(range(256)), "application/octet-stream", None, 401),
    ("a form of nothing", b"a=1&b=2", "application/x-www-form-urlencoded", None, 400),
    (
        "a payload that is not JSON",
        b"payload=%7Bnope",
        "application/x-www-form-urlencoded",
        None,
        400,
    ),
    ("a non-numeric timestamp", b'{"type": "event_callback"}', "application/json", "soon", 401),
    ("a negative timestamp", b'{"type": "event_callback"}', "application/json", "-1", 401),
    ("5 MB", b'{"a": "' + b"x" * (5 * 1024 * 1024) + b'"}', "application/json", None, 413),
]


@pytest.mark.parametrize(
    ("body", "content_type", "timestamp", "status"),
    [case[1:] for case in JUNK],
    ids=[case[0] for case in JUNK],
)
def test_junk_to_slack_gets_a_4xx_and_changes_nothing(
    server: Server, body: bytes, content_type: str, timestamp: str | None, status: int
) -> None:
    calls = len(server.slack.calls)
    assert raw_post(server, body, content_type, signed(body, timestamp)) == status
    assert raw_post(server, body, content_type, {}) in (401, 413)  # unsigned: never further
    time.sleep(0.3)
    assert len(server.slack.calls) == calls
    assert "Traceback" not in server.log.read_text()


def test_a_dm_refused_for_clock_skew_leaves_no_word_in_the_log(server: Server) -> None:
    body = event_body(dm(JANE, SECRET_WORDS), "EvSkewed")
    skewed = sign(body, timestamp=int(time.time()) - 10 * 60)
    assert server.post(body, "application/json", skewed).status_code == 401
    forged = sign(body, secret="guess")
    assert server.post(body, "application/json", forged).status_code == 401
    time.sleep(0.3)
    log = server.log.read_text()
    assert SECRET_WORDS not in log and "Priya" not in log


def test_control_characters_never_cost_an_answer(server_on_each_db: Server) -> None:
    """Regression: a NUL byte in an answer made PostgreSQL refuse the write, and the
    employee got no reply."""
    server = server_on_each_db
    start_jane(server)
    server.say("1")
    server.say("Passed over\x00 twice\x07,\r\nbecause\tnobody wrote the criteria down.")
    assert server.slack.waiting_for(JANE) == "manager_rating"
    report = server.command("report <@UJANE|jane>")
    assert "Passed over twice,\\n> because\\tnobody wrote" in report
    assert "\\u0000" not in report and "\\u0007" not in report


def test_a_click_on_someone_elses_button_changes_nothing(server: Server) -> None:
    start_jane(server)
    question = server.slack.posts("DUJANE")[-1]
    [button] = [
        b for b in server.slack.buttons(JANE) if json.loads(b["value"])["v"] == "compensation"
    ]
    # Leo clicks Jane's button, in Jane's DM (as if he could see it).
    body = action_body("ULEO", button, question, "1.0001", f"{server.slack.base}/hooks/x")
    body = body.replace("%22DULEO%22", "%22DUJANE%22")
    assert server.post(body, "application/x-www-form-urlencoded").status_code == 200
    wait_for(lambda: server.slack.posts("DULEO"), what="the answer to Leo")
    assert server.slack.posts("DULEO")[-1]["text"] == STRANGER_REPLY
    time.sleep(0.5)
    assert server.slack.updates() == []  # Jane's question is untouched
    assert server.slack.waiting_for(JANE) == "primary_reason"
    server.say(ANSWERS["primary_reason"])  # and Jane can still answer it
    assert server.slack.waiting_for(JANE) == "trigger"


@pytest.fixture
def server_on_each_db(slack: SlackStandIn, database_url: str, tmp_path: Path) -> Iterator[Server]:
    yield from serve_slack(slack, database_url, tmp_path)


TEAMS_JUNK: list[tuple[str, bytes, int]] = [
    ("malformed JSON", b'{"type": "message", ', 400),
    ("a JSON array", b'[{"type": "message"}]', 400),
    ("a JSON number", b"42", 400),
    ("invalid UTF-8", b'{"type": "\xff\xfe"}', 400),
    ("binary", bytes(range(256)), 400),
    ("5 MB", b'{"a": "' + b"x" * (5 * 1024 * 1024) + b'"}', 413),
]


@pytest.mark.parametrize(
    ("body", "status"), [case[1:] for case in TEAMS_JUNK], ids=[case[0] for case in TEAMS_JUNK]
)
def test_junk_to_teams_gets_a_4xx(
    teams: TeamsStandIn, migrated_sqlite: str, tmp_path: Path, body: bytes, status: int
) -> None:
    process = TeamsServer(teams=teams, database_url=migrated_sqlite, log=tmp_path / "serve.log")
    process.start()
    try:
        response = httpx.post(
            f"{process.url}/api/messages",
            content=body,
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        assert response.status_code == status
        time.sleep(0.3)
        assert teams.sent == []
        assert "Traceback" not in process.log.read_text()
    finally:
        process.stop()
