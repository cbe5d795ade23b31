"""`GET /metrics` in Prometheus' text format (prometheus-client), every name prefixed
`exitbot_`. Counters and histograms are kept as things happen; what lives in the database
(interviews by state, the outbox per lane) is counted when Prometheus asks. With several
processes (`EXITBOT_PROCESSES`), prometheus-client's multiprocess mode adds the processes'
counts up, so any process can answer the scrape."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from adapters.storage.gauges import read_gauges
from core.interview import InterviewState
from core.messages import Address, Lane, OutboundMessage
from core.ports import (
    ChatPort,
    DeliveryError,
    InboxItem,
    RecipientUnreachable,
    Throttled,
    Undeliverable,
)

# prometheus-client's own switch: set (by serve, before any process starts) to a folder
# where each process writes its counts.
MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"
# From a button's round trip to a model's slow answer.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.sent = Counter(
            "exitbot_messages_sent",
            "Messages a chat platform accepted",
            ["platform"],
            registry=self.registry,
        )
        self.failed = Counter(
            "exitbot_message_failures",
            "Sends that failed: throttled (sent again after Retry-After), error (retried), "
            "unreachable or refused (never retried)",
            ["platform", "kind"],
            registry=self.registry,
        )
        self.answered = Histogram(
            "exitbot_answer_seconds",
            "From a request's arrival to its handling committed (the reply on its way)",
            ["platform"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.duplicates = Counter(
            "exitbot_inbound_duplicates",
            "Inbound events seen before (a platform's retry), handled once",
            ["platform"],
            registry=self.registry,
        )
        self.llm = Histogram(
            "exitbot_llm_seconds",
            "Calls to the model by outcome: ok, error, timeout, refused (breaker open), busy "
            "(every slot taken: the offline analyst decided a follow-up)",
            ["outcome"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._state: _StateCollector | None = None

    def watch(self, engine: Engine, breaker: Callable[[], str] | None = None) -> None:
        """Count what is in this database, and report this model breaker, at each scrape."""
        self._state = _StateCollector(engine, breaker)
        self.registry.register(self._state)

    def llm_call(self, outcome: str, seconds: float) -> None:
        self.llm.labels(outcome).observe(seconds)

    def duplicate(self, platform: str) -> None:
        self.duplicates.labels(platform).inc()

    def handled(self, item: InboxItem) -> float:
        """Counts a handled request; how long (seconds) it waited for its handling."""
        if item.received_at is None:
            return 0.0
        waited = max((datetime.now(UTC) - item.received_at).total_seconds(), 0.0)
        self.answered.labels(item.platform).observe(waited)
        return waited

    def counted(self, chat: ChatPort) -> ChatPort:
        return CountedChat(chat, self)

    def render(self) -> tuple[bytes, str]:
        """The exposition and its content type."""
        if os.environ.get(MULTIPROCESS):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            if self._state is not None:
                registry.register(self._state)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class CountedChat:
    """A ChatPort that counts what the platform accepted and refused."""

    def __init__(self, chat: ChatPort, metrics: Metrics) -> None:
        self.chat = chat
        self.platform = chat.platform
        self._metrics = metrics

    def send(self, to: Address, message: OutboundMessage) -> str | None:
        try:
            ref = self.chat.send(to, message)
        except Throttled:
            self._metrics.failed.labels(self.platform, "throttled").inc()
            raise
        except RecipientUnreachable:
            self._metrics.failed.labels(self.platform, "unreachable").inc()
            raise
        except Undeliverable:
            self._metrics.failed.labels(self.platform, "refused").inc()
            raise
        except DeliveryError:
            self._metrics.failed.labels(self.platform, "error").inc()
            raise
        self._metrics.sent.labels(self.platform).inc()
        return ref

    def __getattr__(self, name: str) -> object:
        # What a platform's chat offers beyond sending (its DM channels, say).
        return getattr(self.chat, name)


class _StateCollector(Collector):
    """Read at each scrape: the database's counts, and this process's model breaker."""

    def __init__(self, engine: Engine, breaker: Callable[[], str] | None) -> None:
        self.engine = engine
        self.breaker = breaker

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("exitbot_database_up", "1 when the database answered this scrape")
        try:
            gauges = read_gauges(self.engine)
        except SQLAlchemyError:
            up.add_metric([], 0.0)
            yield up
            yield from self._breaker()
            return
        up.add_metric([], 1.0)
        yield up
        states = GaugeMetricFamily("exitbot_interviews", "Interviews by state", labels=["state"])
        for state in InterviewState:
            states.add_metric([state.value], gauges.interviews.get(state.value, 0))
        yield states
        depth = GaugeMetricFamily(
            "exitbot_outbox_messages", "Messages waiting to be sent, by lane", labels=["lane"]
        )
        age = GaugeMetricFamily(
            "exitbot_outbox_oldest_seconds",
            "Age of the oldest message waiting to be sent, by lane (0 when none waits)",
            labels=["lane"],
        )
        waiting = {w.lane: w for w in gauges.outbox}
        now = datetime.now(UTC)
        for lane in Lane:
            here = waiting.get(lane.value)
            name = lane.name.lower()
            depth.add_metric([name], here.messages if here else 0)
            oldest = here.oldest if here else None
            age.add_metric([name], max((now - oldest).total_seconds(), 0.0) if oldest else 0.0)
        yield depth
        yield age
        yield from self._breaker()

    def _breaker(self) -> Iterator[Metric]:
        if self.breaker is not None:
            breaker = GaugeMetricFamily(
                "exitbot_llm_breaker_open",
                "1 while the model's circuit breaker is open (the offline analyst answers)",
            )
            breaker.add_metric([], 0.0 if self.breaker() == "closed" else 1.0)
            yield breaker
