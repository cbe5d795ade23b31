"""Running a use case in a unit of work: again when another writer got there first, one unit
per item for batch jobs, and once per inbound event however often the platform retries.
What the committed change raised (an interview ended) is handled after the commit, each
handler in units of its own, so nothing slow ever runs inside the first one."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from core.interview import InterviewEnded
from core.ports import Clock, ConcurrentUpdate, DuplicateEvent, UnitOfWork

T = TypeVar("T")

# The inbound events whose handling this context committed (platform, event id): the inbox
# then knows a request is marked done already, and spends no transaction on saying it again.
committed_events: ContextVar[set[tuple[str, str]] | None] = ContextVar(
    "committed_events", default=None
)


@dataclass
class Transactions:
    uow: Callable[[], UnitOfWork]
    clock: Clock
    attempts: int = 5
    # Who acts on an interview's end once it is committed (the HR summary).
    on_ended: list[Callable[[InterviewEnded], None]] = field(default_factory=list)
    # Told when such a handler fails: the change stays committed, a sweep finishes the rest.
    on_handler_error: Callable[[Exception], None] = lambda exc: None
    # Told of an inbound event seen before (a platform's retry), by platform.
    on_duplicate: Callable[[str], None] = lambda platform: None

    def run(self, work: Callable[[UnitOfWork], T]) -> T:
        """`work` in a unit of work, committed; run again if another writer got there first."""
        for attempt in range(1, self.attempts + 1):
            with self.uow() as uow:
                result = work(uow)
                try:
                    uow.commit()
                except ConcurrentUpdate:
                    if attempt == self.attempts:
                        raise
                    continue
                events = uow.collect_events()
            self._publish(events)
            return result
        raise AssertionError("unreachable")

    def _publish(self, events: list[InterviewEnded]) -> None:
        for event in events:
            for handler in self.on_ended:
                try:
                    handler(event)
                except Exception as exc:  # the change that raised it is kept regardless
                    self.on_handler_error(exc)

    def each(self, items: Iterable[str], work: Callable[[str, UnitOfWork], bool]) -> int:
        """`work` on each item, a unit of work each (so one conflict or failure costs only
        that item); how many did something."""
        return sum(1 for item in items if self.run(partial(work, item)))

    def once(
        self,
        platform: str,
        event_id: str | None,
        work: Callable[[UnitOfWork], None],
        in_turn_of: str | None = None,
    ) -> bool:
        """Handle an inbound event unless it was handled before (a platform retry). Its id
        is committed with the change it caused. False when it was a repeat. `in_turn_of`:
        the event was never stored and its sender's earlier requests go first (NotNow)."""

        def handle(uow: UnitOfWork) -> bool:
            if event_id and in_turn_of is not None:
                uow.inbox.handle_in_turn(platform, event_id, in_turn_of, self.clock.now())
            elif event_id and not uow.inbox.handle(platform, event_id, self.clock.now()):
                return False
            work(uow)
            return True

        try:
            handled = self.run(handle)
        except DuplicateEvent:
            handled = False
        if event_id and not handled:
            self.on_duplicate(platform)
        done = committed_events.get()
        if event_id and done is not None:
            done.add((platform, event_id))  # by this commit, or by an earlier one
        return handled
