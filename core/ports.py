"""What the core needs from the outside world. Adapters implement these; tests use fakes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Protocol, Self, TypeVar, runtime_checkable

from core.analysis import Analysis
from core.api_keys import ApiKey
from core.interview import Interview, InterviewEnded, Person
from core.messages import Address, Lane, OutboundMessage
from core.questions import Question
from core.reporting import DigestCounts, TranscriptEntry


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...


class DeliveryError(Exception):
    """A send that failed. `retry_after` (seconds) when the platform said when to retry."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Throttled(DeliveryError):
    """Not now: the platform's limit (a 429) or our own pacing under it. Sent again after
    `retry_after` seconds, and never counted as a failed attempt: a fan-out paced for an
    hour loses nothing."""

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason, retry_after=retry_after)


class Undeliverable(DeliveryError):
    """The platform will never take this message (too large, refused): given up at once."""


class RecipientUnreachable(Undeliverable):
    """The person cannot be reached at all: deactivated, app not installed, bot blocked."""


class ChatPort(Protocol):
    platform: str

    def send(self, to: Address, message: OutboundMessage) -> str | None:
        """Deliver a message; return the platform's id for it, if it has one. Raises
        DeliveryError (retry later) or RecipientUnreachable (never retry)."""
        ...


@dataclass
class Usage:
    """What a model cost: calls made and tokens used (the offline analyst adds nothing)."""

    calls: int = 0
    tokens: int = 0

    def add(self, tokens: int) -> None:
        self.calls += 1
        self.tokens += tokens


class Advisor(Protocol):
    def follow_up(
        self,
        question: Question,
        answer: str,
        earlier: Sequence[TranscriptEntry],
        usage: Usage | None = None,
        language: str | None = None,
    ) -> str | None:
        """One short follow-up question about this answer (in `language`, the interview's,
        "en" when None), or None when it needs none."""
        ...


class Analyst(Advisor, Protocol):
    def summarize(
        self,
        entries: Sequence[TranscriptEntry],
        usage: Usage | None = None,
        language: str | None = None,
    ) -> Analysis:
        """The interview read for HR; `language` is the one it was held in."""
        ...

    def themes(
        self, interviews: Sequence[Sequence[TranscriptEntry]], usage: Usage | None = None
    ) -> list[str]:
        """What comes up again and again across a period's interviews, a line each."""
        ...


class Failures(Protocol):
    """Where an edge tells of failures it answers for (once per outage, not per request)."""

    def failed(self, exc: BaseException) -> None: ...

    def ok(self) -> None: ...


class UnknownPerson(Exception):
    """A person the platform cannot find, or one ExitBot must not interview (a bot, a
    deactivated account); the message says which, fit for HR to read."""


class DirectoryRefused(UnknownPerson):
    """The directory refused ExitBot itself (a revoked token, a missing scope): no look-up
    works until the settings change, so a file of leavers stops at the first, not one
    error a row."""


class Directory(Protocol):
    """A platform's people directory: profile, time zone, e-mail."""

    def lookup(self, user_id: str | None = None, email: str | None = None) -> Person:
        """The person's current profile; raises UnknownPerson."""
        ...


@runtime_checkable
class BulkDirectory(Directory, Protocol):
    """A directory that can list everyone at once (Slack's users.list, 1,000 a call), so a
    file of 10,000 leavers costs dozens of calls, not 10,000 one-person look-ups."""

    def everyone(self, progress: Callable[[int], None] = lambda n: None) -> list[Person]:
        """Every active person; `progress` is told how many more each page brought."""
        ...


class ConcurrentUpdate(Exception):
    """Someone else changed the interview since it was read; the use case should run again."""


class DuplicateEvent(Exception):
    """The inbound event was already handled (a platform retry)."""


class NotNow(Exception):
    """A request cannot be handled the moment it arrives (the person's earlier request is
    still waiting, or a model must be asked first): it is stored and handled in turn."""


class PersonRepository(Protocol):
    def find(self, platform: str, user_id: str) -> Person | None: ...

    def with_email(self, email: str) -> list[Person]:
        """Everyone kept with this e-mail address (any case), on any platform."""
        ...

    def find_many(self, platform: str, user_ids: Sequence[str]) -> list[Person]:
        """Those of these people ExitBot keeps, in one query."""
        ...

    def add(self, person: Person) -> None: ...

    def remove(self, person: Person) -> None:
        """Erase the person and, with them, every interview, answer and message about them."""
        ...


@dataclass(frozen=True)
class InterviewFilter:
    """Which interviews a listing holds; None is any."""

    state: str | None = None
    platform: str | None = None
    department: str | None = None
    ended_since: datetime | None = None
    ended_until: datetime | None = None


