"""Conversation references, stored so that proactive messages survive restarts and replicas."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from adapters.storage.database import reading
from adapters.storage.models import ConversationRefRow
from core.ports import Clock

# The keys a person's own conversation is kept under: Teams' conversation reference, Slack's
# DM channel. An erasure takes them with the person.
TEAMS_PERSON = "user:{}"
SLACK_DM = "slack-dm:{}"


def person_keys(user_id: str) -> list[str]:
    return [TEAMS_PERSON.format(user_id), SLACK_DM.format(user_id)]


class SqlReferenceStore:
    def __init__(self, engine: Engine, clock: Clock, platform: str) -> None:
        self.engine = engine
        self.clock = clock
        self.platform = platform

    def save(self, key: str, reference: dict[str, Any]) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.get(ConversationRefRow, key)
            if row is None:
                session.add(
                    ConversationRefRow(
                        key=key,
                        platform=self.platform,
                        reference=reference,
                        updated_at=self.clock.now(),
                    )
                )
            elif row.reference != reference:
                row.reference, row.updated_at = reference, self.clock.now()

    def get(self, key: str) -> dict[str, Any] | None:
        with reading(self.engine) as db:
            query = select(ConversationRefRow.reference).where(ConversationRefRow.key == key)
            reference = db.scalar(query)
        return dict(reference) if reference is not None else None

    def latest(self) -> dict[str, Any] | None:
        """The reference stored last: Teams serves a tenant from one regional URL, and any
        reference knows it, the bot's account and the tenant."""
        query = (
            select(ConversationRefRow.reference)
            .where(ConversationRefRow.platform == self.platform)
            .order_by(ConversationRefRow.updated_at.desc())
            .limit(1)
        )
        with reading(self.engine) as db:
            reference = db.scalar(query)
        return dict(reference) if reference else None
