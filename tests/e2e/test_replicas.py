"""Two `exitbot serve` replicas on one PostgreSQL database, 200 interviews already due: every
employee gets exactly one invitation."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.container import build_app
from bot.settings import Settings
from core.interview import Person
from tests.e2e.test_slack import Server
from tests.standins.slack import SlackStandIn, wait_for

EMPLOYEES = 200


def by_channel(slack: SlackStandIn) -> list[list[dict[str, object]]]:
    channels: dict[str, list[dict[str, object]]] = {}
    for post in slack.posts():
        channels.setdefault(str(post["channel"]), []).append(post)
    return list(channels.values())


@pytest.mark.postgres
def test_two_replicas_send_each_invitation_exactly_once(
    migrated_postgres: str, tmp_path: Path
) -> None:
    app = build_app(Settings(DATABASE_URL=migrated_postgres), {})  # type: ignore[call-arg]
    due = datetime.now(UTC) - timedelta(minutes=5)
    for n in range(EMPLOYEES):
        app.hr.schedule(Person("slack", f"U{n:04d}", f"Person {n}"), due, by="UHR")
    app.close()

    slack = SlackStandIn()
    slack.start()
    replicas = [
        Server(slack=slack, database_url=migrated_postgres, log=tmp_path / f"replica{n}.log")
        for n in range(2)
    ]
    try:
        for replica in replicas:
            replica.spawn()  # both at once, so that their sweeps race
        for replica in replicas:
            replica.wait_healthy()

        def everyone_asked() -> bool:
            return (
                len(
                    {
                        p["channel"]
                        for p in slack.posts()
                        if "blocks" in p and "exitbot_q_" in str(p["blocks"])
                    }
                )
                == EMPLOYEES
            )

        wait_for(everyone_asked, timeout=120, what="every employee's first question")
        for replica in replicas:
            replica.stop()
    finally:
        for replica in replicas:
            replica.stop()
        slack.stop()

    intros = Counter(
        p["channel"] for p in slack.posts() if str(p.get("text", "")).startswith("Hi Person")
    )
    assert len(intros) == EMPLOYEES
    assert set(intros.values()) == {1}, [c for c, n in intros.items() if n > 1][:5]
    per_person = Counter(p["channel"] for p in slack.posts())
    # intro, the privacy notice, the words, the first question; nothing twice
    assert set(per_person.values()) == {4}
    # ...in that order for every one of them, whichever sender of which replica sent each
    for posts in by_channel(slack):
        texts = [str(p.get("text", "")) for p in posts]
        assert texts[0].startswith("Hi Person") and texts[2].startswith("You can type"), texts
        assert "exitbot_q_" in str(posts[3].get("blocks")), texts
    opened = [
        sum(
            int(line.split("opened ")[1].split()[0])
            for line in r.log.read_text().splitlines()
            if "interviews whose day came" in line
        )
        for r in replicas
    ]
    assert sum(opened) == EMPLOYEES  # between them, each interview opened once
    print(f"interviews opened by each replica: {opened}")
