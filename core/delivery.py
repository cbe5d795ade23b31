"""Sending what the outbox holds: oldest first, one at a time per recipient, retried with
backoff (a platform's Retry-After wins), given up after `max_attempts`."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from core.ports import ChatPort, Clock, DeliveryError, OutboxItem, RecipientUnreachable, UnitOfWork


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            self.sent + other.sent, self.retrying + other.retrying, self.failed + other.failed
        )


MAX_BACKOFF = 900.0


def backoff(
    attempt: int, jitter: Callable[[], float] = lambda: random.uniform(0.8, 1.2)
) -> timedelta:
    """About 2 s, 4 s, 8 s ... at most 15 minutes; the jitter keeps replicas and retries
    from hitting a throttled platform in step."""
    return timedelta(seconds=min(2 ** max(attempt, 1) * jitter(), MAX_BACKOFF))


@dataclass
class Delivery:
    uow: Callable[[], UnitOfWork]
    ports: dict[str, ChatPort]
    clock: Clock
    # Told when a person turns out to be unreachable: (interview id, why).
    on_unreachable: Callable[[str, str], None] = field(default=lambda _id, _why: None)
    max_attempts: int = 8
    lease_seconds: float = 120.0

    def send_due(self, limit: int = 50) -> DeliveryReport:
        with self.uow() as uow:
            items = uow.outbox.claim_due(self.clock.now(), limit, self.lease_seconds)
            uow.commit()
        report = DeliveryReport()
        for item in items:
            report += self._send(item)
        return report

    def drain(self, rounds: int = 20) -> DeliveryReport:
        """Send until nothing is due right now (messages that wait for a retry stay)."""
        total = DeliveryReport()
        for _ in range(rounds):
            report = self.send_due()
            total += report
            if report == DeliveryReport():
                break
        return total

    def _send(self, item: OutboxItem) -> DeliveryReport:
        port = self.ports.get(item.to.platform)
        try:
            if port is None:
                raise RecipientUnreachable(f"no chat adapter for platform {item.to.platform!r}")
            ref = port.send(item.to, item.message)
        except RecipientUnreachable as exc:
            self._mark(item, error=str(exc), retry=False)
            if item.interview_id and item.to.kind == "user":
                self.on_unreachable(item.interview_id, str(exc))
            return DeliveryReport(failed=1)
        except DeliveryError as exc:
            retry = item.attempts + 1 < self.max_attempts
            wait = (
                timedelta(seconds=exc.retry_after)
                if exc.retry_after
                else backoff(item.attempts + 1)
            )
            self._mark(item, error=str(exc), retry=retry, wait=wait)
            return DeliveryReport(retrying=1) if retry else DeliveryReport(failed=1)
        with self.uow() as uow:
            uow.outbox.mark_sent(item.id, self.clock.now(), ref)
            uow.commit()
        return DeliveryReport(sent=1)

    def _mark(
        self, item: OutboxItem, error: str, retry: bool, wait: timedelta = timedelta()
    ) -> None:
        with self.uow() as uow:
            now = self.clock.now()
            uow.outbox.mark_failed(item.id, now, error, now + wait if retry else None)
            uow.commit()
