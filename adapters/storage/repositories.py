"""Repositories: the domain objects in, rows out, and back. The core never sees a row."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence, Set
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Connection,
    Insert,
    Row,
    Table,
    Update,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from adapters.storage.database import unique_violation_table
from adapters.storage.models import (
    ApiKeyRow,
    AuditRow,
    Base,
    DigestRow,
    IdempotentResponseRow,
    InboxRow,
    OutboxRow,
)
from core.api_keys import ApiKey
from core.messages import OUTBOUND, Address, Lane, OutboundMessage
from core.ports import (
    Claimed,
    Clock,
    DuplicateEvent,
    InboxItem,
    NotNow,
    OutboxItem,
    StoredResponse,
)


class Staged:
    """Rows that are only ever added (audit lines, digests claimed, answers kept for a
    repeated request, requests remembered as handled), written together at the commit: a
    key another writer took first then fails the commit, as the ports promise."""

    def __init__(self) -> None:
        self._rows: list[tuple[Insert, dict[str, Any]]] = []

    def add(self, table: type[Base], **values: Any) -> None:
        self._rows.append((insert(table), values))

    def write(self, db: Connection) -> None:
        rows, self._rows = self._rows, []
        for statement, values in rows:
            db.execute(statement, values)


def failed_attempt(
    table: type[OutboxRow] | type[InboxRow],
    item_id: int,
    at: datetime,
    error: str,
    retry_at: datetime | None,
) -> Update:
    """One more failed attempt at an outbox or inbox row: retried at `retry_at`, or never."""
    values: dict[str, object] = {
        "last_error": error[:2000],
        "lease_until": None,
        "attempts": table.attempts + 1,
    }
    if retry_at is None:
        values["failed_at"] = at
    else:
        values["next_attempt_at"] = retry_at
    return update(table).where(table.id == item_id).values(**values)


def lease_in_order(
    db: Connection,
    table: type[OutboxRow] | type[InboxRow],
    pending: Sequence[Row[Any]],
    key: Callable[[Row[Any]], Hashable | None],
    unfinished: ColumnElement[bool],
    now: datetime,
    lease_seconds: float,
    limit: int,
    earliest: Mapping[Hashable, int] | None = None,
) -> tuple[list[Row[Any]], int]:
    """Lease up to `limit` of the pending rows (oldest first) that are due and not leased,
    skipping any row whose key has an earlier row still pending: one at a time per key, in
    order (`earliest`: each key's earliest pending id, where rows earlier than the window's
    may be pending). The conditional update makes each lease one caller's, across replicas.
    Also says how many due rows were skipped for an earlier one."""
    leased: list[Row[Any]] = []
    waiting: set[Hashable] = set()
    blocked = 0
    for row in pending:
        due = row.next_attempt_at is None or row.next_attempt_at <= now
        taken = row.lease_until is not None and row.lease_until > now
        order = key(row)
        if order is not None:
            if order in waiting or (earliest and earliest.get(order, row.id) < row.id):
                blocked += due and not taken
                continue
            waiting.add(order)
        if not due or taken:
            continue
        claim = db.execute(
            update(table)
            .where(
                table.id == row.id,
                unfinished,
                or_(table.lease_until.is_(None), table.lease_until <= now),
            )
            .values(lease_until=now + timedelta(seconds=lease_seconds))
        )
        if claim.rowcount == 1:
            leased.append(row)
        if len(leased) == limit:
            break
    return leased, blocked


def address_of(row: Row[Any]) -> Address:
    return Address(platform=row.platform, kind=row.address_kind, id=row.address_id)


def queued_to(row: Mapping[str, Any]) -> Address:
    """Where a message queued in this unit of work (its row's values) goes."""
    return Address(platform=row["platform"], kind=row["address_kind"], id=row["address_id"])


OUTBOX = cast(Table, OutboxRow.__table__)
INBOX = cast(Table, InboxRow.__table__)
# Unsent messages to one place looked at before a new one is claimed to send at once: more
# than a sender posts in one go are a backlog, which the sweep sends in order.
UNSENT_LOOKED_AT = 64
# The statements every answer runs, built (and their cache keys made) once.
UNSENT_TO = (
    select(OutboxRow.id)
    .where(
        OutboxRow.address_id == bindparam("address"),
        OutboxRow.sent_at.is_(None),
        OutboxRow.platform == bindparam("platform"),
        OutboxRow.address_kind == bindparam("kind"),
        OutboxRow.failed_at.is_(None),
    )
    .limit(UNSENT_LOOKED_AT)
)
MARK_SENT = (
    update(OutboxRow)
    .where(OutboxRow.id == bindparam("b_item"))
    .values(
        sent_at=bindparam("b_at"),
        platform_ref=bindparam("b_ref"),
        lease_until=None,
        attempts=OutboxRow.attempts + 1,
    )
)
# A request is stored with a lease (claimed to be handled at once) unless the same sender
# has an earlier one still unhandled, which it must follow: one statement decides and
# stores.
EARLIER_FROM_SENDER = (
    select(InboxRow.id)
    .where(
        InboxRow.sender == bindparam("b_sender"),
        InboxRow.processed_at.is_(None),
        InboxRow.platform == bindparam("b_platform"),
        InboxRow.failed_at.is_(None),
    )
    .exists()
)
STORE_REQUEST = (
    insert(InboxRow)
    .values(
        lease_until=case(
            (EARLIER_FROM_SENDER, null()),
            else_=bindparam("lease", type_=INBOX.c.lease_until.type),
        )
    )
    .returning(InboxRow.id, InboxRow.lease_until)
)
# A request never stored, recorded as handled by the change it causes, unless the same
# sender has an earlier one still unhandled (no row: it must follow that one).
HANDLE_IN_TURN = (
    insert(InboxRow)
    .from_select(
        ["platform", "event_id", "sender", "received_at", "processed_at"],
        select(
            bindparam("b_platform", type_=INBOX.c.platform.type),
            bindparam("b_event", type_=INBOX.c.event_id.type),
            bindparam("b_sender", type_=INBOX.c.sender.type),
            bindparam("b_at", type_=INBOX.c.received_at.type),
            bindparam("b_at", type_=INBOX.c.processed_at.type),
        ).where(~EARLIER_FROM_SENDER),
    )
    .returning(InboxRow.id)
)
# New messages, their ids back in the order given (to hand the claimed ones to a sender).
QUEUE = insert(OUTBOX).returning(OUTBOX.c.id, sort_by_parameter_order=True)
# The conditional update is the lock: a second handler of the same event waits for the
# first one's commit here, then finds nothing left to update.
HANDLE = (
    update(InboxRow)
    .where(
        InboxRow.platform == bindparam("b_platform"),
        InboxRow.event_id == bindparam("b_event"),
        InboxRow.processed_at.is_(None),
    )
    .values(processed_at=bindparam("b_at"), body=None, lease_until=None)
)


class SqlOutbox:
    def __init__(self, db: Connection, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        # Held back until the interviews they belong to are written: each message's row (as
        # column values) and the message.
        self._new: list[tuple[dict[str, Any], OutboundMessage]] = []

    def add(
        self,
        to: Address,
        message: OutboundMessage,
        interview_id: str | None = None,
        lane: Lane = Lane.REPLY,
    ) -> None:
        now = self.clock.now()
        row = {
            "lane": int(lane),
            "interview_id": interview_id,
            "platform": to.platform,
            "address_kind": to.kind,
            "address_id": to.id,
            "payload": OUTBOUND.dump_python(message, mode="json"),
            "created_at": now,
            "next_attempt_at": now,
            "attempts": 0,
            "lease_until": None,
        }
        self._new.append((row, message))

    def write_new(
        self, lease_seconds: float | None = None, posted: Set[int] = frozenset()
    ) -> tuple[int, list[OutboxItem]]:
        """Stage the messages added in this unit of work: how many, and which of them are
        claimed (for `lease_seconds`) to be sent as soon as this commits. Only messages to a
        place with nothing earlier still unsent are claimed, so that order holds (a message
        in `posted`, posted but not yet marked sent, is not waited for); the others wait
        for the sweep."""
        new, self._new = self._new, []
        if not new:
            return 0, []
        claimed: list[int] = []  # their places in `new`
        if lease_seconds is not None:
            until = self.clock.now() + timedelta(seconds=lease_seconds)
            free = {to: self._sent_to(to, posted) for to in {queued_to(row) for row, _ in new}}
            for n, (row, _) in enumerate(new):
                if free[queued_to(row)]:
                    row["lease_until"] = until
                    claimed.append(n)
        ids = self.db.execute(QUEUE, [row for row, _ in new]).scalars().all()
        items = []
        for n in claimed:
            row, message = new[n]
            to, lane = queued_to(row), Lane(row["lane"])
            items.append(OutboxItem(ids[n], to, message, 0, row["interview_id"], lane))
        return len(new), items

    def _sent_to(self, to: Address, posted: Set[int]) -> bool:
        """Whether everything earlier to this place has been posted."""
        params = {"address": to.id, "platform": to.platform, "kind": to.kind}
        unsent = self.db.scalars(UNSENT_TO, params).all()
        return len(unsent) < UNSENT_LOOKED_AT and all(n in posted for n in unsent)

    def claim_due(self, now: datetime, limit: int, lease_seconds: float) -> Claimed[OutboxItem]:
        unfinished = and_(OutboxRow.sent_at.is_(None), OutboxRow.failed_at.is_(None))
        pending = self.db.execute(
            select(OUTBOX)
            .where(unfinished)
            .order_by(OutboxRow.lane, OutboxRow.id)
            .limit(limit * 10)
        ).all()
        # A reply may be looked at before an earlier bulk message to the same place (an
        # invitation that failed): the earliest unfinished message of each place goes first.
        places = {row.address_id for row in pending}
        earliest: dict[Hashable, int] = {
            (platform, kind, address): first
            for platform, kind, address, first in self.db.execute(
                select(
                    OutboxRow.platform,
                    OutboxRow.address_kind,
                    OutboxRow.address_id,
                    func.min(OutboxRow.id),
                )
                .where(unfinished, OutboxRow.address_id.in_(places))
                .group_by(OutboxRow.platform, OutboxRow.address_kind, OutboxRow.address_id)
            )
        }
        leased, blocked = lease_in_order(
            self.db,
            OutboxRow,
            pending,
            # An earlier message to the same place goes first.
            lambda row: (row.platform, row.address_kind, row.address_id),
            OutboxRow.sent_at.is_(None),
            now,
            lease_seconds,
            limit,
            earliest,
        )
        claimed = Claimed(
            OutboxItem(
                id=row.id,
                to=address_of(row),
                message=OUTBOUND.validate_python(row.payload),
                attempts=row.attempts,
                interview_id=row.interview_id,
                lane=Lane(row.lane),
            )
            for row in leased
        )
        claimed.blocked = blocked
        return claimed

    def release(self, item_ids: Sequence[int]) -> None:
        if item_ids:
            self.db.execute(
                update(OutboxRow)
                .where(OutboxRow.id.in_(item_ids), OutboxRow.sent_at.is_(None))
                .values(lease_until=None)
            )

    def mark_sent(self, sent: Sequence[tuple[int, str | None]], at: datetime) -> None:
        if sent:
            params = [{"b_item": item_id, "b_at": at, "b_ref": ref} for item_id, ref in sent]
            self.db.execute(MARK_SENT, params)

    def forget(self, interview_id: str) -> None:
        self.db.execute(delete(OutboxRow).where(OutboxRow.interview_id == interview_id))

    def forget_before(self, before: datetime) -> int:
        done = func.coalesce(OutboxRow.sent_at, OutboxRow.failed_at)
        return self.db.execute(delete(OutboxRow).where(done < before)).rowcount

    def forget_unsent_to(self, to: Address) -> int:
        dropped = self.db.execute(
            delete(OutboxRow).where(
                OutboxRow.platform == to.platform,
                OutboxRow.address_kind == to.kind,
                OutboxRow.address_id == to.id,
                OutboxRow.sent_at.is_(None),
                OutboxRow.failed_at.is_(None),
            )
        )
        return dropped.rowcount

    def mark_failed(
        self, item_id: int, at: datetime, error: str, retry_at: datetime | None
    ) -> None:
        self.db.execute(failed_attempt(OutboxRow, item_id, at, error, retry_at))

    def backlog(self, lane: Lane, up_to: int) -> int:
        waiting = (
            select(OutboxRow.address_id)
            .where(
                OutboxRow.sent_at.is_(None),
                OutboxRow.failed_at.is_(None),
                OutboxRow.lane == int(lane),
            )
            .distinct()
            .limit(up_to)
            .subquery()
        )
        return int(self.db.scalar(select(func.count()).select_from(waiting)) or 0)

    def defer(self, item_id: int, until: datetime) -> None:
        self.db.execute(
            update(OutboxRow)
            .where(OutboxRow.id == item_id)
            .values(next_attempt_at=until, lease_until=None)
        )


def inbox_item(row: Row[Any]) -> InboxItem:
    return InboxItem(
        id=row.id,
        platform=row.platform,
        event_id=row.event_id,
        content_type=row.content_type or "",
        body=row.body or "",
        attempts=row.attempts,
        received_at=row.received_at,
    )


class SqlInbox:
    def __init__(self, db: Connection, clock: Clock, staged: Staged) -> None:
        self.db = db
        self.clock = clock
        self._staged = staged

    def add(
        self,
        platform: str,
        event_id: str,
        sender: str | None,
        content_type: str,
        body: str,
        lease_seconds: float | None = None,
    ) -> InboxItem | None:
        now = self.clock.now()
        lease = now + timedelta(seconds=lease_seconds) if lease_seconds is not None else None
        values = {
            "platform": platform,
            "event_id": event_id,
            "sender": sender,
            "content_type": content_type,
            "body": body,
            "received_at": now,
            "next_attempt_at": now,
            "attempts": 0,
            "lease": lease,
            "b_sender": sender,
            "b_platform": platform,
        }
        try:
            row_id, claimed_until = self.db.execute(STORE_REQUEST, values).one()
        except IntegrityError as exc:  # here, not at the commit: said the same way
            if unique_violation_table(exc) == "inbox":
                raise DuplicateEvent() from exc
            raise
        if claimed_until is None:
            return None
        return InboxItem(
            id=int(row_id),
            platform=platform,
            event_id=event_id,
            content_type=content_type,
            body=body,
            attempts=0,
            received_at=now,
        )

    def claim_due(self, now: datetime, limit: int, lease_seconds: float) -> Claimed[InboxItem]:
        pending = self.db.execute(
            select(INBOX)
            .where(InboxRow.processed_at.is_(None), InboxRow.failed_at.is_(None))
            .order_by(InboxRow.id)
            .limit(limit * 10)
        ).all()
        leased, blocked = lease_in_order(
            self.db,
            InboxRow,
            pending,
            # The sender's earlier event goes first.
            lambda row: (row.platform, row.sender) if row.sender is not None else None,
            InboxRow.processed_at.is_(None),
            now,
            lease_seconds,
            limit,
        )
        claimed = Claimed(inbox_item(row) for row in leased)
        claimed.blocked = blocked
        return claimed

    def handle(self, platform: str, event_id: str, at: datetime) -> bool:
        params = {"b_platform": platform, "b_event": event_id, "b_at": at}
        if self.db.execute(HANDLE, params).rowcount == 1:
            return True
        query = select(InboxRow.id).filter_by(platform=platform, event_id=event_id)
        if self.db.scalar(query) is not None:
            return False
        # Never stored (Teams, Socket Mode, the console): remember it as handled; a
        # concurrent twin fails the commit on the unique key.
        self._staged.add(
            InboxRow, platform=platform, event_id=event_id, received_at=at, processed_at=at
        )
        return True

    def handle_in_turn(self, platform: str, event_id: str, sender: str, at: datetime) -> None:
        params = {"b_platform": platform, "b_event": event_id, "b_sender": sender, "b_at": at}
        try:
            stored = self.db.execute(HANDLE_IN_TURN, params).first()
        except IntegrityError as exc:
            if unique_violation_table(exc) == "inbox":
                raise DuplicateEvent() from exc
            raise
        if stored is None:
            raise NotNow("an earlier request from the same sender is waiting")

    def mark_failed(
        self, item_id: int, at: datetime, error: str, retry_at: datetime | None
    ) -> None:
        self.db.execute(failed_attempt(InboxRow, item_id, at, error, retry_at))

    def mark_handled(self, item_id: int, at: datetime) -> None:
        self.db.execute(
            update(InboxRow)
            .where(InboxRow.id == item_id, InboxRow.processed_at.is_(None))
            .values(processed_at=at, body=None, lease_until=None)
        )

    def prune(self, before: datetime) -> int:
        pruned = self.db.execute(
            delete(InboxRow).where(
                InboxRow.body.is_(None),
                func.coalesce(InboxRow.processed_at, InboxRow.failed_at) < before,
            )
        )
        return pruned.rowcount

    def erase_from(self, platform: str, sender: str) -> None:
        self.db.execute(
            update(InboxRow)
            .where(
                InboxRow.platform == platform,
                InboxRow.sender == sender,
                InboxRow.processed_at.is_(None),
            )
            .values(body=None, failed_at=self.clock.now(), last_error="erased", lease_until=None)
        )

    def erase_before(self, before: datetime) -> int:
        erased = self.db.execute(
            update(InboxRow)
            .where(InboxRow.received_at < before, InboxRow.body.is_not(None))
            .values(body=None)
        )
        return erased.rowcount


class SqlDigestLog:
    def __init__(self, db: Connection, staged: Staged) -> None:
        self.db = db
        self._staged = staged

    def posted(self, platform: str, day: date) -> bool:
        query = select(DigestRow.id).filter_by(platform=platform, day=day)
        return self.db.scalar(query) is not None

    def record(self, platform: str, day: date, since: datetime, until: datetime) -> None:
        self._staged.add(DigestRow, platform=platform, day=day, since=since, until=until)


class SqlAuditLog:
    def __init__(self, staged: Staged) -> None:
        self._staged = staged

    def record(self, at: datetime, actor: str, action: str, subject: str) -> None:
        self._staged.add(AuditRow, at=at, actor=actor, action=action, subject=subject)


API_KEYS = cast(Table, ApiKeyRow.__table__)
IDEMPOTENT_RESPONSES = cast(Table, IdempotentResponseRow.__table__)


def api_key_from_row(row: Row[Any]) -> ApiKey:
    return ApiKey(
        name=row.name,
        prefix=row.prefix,
        digest=row.digest,
        scopes=frozenset(row.scopes.split(",")),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class SqlApiKeys:
    # Answers to repeated requests are kept this long (the same key is then a new request).
    KEEP_ANSWERS = timedelta(days=1)

    def __init__(self, db: Connection, staged: Staged) -> None:
        self.db = db
        self._staged = staged

    def add(self, key: ApiKey) -> None:
        self._staged.add(
            ApiKeyRow,
            prefix=key.prefix,
            name=key.name,
            digest=key.digest,
            scopes=",".join(sorted(key.scopes)),
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )

    def find(self, prefix: str) -> ApiKey | None:
        row = self.db.execute(select(API_KEYS).where(ApiKeyRow.prefix == prefix)).first()
        return api_key_from_row(row) if row else None

    def all(self) -> list[ApiKey]:
        rows = self.db.execute(select(API_KEYS).order_by(ApiKeyRow.created_at))
        return [api_key_from_row(row) for row in rows]

    def revoke(self, name_or_prefix: str, at: datetime) -> ApiKey | None:
        row = self.db.execute(
            select(API_KEYS).where(
                or_(ApiKeyRow.name == name_or_prefix, ApiKeyRow.prefix == name_or_prefix)
            )
        ).first()
        if row is None:
            return None
        key = api_key_from_row(row)
        if key.revoked_at is not None:
            return key
        self.db.execute(
            update(ApiKeyRow).where(ApiKeyRow.prefix == key.prefix).values(revoked_at=at)
        )
        return replace(key, revoked_at=at)

    def answered(
        self, key_prefix: str, idempotency_key: str, since: datetime
    ) -> StoredResponse | None:
        row = self.db.execute(
            select(IDEMPOTENT_RESPONSES).filter_by(
                key_prefix=key_prefix, idempotency_key=idempotency_key
            )
        ).first()
        if row is None or row.at < since:
            return None
        return StoredResponse(row.fingerprint, row.status, row.body)

    def forget_answers(self, before: datetime) -> int:
        old = delete(IdempotentResponseRow).where(IdempotentResponseRow.at < before)
        return self.db.execute(old).rowcount

    def remember(
        self, key_prefix: str, idempotency_key: str, response: StoredResponse, at: datetime
    ) -> None:
        self.forget_answers(at - self.KEEP_ANSWERS)
        self.db.execute(
            delete(IdempotentResponseRow).filter_by(
                key_prefix=key_prefix, idempotency_key=idempotency_key
            )
        )
        self._staged.add(
            IdempotentResponseRow,
            key_prefix=key_prefix,
            idempotency_key=idempotency_key,
            fingerprint=response.fingerprint,
            status=response.status,
            body=response.body,
            at=at,
        )
