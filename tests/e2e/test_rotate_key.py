"""`exitbot rotate-key` over 10,000 interviews: interrupted half-way (Ctrl-C), run again,
and every value ends under the new key, readable, none lost."""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, text

from adapters.storage.crypto import PREFIX, Cipher, key_id, new_key
from adapters.storage.database import make_engine
from adapters.storage.models import AnswerRow, InterviewRow, PersonRow
from bot.migrate import upgrade
from tests.e2e.cli import EXITBOT, environment, exitbot

INTERVIEWS = 10_000
OLD, NEW = new_key(), new_key()


def seed(url: str) -> None:
    upgrade(url)
    engine = make_engine(url, Cipher([OLD]))
    now = datetime(2026, 1, 5, tzinfo=UTC)
    people = [{"id": uuid.uuid4().hex, "platform": "slack", "user_id": f"U{n:05d}",
               "display_name": f"Person {n}"} for n in range(INTERVIEWS)]  # fmt: skip
    interviews = [{"id": uuid.uuid4().hex, "person_id": p["id"], "state": "COMPLETED",
                   "created_at": now, "version": 1} for p in people]  # fmt: skip
    answers = [{"interview_id": i["id"], "question_id": "trigger", "answered_at": now,
                "value": f"words of person {n}"} for n, i in enumerate(interviews)]  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(PersonRow.__table__), people)
        connection.execute(insert(InterviewRow.__table__), interviews)
        connection.execute(insert(AnswerRow.__table__), answers)
    engine.dispose()


def under(url: str, key: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT count(*) FROM answers WHERE value LIKE :p"),
            {"p": f"{PREFIX}{key_id(key)}:%"},
        ).scalar_one()
    engine.dispose()
    return int(found)


def test_rotate_key_over_10000_interviews_interrupted_and_resumed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'exitbot.db'}"
    seed(url)
    keys = f"{NEW},{OLD}"
    env = environment(DATABASE_URL=url, EXITBOT_ENCRYPTION_KEY=keys)
    with (tmp_path / "rotate.log").open("wb") as log:
        first = subprocess.Popen(
            [EXITBOT, "rotate-key", "--batch", "5"], env=env, stdout=log, stderr=log
        )
        deadline = time.monotonic() + 60
        while under(url, NEW) == 0 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        first.send_signal(signal.SIGINT)
        first.wait(timeout=30)
    assert first.returncode == 130, (tmp_path / "rotate.log").read_text()[-2000:]
    halfway = under(url, NEW)
    assert 0 < halfway < INTERVIEWS
    again = exitbot("rotate-key", cwd=tmp_path, DATABASE_URL=url, EXITBOT_ENCRYPTION_KEY=keys)
    assert again.returncode == 0, again.stderr
    assert f"{INTERVIEWS - halfway} values now encrypted with key {key_id(NEW)}" in again.stderr
    assert under(url, NEW) == INTERVIEWS and under(url, OLD) == 0
    engine = make_engine(url, Cipher([NEW]))
    with engine.connect() as connection:
        values = (
            connection.execute(text("SELECT value FROM answers ORDER BY value")).scalars().all()
        )
    engine.dispose()
    readable = sorted(Cipher([NEW]).decrypt(v) for v in values)
    assert readable == sorted(f"words of person {n}" for n in range(INTERVIEWS))