class InterviewRepository(Protocol):
    def add(self, interview: Interview) -> None: ...

    def get(self, interview_id: str) -> Interview | None: ...

    def version(self, interview: Interview) -> int:
        """The version it was read at (it goes up with every committed change)."""
        ...

    def listed(
        self, which: InterviewFilter, after: tuple[datetime, str] | None, limit: int
    ) -> list[Interview]:
        """Up to `limit` of them, oldest first (by creation, then id), after that place: a
        page that later inserts never shift."""
        ...

    def current_for(self, person: Person) -> Interview | None:
        """The person's open interview if they have one, else their latest, else None."""
        ...

    def current_for_many(self, people: Sequence[Person]) -> dict[str, Interview]:
        """`current_for` each of these people (by person id), in one query."""
        ...

    def current_of(self, platform: str, user_id: str) -> Interview | None:
        """The same, for whoever has this id on that platform (one query, not two: it runs
        for every answer)."""
        ...

    def open(self) -> list[Interview]:
        """SCHEDULED and IN_PROGRESS interviews, soonest first."""
        ...

    def ended_between(
        self, since: datetime, until: datetime, latest: int | None = None
    ) -> list[Interview]:
        """Interviews that ended in the period, oldest first; only the `latest` ones when
        given."""
        ...

    def ended_page(
        self, since: datetime, until: datetime, after: Interview | None, limit: int
    ) -> list[Interview]:
        """The next `limit` interviews that ended in the period, after `after` in the order
        of their end (then id): page by page, so that a year of them never sits in memory."""
        ...

    def digest_counts(self, since: datetime, until: datetime) -> DigestCounts:
        """The period's digest numbers, counted where the interviews are."""
        ...

    def count_open(self) -> int: ...

    def due(self, now: datetime, limit: int) -> list[str]:
        """Ids of SCHEDULED interviews whose time has come, oldest first."""
        ...

    def unreported(self, ended_before: datetime, limit: int) -> list[str]:
        """Ids of interviews that ended (as HR hear of) before `ended_before` and have no
        summary yet: a process stopped between the ending and its summary."""
        ...

    def ended_unpurged(self, before: datetime, limit: int) -> list[str]:
        """Ids of interviews that ended before `before` and still hold their words."""
        ...

    def silent(self, now: datetime, since: datetime, limit: int) -> list[str]:
        """Ids of IN_PROGRESS interviews quiet since `since`, or whose pause ends by `now`."""
        ...


@dataclass(frozen=True)
class OutboxItem:
    id: int
    to: Address
    message: OutboundMessage
    attempts: int
    interview_id: str | None
    lane: Lane = Lane.REPLY


T = TypeVar("T")


class Claimed(list[T]):
    """Claimed work (messages to send, requests to handle); `blocked` counts the due items
    left waiting behind an earlier one to (or from) the same person still in hand."""

    blocked: int = 0


class Outbox(Protocol):
    def add(
        self,
        to: Address,
        message: OutboundMessage,
        interview_id: str | None = None,
        lane: Lane = Lane.REPLY,
    ) -> None: ...

    def claim_due(self, now: datetime, limit: int, lease_seconds: float) -> Claimed[OutboxItem]:
        """Due messages, replies before bulk and oldest first within each, at most one in
        flight per address and never one before an earlier one to the same address, leased
        to this caller so another replica does not send them too."""
        ...

    def mark_sent(self, sent: Sequence[tuple[int, str | None]], at: datetime) -> None:
        """These messages (id, the platform's reference to it) were sent `at`."""
        ...

    def release(self, item_ids: Sequence[int]) -> None:
        """Give claimed messages back, unsent, for a later claim."""
        ...

    def forget(self, interview_id: str) -> None:
        """Drop every message about this interview (they carry the employee's words)."""
        ...

    def forget_before(self, before: datetime) -> int:
        """Drop messages sent (or given up) before `before`: digests and HR answers may
        quote someone, and a sent message is needed no more. How many."""
        ...

    def forget_unsent_to(self, to: Address) -> int:
        """Drop what is still waiting to go to `to` (a terminal that went away); how many."""
        ...

    def mark_failed(
        self, item_id: int, at: datetime, error: str, retry_at: datetime | None
    ) -> None:
        """Record a failed attempt; retry at `retry_at`, or never when it is None."""
        ...

    def backlog(self, lane: Lane, up_to: int) -> int:
        """How many places (people, channels) have messages in `lane` waiting to be sent
        (counted up to `up_to`)."""
        ...

    def defer(self, item_id: int, until: datetime) -> None:
        """Not sent for now (throttled): again at `until`, with no attempt counted."""
        ...


