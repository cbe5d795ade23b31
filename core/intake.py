"""Inbound requests: stored before the platform is acknowledged, handled after. A request
that cannot be stored is refused (the platform retries it); one whose handling fails is
tried again with backoff; each is handled exactly once (its inbox row is marked in the same
transaction as the change it caused)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from core import trace
from core.delivery import backoff
from core.ports import Clock, DuplicateEvent, InboxItem, UnitOfWork
from core.transactions import committed_events

# What a person who typed a command or clicked a button is told when it cannot be stored.
TROUBLE = "ExitBot is having trouble, please try again in a minute."


@dataclass
class IntakeReport:
    handled: int = 0
    retrying: int = 0
    failed: int = 0
    # Due, but waiting behind the same person's earlier request still in hand.
    blocked: int = 0
    # The last failure, for the caller to log (the core does no I/O).
    error: Exception | None = None


# Handles one stored request; raises when it could not, and it is retried.
Handler = Callable[[InboxItem], None]


@dataclass
class Intake:
    uow: Callable[[], UnitOfWork]
    clock: Clock
    # Where a request is stored: one statement, so it needs no transaction of its own (the
    # storage's cheapest unit; `uow` when not given).
    one_statement: Callable[[], UnitOfWork] | None = None
    # Each platform's handler, registered by the composition root.
    handlers: dict[str, Handler] = field(default_factory=dict)
    max_attempts: int = 8
    # Long enough for a slow model; short enough that a request whose handler died with
    # the database is tried again soon after it comes back.
    lease_seconds: float = 30.0
    # Where a request claimed as it is stored goes to be handled at once (a handler in
    # this process), and who is told of one left for a handler to claim. Without `take`
    # (the CLI, tests) every request waits to be claimed.
    take: Callable[[InboxItem], None] | None = None
    wake: Callable[[], None] = lambda: None
    # Told of a platform's retry of a request already stored, and of each request handled
    # (the metrics count them).
    on_duplicate: Callable[[str], None] = lambda platform: None
    on_handled: Callable[[InboxItem], None] = lambda item: None

    def store(
        self, platform: str, event_id: str, sender: str | None, content_type: str, body: str
    ) -> bool:
        """Keep a verified request to handle after the acknowledgement. False when it was
        stored before (a platform retry). Database errors propagate: the caller must then
        refuse the request so that the platform sends it again."""
        take = self.take
        try:
            with (self.one_statement or self.uow)() as uow:
                lease = self.lease_seconds if take else None
                claimed = uow.inbox.add(platform, event_id, sender, content_type, body, lease)
                uow.commit()
        except DuplicateEvent:
            self.on_duplicate(platform)
            return False
        if claimed is not None and take is not None:
            take(claimed)
        else:  # someone's earlier request is still in hand: this one follows it
            self.wake()
        return True

    def receive(
        self,
        platform: str,
        event_id: str,
        sender: str | None,
        content_type: str,
        body: str,
        now: Callable[[], bool] | None = None,
    ) -> bool:
        """A verified request, before the platform is answered: handled at once by `now`
        when it is given and can be (its change and its record as handled commit together,
        and nothing waits for a handler), else stored to be handled in turn (see `store`).
        False when it was received before. Database errors propagate as from `store`."""
        if now is not None:
            arrived = self.clock.now()
            try:
                handled = now()
            except Exception:
                # NotNow, or a failure (nothing was committed): stored instead, to be handled
                # in turn by a handler, which says so if it fails again.
                pass
            else:
                if handled:
                    self.on_handled(InboxItem(0, platform, event_id, content_type, "", 0, arrived))
                return handled
        return self.store(platform, event_id, sender, content_type, body)

    def prune(self, keep: timedelta = timedelta(days=7)) -> int:
        """Forget the ids of requests handled more than `keep` ago (platforms retry within
        minutes); how many."""
        with self.uow() as uow:
            pruned = uow.inbox.prune(self.clock.now() - keep)
            # The HR API's answers to repeatable requests, kept a day, go with them.
            uow.api_keys.forget_answers(self.clock.now() - timedelta(days=1))
            uow.commit()
        return pruned

    def handle_due(self, limit: int = 1) -> IntakeReport:
        with self.uow() as uow:
            items = uow.inbox.claim_due(self.clock.now(), limit, self.lease_seconds)
            uow.commit()
        report = IntakeReport(blocked=items.blocked)
        for item in items:
            self._handle(item, report)
        return report

    def handle(self, item: InboxItem) -> IntakeReport:
        """Handle a request claimed as it was stored."""
        report = IntakeReport()
        self._handle(item, report)
        return report

    def _handle(self, item: InboxItem, report: IntakeReport) -> None:
        with trace.scope(event_id=item.event_id, platform=item.platform):
            self._handle_traced(item, report)

    def _handle_traced(self, item: InboxItem, report: IntakeReport) -> None:
        handler = self.handlers.get(item.platform)
        try:
            if handler is None:
                raise LookupError(f"no handler for platform {item.platform!r}")
            done: set[tuple[str, str]] = set()
            token = committed_events.set(done)
            try:
                handler(item)
            finally:
                committed_events.reset(token)
            # Requests that changed something were marked done with their change; those
            # that changed nothing (a bot's own message, an HR command) are marked now.
            if (item.platform, item.event_id) not in done:
                with self.uow() as uow:
                    uow.inbox.mark_handled(item.id, self.clock.now())
                    uow.commit()
        except Exception as exc:  # any failure: keep the request and try again later
            retry = item.attempts + 1 < self.max_attempts
            now = self.clock.now()
            try:
                with self.uow() as uow:
                    retry_at = now + backoff(item.attempts + 1) if retry else None
                    uow.inbox.mark_failed(item.id, now, repr(exc), retry_at)
                    uow.commit()
            except Exception:  # the database is gone too: the lease runs out, then a retry
                pass
            report.error = exc
            if retry:
                report.retrying += 1
            else:
                report.failed += 1
            return
        report.handled += 1
        self.on_handled(item)
