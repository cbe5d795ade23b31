"""Background work inside `exitbot serve`: the inbox handlers (woken the moment a request is
stored, and every few seconds for retries), the outbox senders (handed each commit's
messages the moment it is made), the outbox sweep (what a crash or a failure left behind)
and APScheduler's sweep for interviews whose day has come. The database decides who
handles and sends what; this only keeps time."""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.hands import Hands
from bot.outage import FailureLog
from core.delivery import Delivery
from core.intake import Intake, IntakeReport
from core.interview import InterviewEnded
from core.jobs import Jobs
from core.messages import Address, Lane
from core.ports import InboxItem, OutboxItem

log = logging.getLogger(__name__)
# A sender's queue: (lane, arrival, one place's messages); STOP before any lane.
Queued = tuple[int, int, list[OutboxItem] | None]
STOP = -1
BACKLOG_POLL_SECONDS = 0.25
# At most this many messages (and a commit's more) are sent before they are marked sent.
SEND_BATCH = 20


class Worker:
    def __init__(
        self,
        delivery: Delivery,
        jobs: Jobs,
        intake: Intake,
        outbox_ready: threading.Event,
        sweep_seconds: float,
        scheduler: bool = True,
        poll_seconds: float = 2.0,
        digest_cron: str | None = None,
        digest_days: int = 7,
        retention_days: int | None = None,
        handlers: int = 4,
        senders: int = 4,
        hands: threading.Semaphore | None = None,
    ) -> None:
        self.delivery = delivery
        self.intake = intake
        self.jobs = jobs
        self.sweep_seconds = sweep_seconds
        self.digest_cron = digest_cron
        self.digest_days = digest_days
        self.retention_days = retention_days
        self.poll_seconds = poll_seconds
        # Held while a handler handles: shared with answers handled as they arrive, which
        # take one only when one is free.
        self._hands = hands or Hands(handlers)
        # Set by every commit that left messages for the sweep (the unit of work rings it).
        self._wake = outbox_ready
        # A request claimed as it was stored, or a token that wakes one handler (not all of
        # them at once) to claim what waits in the table.
        self._stored: queue.SimpleQueue[InboxItem | None] = queue.SimpleQueue()
        # The last claim left requests waiting behind the same person's earlier one.
        self._inbox_behind = False
        self._stop = threading.Event()
        # Each place's messages go to one sender's queue, so they go in order for each
        # person and in parallel across people; in each queue replies go before bulk (an
        # answer during a fan-out of invitations waits for no invitation).
        self._queues: list[queue.PriorityQueue[Queued]] = [
            queue.PriorityQueue() for _ in range(senders)
        ]
        self._order = itertools.count()
        self._senders = [
            threading.Thread(
                target=self._send_loop, args=(waiting,), name=f"exitbot-outbox-{n}", daemon=True
            )
            for n, waiting in enumerate(self._queues)
        ]
        self._sweeper = threading.Thread(
            target=self._sweep_loop, name="exitbot-outbox-sweep", daemon=True
        )
        # Writes the senders' sent marks, many in one statement, while they go on posting.
        self._posted = threading.Event()
        self._marker = threading.Thread(
            target=self._mark_loop, name="exitbot-outbox-marks", daemon=True
        )
        # The last sweep left messages waiting behind ones still being sent: a sender that
        # finishes wakes it.
        self._behind = False
        self._sending = FailureLog("sending the outbox")
        self._handlers = [
            threading.Thread(target=self._handle_loop, name=f"exitbot-inbox-{n}", daemon=True)
            for n in range(handlers)
        ]
        self._handling = FailureLog("handling stored requests")
        self._sweeping = FailureLog("looking for due interviews")
        self._scheduler = BackgroundScheduler(timezone=UTC) if scheduler else None
        # Opens due interviews as fast as the bulk lane drains (not on the scheduler's
        # clock, whose runs must stay short so that they never overlap).
        self._opener = (
            threading.Thread(target=self._open_loop, name="exitbot-opener", daemon=True)
            if scheduler
            else None
        )
        self._opening = FailureLog("opening due interviews")
        self._endings = ThreadPoolExecutor(max_workers=2, thread_name_prefix="exitbot-endings")
        self._summarising = FailureLog("summarising ended interviews")

    def start(self) -> None:
        self.delivery.marker = self._posted.set  # until stop: the marker writes the marks
        for thread in [*self._senders, self._sweeper, self._marker]:
            thread.start()
        if self._opener is not None:
            self._opener.start()
        for thread in self._handlers:
            thread.start()
        if self._scheduler is not None:
            # First sweep at once: whatever fell due while ExitBot was down goes out now.
            self._scheduler.add_job(
                self.sweep,
                "interval",
                seconds=self.sweep_seconds,
                next_run_time=datetime.now(UTC),
                max_instances=1,
                coalesce=True,
                id="sweep",
            )
            if self.digest_cron and self.delivery.ports:
                trigger = CronTrigger.from_crontab(self.digest_cron, timezone=UTC)
                self._scheduler.add_job(self.post_digest, trigger, id="digest", coalesce=True)
            # Daily, and once at start so that downtime postpones neither: the inbox
            # forgets what was handled a week ago, and old words are erased.
            daily = [self.prune, self.purge] if self.retention_days else [self.prune]
            for job in daily:
                self._scheduler.add_job(
                    job,
                    "interval",
                    days=1,
                    next_run_time=datetime.now(UTC),
                    id=job.__name__,
                    coalesce=True,
                )
            self._scheduler.start()

    def stopped(self) -> list[str]:
        """The names of the threads that should be running and are not (readiness)."""
        threads = [*self._senders, self._sweeper, self._marker, *self._handlers]
        if self._opener is not None:
            threads.append(self._opener)
        stopped = [thread.name for thread in threads if not thread.is_alive()]
        if self._scheduler is not None and not self._scheduler.running:
            stopped.append("scheduler")
        return stopped

    def in_background(
        self, handler: Callable[[InterviewEnded], None]
    ) -> Callable[[InterviewEnded], None]:
        """`handler` on the endings threads, so that the thread that committed an ending (a
        request handler) goes back to work at once instead of waiting while the analyst
        reads the interview. Whatever is queued when serve stops, the sweep finishes."""

        def submit(event: InterviewEnded) -> None:
            self._endings.submit(self._ending, handler, event)

        return submit

    def _ending(self, handler: Callable[[InterviewEnded], None], event: InterviewEnded) -> None:
        try:
            handler(event)
            self._summarising.ok()
        except Exception as exc:  # the ending is committed; the sweep makes the summary
            self._summarising.failed(exc)

    def stored(self) -> None:
        """There is a request in the inbox to claim and handle."""
        self._stored.put(None)

    def take_request(self, item: InboxItem) -> None:
        """Handle this request, claimed as it was stored, now."""
        self._stored.put(item)

    def take(self, items: list[OutboxItem]) -> None:
        """Send these claimed messages now (a commit's), each place's in its order."""
        by_place: dict[Address, list[OutboxItem]] = {}
        for item in items:
            by_place.setdefault(item.to, []).append(item)
        for place, mine in by_place.items():
            lane = min(item.lane for item in mine)
            self._queues[hash(place) % len(self._queues)].put((lane, next(self._order), mine))

    def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=True)
        self._stop.set()
        self._wake.set()
        for _ in self._handlers:
            self._stored.put(None)
        for sender in self._queues:
            sender.put((STOP, next(self._order), None))
        for thread in [*self._senders, self._sweeper]:
            thread.join(timeout=10)
        self._posted.set()  # the marker writes what the senders posted last, and stops
        self._marker.join(timeout=10)
        self.delivery.marker = None  # whoever sends after this marks their own
        if self._opener is not None and self._opener.is_alive():
            self._opener.join(timeout=10)
        for thread in self._handlers:
            thread.join(timeout=10)
        self._endings.shutdown(wait=True, cancel_futures=True)

    def sweep(self) -> None:
        try:
            self.jobs.nudge_silent()
            self.jobs.report_endings()
            self._sweeping.ok()
        except Exception as exc:
            self._sweeping.failed(exc)

    def _open_loop(self) -> None:
        while not self._stop.is_set():
            opened = 0
            try:
                while not self._stop.is_set():
                    opening = self.jobs.open_due()
                    opened += opening.opened
                    if not opening.more:
                        break
                    if opening.full:  # the bulk lane is full: look again when it has drained
                        self._stop.wait(BACKLOG_POLL_SECONDS)
                self._opening.ok()
            except Exception as exc:
                self._opening.failed(exc)
            if opened:
                log.info("opened %d interviews whose day came", opened)
            self._stop.wait(self.sweep_seconds)

    def post_digest(self) -> None:
        try:
            self.jobs.post_digest(list(self.delivery.ports), self.digest_days)
        except Exception:
            log.exception("posting the digest failed; it goes out at the next scheduled time")

    def prune(self) -> None:
        try:
            self.intake.prune()
        except Exception:
            log.exception("pruning the inbox failed; it runs again tomorrow")

    def purge(self) -> None:
        try:
            if self.retention_days:
                erased = self.jobs.purge(self.retention_days)
                if erased:
                    log.info("retention: erased the words of %d interviews", erased)
        except Exception:
            log.exception("the retention purge failed; it runs again tomorrow")

    def _send_loop(self, waiting: queue.PriorityQueue[Queued]) -> None:
        while not self._stop.is_set():
            lane, _, first = waiting.get()
            if first is None:
                continue
            items = list(first)
            # Other replies waiting go with a reply (in the queue's order): marked sent in
            # one transaction, not one each. Bulk goes one place at a time: a reply that
            # arrives meanwhile then waits for one person's invitation, not for a batch of
            # them at the platform's pace (which, not transactions, sets bulk's speed).
            with contextlib.suppress(queue.Empty):
                while lane == Lane.REPLY and len(items) < SEND_BATCH:
                    entry = waiting.get_nowait()
                    if entry[0] != Lane.REPLY:  # bulk, or STOP: left where it was
                        waiting.put(entry)
                        break
                    items += entry[2] or []
            try:
                report = self.delivery.send(items)
                self._sending.ok()
            except Exception as exc:  # marking them sent failed: their lease runs out
                self._sending.failed(exc)
                continue
            if report.released or self._behind:
                self._wake.set()

    def _mark_loop(self) -> None:
        while True:
            self._posted.wait()
            self._posted.clear()
            stopping = self._stop.is_set()
            try:
                self.delivery.mark_posted()
                self._sending.ok()
            except Exception as exc:  # kept to mark with the next try, or by the sweep
                self._sending.failed(exc)
                self._stop.wait(self.poll_seconds)
                self._posted.set()
            if stopping:
                return

    def _sweep_loop(self) -> None:
        while not self._stop.is_set():
            # While messages wait behind others on their way, look again soon: the sender
            # that finishes those wakes this, but may have finished just before it looked.
            self._wake.wait(timeout=0.05 if self._behind else self.poll_seconds)
            self._wake.clear()
            try:
                self._behind = self.delivery.drain().blocked > 0
                self._sending.ok()
            except Exception as exc:
                self._sending.failed(exc)

    def _handle_loop(self) -> None:
        while not self._stop.is_set():
            # While requests wait behind others in hand, look again soon (see _sweep_loop).
            token: InboxItem | None = None
            with contextlib.suppress(queue.Empty):
                token = self._stored.get(timeout=0.05 if self._inbox_behind else self.poll_seconds)
            if token is not None:
                with self._hands:
                    self._note(self.intake.handle(token))
                if not self._inbox_behind:
                    continue
            try:
                while not self._stop.is_set():
                    with self._hands:
                        report = self.intake.handle_due()
                    self._inbox_behind = report.blocked > 0
                    self._note(report)
                    if not (report.handled or report.retrying or report.failed):
                        break
            except Exception as exc:  # the claim itself failed: the database is out
                self._handling.failed(exc)

    def _note(self, report: IntakeReport) -> None:
        if report.failed:
            log.error(
                "gave up on a stored request after %d attempts (%s); it stays in the inbox "
                "table with failed_at set",
                self.intake.max_attempts,
                type(report.error).__name__,
            )
        if report.error is not None:
            self._handling.failed(report.error)
        elif report.handled:
            self._handling.ok()
