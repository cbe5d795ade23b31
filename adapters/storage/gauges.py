"""What an operator watches, read from the database when metrics are scraped: interviews by
state, and the messages waiting in the outbox per lane with the age of the oldest. Counted
in SQL (an index each), so a scrape costs the same with a year of history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select

from adapters.storage.database import reading
from adapters.storage.models import InterviewRow, OutboxRow


@dataclass(frozen=True)
class Waiting:
    lane: int
    messages: int
    oldest: datetime | None


@dataclass(frozen=True)
class Gauges:
    interviews: dict[str, int]
    outbox: list[Waiting]


def read_gauges(engine: Engine) -> Gauges:
    with reading(engine) as connection:
        states = connection.execute(
            select(InterviewRow.state, func.count()).group_by(InterviewRow.state)
        ).all()
        lanes = connection.execute(
            select(OutboxRow.lane, func.count(), func.min(OutboxRow.created_at))
            .where(OutboxRow.sent_at.is_(None), OutboxRow.failed_at.is_(None))
            .group_by(OutboxRow.lane)
        ).all()
    return Gauges(
        interviews={str(state): int(count) for state, count in states},
        outbox=[Waiting(int(lane), int(count), oldest) for lane, count, oldest in lanes],
    )
