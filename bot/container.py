"""The composition root: settings in, a wired application out. The only place that knows
which adapter implements which port."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from functools import partial
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import Engine

from adapters.catalogs import languages
from adapters.holidays import public_holidays
from adapters.llm.offline import OfflineAnalyst
from adapters.llm.resilience import CallObserver, CircuitBreaker, Guard
from adapters.storage.crypto import Cipher, KeyMismatch
from adapters.storage.database import make_engine
from adapters.storage.encryption import check_readable
from adapters.storage.open_interviews import OpenInterviews
from adapters.storage.unit_of_work import SqlUnitOfWork
from adapters.timephrases import read_time
from bot.clock import SystemClock
from bot.extras import require
from bot.hands import Hands
from bot.platform import Platform
from bot.settings import POOL_OVERFLOW, Settings, SettingsError
from core import wording
from core.conversation import Conversation
from core.delivery import Delivery, SendNow
from core.dialogue import Dialogue, DialoguePolicy
from core.endings import Endings
from core.hr import HrDesk
from core.hr_actions import HrActions
from core.hr_api import HrApi
from core.intake import Intake
from core.jobs import Jobs
from core.ports import Analyst, ChatPort, Clock, Directory
from core.questions import BankError, QuestionBank, parse_bank
from core.transactions import Transactions
from core.views import Views
from core.working_hours import WorkingHours, no_holidays

# Where the openai package sends requests when OPENAI_BASE_URL is not set.
OPENAI_API = "https://api.openai.com/v1"

log = logging.getLogger(__name__)


def load_bank(settings: Settings) -> QuestionBank:
    """The bank in EXITBOT_QUESTIONS, or the bundled one. Raises BankError."""
    if settings.questions is not None:
        return read_bank(settings.questions)
    bundled = resources.files("core") / "banks" / "default.yaml"
    return parse_bank(bundled.read_text(encoding="utf-8"), "bundled question bank")


def read_bank(path: Path) -> QuestionBank:
    """A bank file HR wrote. Raises BankError, also for a file that is not UTF-8 text."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BankError(f"{path}: not a text file in UTF-8 (save the bank as UTF-8 YAML)") from None
    return parse_bank(text, str(path))


def make_analyst(settings: Settings, observe: CallObserver | None = None) -> Analyst:
    """The LLM analyst when OPENAI_API_KEY is set (the offline one standing in whenever the
    model is slow, failing or talking nonsense); the offline analyst otherwise. `observe` is
    told of each call to the model (the metrics)."""
    if settings.openai_api_key is None:
        return OfflineAnalyst()
    require("llm", "OPENAI_API_KEY")
    # Imported only when a model is configured: the client library is ~25 MB of memory.
    from openai import OpenAI

    from adapters.llm.openai_analyst import LLMAnalyst

    client = OpenAI(
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout,
        max_retries=2,
    )
    guard = Guard(settings.llm_timeout, settings.llm_concurrency, CircuitBreaker())
    if observe is not None:
        guard.observe = observe
    return LLMAnalyst(
        client,
        settings.llm_model,
        guard,
        redact_pii=settings.redact_pii,
        hr_language=settings.hr_language,
    )


def _after_commit_failed(exc: Exception) -> None:
    log.warning("an ended interview could not be summarised yet (%s); the sweep tries again", exc)


def working_hours(settings: Settings) -> WorkingHours:
    """When reminders may go out, and which days are public holidays, from the settings."""
    holiday = public_holidays(settings.holiday_country) if settings.holiday_country else no_holidays
    if settings.working_hours == "always":
        return WorkingHours(time.min, time.max, holiday, weekdays=frozenset(range(7)))
    start, end = settings.working_hours.split("-")
    until = time.max if end == "24:00" else time.fromisoformat(end)
    return WorkingHours(time.fromisoformat(start), until, holiday)


def review_every(digest_cron: str) -> str:
    """How often HR look at all interviews together, as the closing message says it: the
    digest's schedule (minute hour day-of-month month day-of-week)."""
    _, _, day, month, weekday = digest_cron.split()
    if day == "*" and weekday == "*":
        return wording.EACH_DAY
    if day == "*":
        return wording.EACH_WEEK if not any(c in weekday for c in ",-/") else wording.EVERY_FEW_DAYS
    return wording.EACH_MONTH if month == "*" else wording.EVERY_FEW_MONTHS


def model_host(settings: Settings) -> str | None:
    """Where answers go for analysis: the model's host, or None with the offline analyst."""
    if settings.openai_api_key is None:
        return None
    return urlsplit(settings.openai_base_url or OPENAI_API).hostname or "an OpenAI endpoint"


