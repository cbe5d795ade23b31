"""Sending what the outbox holds: oldest first, one at a time per recipient, retried with
backoff (a platform's Retry-After wins), given up after `max_attempts`."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta

from core.messages import (
    Address,
    DigestMessage,
    Lane,
    ReportMessage,
    SummaryMessage,
    TextMessage,
)
from core.ports import (
    ChatPort,
    Clock,
    DeliveryError,
    OutboxItem,
    RecipientUnreachable,
    Throttled,
    Undeliverable,
    UnitOfWork,
)

MAX_BACKOFF = 900.0
# How long a claimed message is this process's to send before another may take it over.
LEASE_SECONDS = 120.0


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    # Let go after an earlier message to the same place failed: the sweep sends them later.
    released: int = 0
    # Due, but waiting behind an earlier message to the same place still being sent.
    blocked: int = 0

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            self.sent + other.sent,
            self.retrying + other.retrying,
            self.failed + other.failed,
            self.released + other.released,
            self.blocked + other.blocked,
        )


@dataclass
class SendNow:
    """Where a commit hands the messages it queued, already claimed, to be sent at once
    (the outbox rows stay the durable record; the sweep only sends what is left after a
    crash or a failure). `take` is None while nothing in this process sends them: the CLI,
    most tests. Then they wait, unclaimed, for `Delivery.drain`."""

    take: Callable[[list[OutboxItem]], None] | None = None
    lease_seconds: float = LEASE_SECONDS
    # Messages this process has posted whose sent mark is not committed yet. The answer to
    # one may arrive before its mark does (a chat API answers the sender after the reader
    # sees it); the reply to that answer need not wait for the sweep.
    posted: set[int] = field(default_factory=set)


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
    lease_seconds: float = LEASE_SECONDS
    # Shared with SendNow: what was posted and is being marked sent.
    posted: set[int] = field(default_factory=set)
    # Where messages are marked sent (and others let go): each a statement of its own that
    # needs no transaction around it (the storage's cheapest unit; `uow` when not given).
    one_statement: Callable[[], UnitOfWork] | None = None
    # Posted, with the platform's reference by id, and not marked sent yet: left for the
    # marker (below), or their mark could not be committed (the database went away). Marked
    # with the next mark or sweep, and never posted again by this process. They stay in
    # `posted` meanwhile, so replies after them go on.
    unmarked: dict[int, str | None] = field(default_factory=dict)
    # When given, `send` leaves the sent marks of what it posted in `unmarked` and tells
    # this, whose thread writes them with `mark_posted`: the sender goes on to its next
    # post instead of waiting its turn to write (on SQLite, behind every other writer), and
    # the marks of several senders' posts share one statement. None: each send marks its own.
    marker: Callable[[], None] | None = None

    def send_due(self, limit: int = 50) -> DeliveryReport:
        with self.uow() as uow:
            items = uow.outbox.claim_due(self.clock.now(), limit, self.lease_seconds)
            uow.commit()
        return self.send(items) + DeliveryReport(blocked=items.blocked)

    def drain(self, rounds: int = 20) -> DeliveryReport:
        """Send until nothing is due right now (messages that wait for a retry stay)."""
        self.mark_posted()
        total = DeliveryReport()
        for _ in range(rounds):
            report = self.send_due()
            # What waits is what the last round left waiting.
            total = replace(total + report, blocked=report.blocked)
            if not (report.sent or report.retrying or report.failed or report.released):
                break
        return total

    def send(self, items: Sequence[OutboxItem]) -> DeliveryReport:
        """Send claimed messages in order, then mark them sent in one go. After a failure,
        the later messages to the same place are let go, to follow the failed one when it
        is tried again: nobody reads an answer's reply before the question it answers."""
        report = DeliveryReport()
        sent: list[tuple[int, str | None]] = []
        stopped: set[Address] = set()
        released: list[int] = []
        for item in items:
            if item.to in stopped:
                released.append(item.id)
                continue
            if item.id in self.unmarked:  # posted already: its lease ran out, not its post
                sent.append((item.id, self.unmarked.pop(item.id, None)))
                continue
            outcome, ref = self._send(item)
            report += outcome
            if outcome.sent:
                sent.append((item.id, ref))
                self.posted.add(item.id)
            else:
                stopped.add(item.to)
        if self.marker is None:
            self.mark(self._take_unmarked() + sent, released)
        else:
            self.unmarked.update(sent)
            self.mark([], released)
            if sent:
                self.marker()
        return report + DeliveryReport(released=len(released))

    def mark_posted(self) -> None:
        """Mark sent what was posted and is not marked yet."""
        self.mark(self._take_unmarked())

    def mark(self, sent: list[tuple[int, str | None]], released: Sequence[int] = ()) -> None:
        """Mark posted messages sent (and let others go) in one statement. When that fails
        the posted ones are kept to mark later, and the failure is raised to be logged."""
        if not (sent or released):
            return
        try:
            with (self.one_statement or self.uow)() as uow:
                uow.outbox.mark_sent(sent, self.clock.now())
                uow.outbox.release(released)
                uow.commit()
        except Exception:
            self.unmarked.update(sent)
            raise
        self.posted.difference_update(item_id for item_id, _ in sent)

    def _take_unmarked(self) -> list[tuple[int, str | None]]:
        """The messages left unmarked, each taken by one caller (senders run in threads)."""
        taken = []
        for item_id in list(self.unmarked):
            with contextlib.suppress(KeyError):
                taken.append((item_id, self.unmarked.pop(item_id)))
        return taken

    def _send(self, item: OutboxItem) -> tuple[DeliveryReport, str | None]:
        port = self.ports.get(item.to.platform)
        try:
            if port is None:
                raise RecipientUnreachable(f"no chat adapter for platform {item.to.platform!r}")
            ref = port.send(item.to, item.message)
        except Throttled as exc:
            with self.uow() as uow:
                uow.outbox.defer(
                    item.id, self.clock.now() + timedelta(seconds=exc.retry_after or 1)
                )
                uow.commit()
            return DeliveryReport(retrying=1), None
        except Undeliverable as exc:
            reachable = not isinstance(exc, RecipientUnreachable)
            self._mark(item, error=str(exc), retry=False, note=refusal_note(item, exc))
            if item.interview_id and item.to.kind == "user" and not reachable:
                self.on_unreachable(item.interview_id, str(exc))
            return DeliveryReport(failed=1), None
        except DeliveryError as exc:
            retry = item.attempts + 1 < self.max_attempts
            wait = (
                timedelta(seconds=exc.retry_after)
                if exc.retry_after
                else backoff(item.attempts + 1)
            )
            self._mark(item, error=str(exc), retry=retry, wait=wait)
            return (DeliveryReport(retrying=1) if retry else DeliveryReport(failed=1)), None
        return DeliveryReport(sent=1), ref

    def _mark(
        self,
        item: OutboxItem,
        error: str,
        retry: bool,
        wait: timedelta = timedelta(),
        note: TextMessage | None = None,
    ) -> None:
        with self.uow() as uow:
            now = self.clock.now()
            uow.outbox.mark_failed(item.id, now, error, now + wait if retry else None)
            if note is not None:
                uow.outbox.add(Address.hr(item.to.platform), note, lane=Lane.BULK)
            uow.commit()


def refusal_note(item: OutboxItem, refusal: Undeliverable) -> TextMessage | None:
    """What HR are told when the platform refused, for good, something ExitBot meant for
    them (a summary, a digest) as it is, not because of who it was for; a short line, so it
    goes where the long message would not. Nothing for a refused note (no loop) or for an
    unreachable person (their interview's summary says so)."""
    if isinstance(refusal, RecipientUnreachable) or isinstance(item.message, TextMessage):
        return None
    message = item.message
    if isinstance(message, SummaryMessage):
        what = f"the summary of {message.summary.employee}'s exit interview"
        then = (
            f" Ask ExitBot for the report on them to read it (id {message.summary.interview_id})."
        )
    elif isinstance(message, DigestMessage):
        what, then = "the digest", " Ask ExitBot for the digest to read it again."
    elif isinstance(message, ReportMessage):
        what, then = f"the report on {message.report.employee}", ""
    else:
        what, then = "a message", ""
    return TextMessage(text=f"ExitBot could not post {what}: {refusal}.{then}")