@dataclass(frozen=True)
class InboxItem:
    """An inbound request stored before it was acknowledged, waiting to be handled."""

    id: int
    platform: str
    event_id: str
    content_type: str
    body: str
    attempts: int
    # When it arrived (how long an answer waited for its reply counts from here).
    received_at: datetime | None = None


class Inbox(Protocol):
    def add(
        self,
        platform: str,
        event_id: str,
        sender: str | None,
        content_type: str,
        body: str,
        lease_seconds: float | None = None,
    ) -> InboxItem | None:
        """Store a request to handle later; committing a second one with the same id raises
        DuplicateEvent (a platform retry). With `lease_seconds`, claim it at once for this
        caller (the item) unless the sender has an earlier request still unhandled (None)."""
        ...

    def claim_due(self, now: datetime, limit: int, lease_seconds: float) -> Claimed[InboxItem]:
        """Stored requests due for handling, oldest first, at most one per sender at a
        time, leased to this caller."""
        ...

    def handle(self, platform: str, event_id: str, at: datetime) -> bool:
        """Mark the event handled as part of the change it causes (commit both together).
        False when it was handled before; an event never stored is recorded as handled."""
        ...

    def handle_in_turn(self, platform: str, event_id: str, sender: str, at: datetime) -> None:
        """Record an event that was never stored as handled, with the change it causes (its
        first write): raises NotNow when the sender has an earlier request still waiting,
        which it must follow, and DuplicateEvent when it is stored already."""
        ...

    def mark_handled(self, item_id: int, at: datetime) -> None:
        """The stored request was handled (if its change did not already say so)."""
        ...

    def mark_failed(
        self, item_id: int, at: datetime, error: str, retry_at: datetime | None
    ) -> None:
        """Record a failed attempt; try again at `retry_at`, or never when it is None."""
        ...

    def prune(self, before: datetime) -> int:
        """Forget requests handled (or erased) before `before`: their ids are needed only
        while the platform may still retry them. How many."""
        ...

    def erase_from(self, platform: str, sender: str) -> None:
        """Drop the words of every request this person sent that was never handled."""
        ...

    def erase_before(self, before: datetime) -> int:
        """Drop the words of requests received before `before` that were never handled
        (given up on); how many."""
        ...


class DigestLog(Protocol):
    def posted(self, platform: str, day: date) -> bool:
        """Whether the digest ending that day was already posted to that platform."""
        ...

    def record(self, platform: str, day: date, since: datetime, until: datetime) -> None:
        """Claim that digest; committing a second claim raises ConcurrentUpdate."""
        ...


class AuditLog(Protocol):
    def record(self, at: datetime, actor: str, action: str, subject: str) -> None:
        """Who read or erased what, and when: kept for accountability."""
        ...


@dataclass(frozen=True)
class StoredResponse:
    """What a request with an Idempotency-Key was answered: sent again for a repeat."""

    fingerprint: str  # of the request it answered: the same key with another body is refused
    status: int
    body: str


class ApiKeyStore(Protocol):
    def add(self, key: ApiKey) -> None: ...

    def find(self, prefix: str) -> ApiKey | None: ...

    def all(self) -> list[ApiKey]: ...

    def revoke(self, name_or_prefix: str, at: datetime) -> ApiKey | None:
        """The key revoked (from now on it opens nothing), or None when there is none."""
        ...

    def answered(
        self, key_prefix: str, idempotency_key: str, since: datetime
    ) -> StoredResponse | None:
        """How a request with this Idempotency-Key was answered since then, if it was."""
        ...

    def remember(
        self, key_prefix: str, idempotency_key: str, response: StoredResponse, at: datetime
    ) -> None:
        """Keep the answer; committing a second one for the same key raises ConcurrentUpdate."""
        ...

    def forget_answers(self, before: datetime) -> int:
        """Drop the answers kept from before then (they name people); how many."""
        ...


class UnitOfWork(Protocol):
    @property
    def people(self) -> PersonRepository: ...

    @property
    def interviews(self) -> InterviewRepository: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def inbox(self) -> Inbox: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def digests(self) -> DigestLog: ...

    @property
    def api_keys(self) -> ApiKeyStore: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None:
        """Raises ConcurrentUpdate or DuplicateEvent when the change cannot be kept."""
        ...

    def collect_events(self) -> list[InterviewEnded]:
        """The events the interviews of this unit raised (taken: a second call has none)."""
        ...

    def scrub(self) -> None:
        """After an erasure was committed: make the erased bytes unrecoverable as far as
        the database allows (best effort, never raises)."""
        ...