@dataclass
class App:
    settings: Settings
    engine: Engine
    conversation: Conversation
    hr: HrActions
    jobs: Jobs
    views: Views
    delivery: Delivery
    intake: Intake
    desk: HrDesk
    # What HR systems do over the REST API (the same desk, as a caller with an API key).
    api: HrApi
    clock: Clock
    transactions: Transactions
    # Set when a commit put messages in the outbox: the sender wakes up for them.
    outbox_ready: threading.Event
    # Where commits hand what they claimed to send at once (the worker's senders, in serve).
    send_now: SendNow
    # What holds threads or connections, let go of on close (the LLM analyst's pool).
    closing: list[Callable[[], None]] = field(default_factory=list)
    # The model's circuit breaker state ("closed", "open", "half-open"); None offline.
    breaker_state: Callable[[], str] | None = None
    # Who may handle requests at once (EXITBOT_HANDLERS): the inbox's handlers, and answers
    # handled as they arrive, which take a hand only when one is free, so that under load
    # they queue in the inbox in their order instead of overtaking it.
    hands: Hands = field(default_factory=Hands)

    def register(self, platform: Platform) -> None:
        """Plug a chat platform in: its messages are sent, its people looked up, its stored
        requests handled, and its HR commands answered in its own words."""
        self.delivery.ports[platform.name] = platform.chat
        if platform.directory is not None:
            self.desk.directories[platform.name] = platform.directory
        if platform.invocation:
            self.desk.invocations[platform.name] = platform.invocation
        if platform.replay is not None:
            self.intake.handlers[platform.name] = platform.replay

    def close(self) -> None:
        for close in self.closing:
            close()
        self.engine.dispose()


def build_app(
    settings: Settings,
    ports: Mapping[str, ChatPort] | None = None,
    *,
    directories: Mapping[str, Directory] | None = None,
    clock: Clock | None = None,
    analyst: Analyst | None = None,
    observe_model: CallObserver | None = None,
) -> App:
    clock = clock or SystemClock()
    bank = load_bank(settings)
    analyst = analyst or make_analyst(settings, observe_model)
    cipher = Cipher(settings.encryption_keys) if settings.encryption_keys else None
    engine = make_engine(settings.database_url, cipher, pool=(settings.pool_size, POOL_OVERFLOW))
    try:
        check_readable(engine, cipher)
    except KeyMismatch as exc:
        engine.dispose()
        raise SettingsError(f"EXITBOT_ENCRYPTION_KEY: {exc}") from None
    outbox_ready = threading.Event()
    send_now = SendNow()
    kept = OpenInterviews()
    uow = partial(SqlUnitOfWork, engine, clock, outbox_ready.set, send_now, kept=kept)
    policy = DialoguePolicy(
        max_followups=settings.max_followups,
        retention_days=settings.retention_days,
        send_time=time.fromisoformat(settings.send_time),
        model_host=model_host(settings),
        redacts_contacts=settings.redact_pii,
        review_every=review_every(settings.digest_cron),
    )
    transactions = Transactions(uow=uow, clock=clock, on_handler_error=_after_commit_failed)
    dialogue = Dialogue(
        bank=bank,
        analyst=analyst,
        policy=policy,
        reader=read_time,
        languages=languages(settings.default_language),
    )
    read = partial(SqlUnitOfWork, engine, clock, read_only=True, kept=kept)
    endings = Endings(
        transactions=transactions,
        bank=bank,
        analyst=analyst,
        default_language=settings.default_language,
        read=read,
    )
    transactions.on_ended.append(endings.on_ended)
    one_statement = partial(SqlUnitOfWork, engine, clock, one_statement=True, kept=kept)
    views = Views(
        uow=uow, read=read, bank=bank, analyst=analyst, clock=clock, min_group=settings.min_group
    )
    hr = HrActions(transactions=transactions, dialogue=dialogue)
    working = working_hours(settings)
    jobs = Jobs(
        transactions=transactions,
        bank=bank,
        dialogue=dialogue,
        endings=endings,
        views=views,
        remind_after=timedelta(hours=settings.reminder_hours),
        abandon_after=timedelta(hours=settings.abandon_hours),
        working=working,
        read=read,
    )
    delivery = Delivery(
        uow=uow,
        ports=dict(ports or {}),
        clock=clock,
        on_unreachable=jobs.mark_unreachable,
        posted=send_now.posted,
        one_statement=one_statement,
    )
    desk = HrDesk(
        actions=hr,
        views=views,
        clock=clock,
        directories=dict(directories or {}),
        hr_users=frozenset(settings.hr_users),
        send_time=time.fromisoformat(settings.send_time),
        lead_days=settings.lead_days,
        working=working,
    )
    hands = Hands(settings.handlers)
    return App(
        settings=settings,
        engine=engine,
        transactions=transactions,
        conversation=Conversation(
            transactions=transactions,
            dialogue=dialogue,
            # Any analyst but the offline one may wait on the network.
            advice_outside=not isinstance(analyst, OfflineAnalyst),
            waiting_for_advice=hands.let_go,
        ),
        hr=hr,
        jobs=jobs,
        views=views,
        delivery=delivery,
        intake=Intake(uow=uow, clock=clock, one_statement=one_statement),
        desk=desk,
        api=HrApi(desk),
        clock=clock,
        outbox_ready=outbox_ready,
        send_now=send_now,
        closing=[close] if callable(close := getattr(analyst, "close", None)) else [],
        breaker_state=_breaker_state(analyst),
        hands=hands,
    )


def _breaker_state(analyst: Analyst) -> Callable[[], str] | None:
    guard = getattr(analyst, "guard", None)
    return (lambda: guard.breaker.state) if isinstance(guard, Guard) else None
