"""Pacing under Slack's limits: token buckets in memory and in Redis (shared by replicas),
a 429 that pauses everyone instead of a sender thread, and a stand-in that answers 429
beyond the limits as Slack does."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.pacing.buckets import Buckets, Limit, MemoryBuckets, RedisBuckets
from adapters.slack.chat import SlackChat, make_client
from adapters.slack.directory import SlackDirectory
from core.messages import Address, TextMessage
from core.ports import Throttled, UnknownPerson
from tests.standins.slack import Failure, SlackStandIn


@pytest.fixture(params=["memory", "redis"])
def buckets(request: pytest.FixtureRequest) -> Iterator[Buckets]:
    if request.param == "memory":
        yield MemoryBuckets()
        return
    url: str = request.getfixturevalue("redis_url")
    shared = RedisBuckets(url, prefix=f"exitbot-test:{uuid.uuid4().hex}:")
    yield shared
    shared.close()


def test_a_bucket_lets_a_burst_through_then_paces(buckets: Buckets) -> None:
    limit = Limit(rate=10, burst=3)
    waits = [buckets.take("m", limit, max_wait=5) for _ in range(5)]
    assert waits[:3] == [0, 0, 0]
    assert waits[3] == pytest.approx(0.1, abs=0.03)  # the fourth waits for a token...
    assert waits[4] == pytest.approx(0.2, abs=0.03)  # ...and the fifth for the next one
    assert buckets.take("m", limit, max_wait=0.05) is None  # too long: nothing taken
    assert buckets.take("other", limit, max_wait=0) == 0  # each key its own bucket


def test_a_pause_holds_a_bucket_however_full(buckets: Buckets) -> None:
    limit = Limit(rate=100, burst=100)
    buckets.pause("m", 2)
    assert buckets.wait("m") == pytest.approx(2, abs=0.1)
    assert buckets.take("m", limit, max_wait=1) is None
    assert buckets.take("m", limit, max_wait=5) == pytest.approx(2, abs=0.1)
    buckets.pause("m", 0.5)  # a shorter pause never shortens a longer one
    assert buckets.wait("m") == pytest.approx(2, abs=0.1)


def test_posts_keep_under_the_workspace_rate_without_a_single_429(slack: SlackStandIn) -> None:
    slack.post_rate = 20
    chat = SlackChat(make_client("xoxb-test", slack.api_url, False, post_rate=20), "CHR")
    started = time.monotonic()
    for n in range(60):
        chat.send(Address(platform="slack", id=f"U{n}"), TextMessage(text="hello"))
    took = time.monotonic() - started
    assert slack.throttled == []
    assert len(slack.posts()) == 60
    assert took >= 2.3  # 10 at once, then 50 more at 20 a second


def test_a_429_pauses_every_post_without_a_sender_sleeping(slack: SlackStandIn) -> None:
    chat = SlackChat(make_client("xoxb-test", slack.api_url, wait_when_limited=False), "CHR")
    slack.failures["chat.postMessage"] = [
        Failure(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3"})
    ]
    with pytest.raises(Throttled) as first:
        chat.send(Address(platform="slack", id="U1"), TextMessage(text="x"))
    assert first.value.retry_after == 3
    started = time.monotonic()
    with pytest.raises(Throttled) as second:  # another person: Slack is not even asked
        chat.send(Address(platform="slack", id="U2"), TextMessage(text="x"))
    assert time.monotonic() - started < 0.5
    assert 2 <= (second.value.retry_after or 0) <= 3
    assert [m for m, _ in slack.refused] == ["chat.postMessage"]
    assert slack.posts() == []


def replicas_posting(slack: SlackStandIn, buckets: list[Buckets], each: int) -> float:
    """Two replicas' senders posting at once; how long until all was sent."""
    chats = [
        SlackChat(make_client("xoxb-test", slack.api_url, False, b, post_rate=20), "CHR")
        for b in buckets
    ]

    def send(n: int, chat: SlackChat) -> None:
        sent = 0
        while sent < each:
            try:
                chat.send(Address(platform="slack", id=f"U{n}-{sent}"), TextMessage(text="x"))
                sent += 1
            except Throttled as exc:
                time.sleep(exc.retry_after or 1)  # what the outbox does, in short

    threads = [threading.Thread(target=send, args=(n, chat)) for n, chat in enumerate(chats)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return time.monotonic() - started


def test_replicas_sharing_buckets_in_redis_stay_under_the_limit_together(
    slack: SlackStandIn, redis_url: str
) -> None:
    slack.post_rate = 20
    prefix = f"exitbot-test:{uuid.uuid4().hex}:"
    shared = [RedisBuckets(redis_url, prefix=prefix), RedisBuckets(redis_url, prefix=prefix)]
    replicas_posting(slack, list(shared), each=30)
    assert slack.throttled == []
    assert len(slack.posts()) == 60
    # Each on its own, two replicas post twice the rate between them and meet 429s.
    alone = SlackStandIn(post_rate=20)
    alone.start()
    try:
        replicas_posting(alone, [MemoryBuckets(), MemoryBuckets()], each=30)
        assert alone.throttled
        assert len(alone.posts()) == 60  # (nothing lost either way)
    finally:
        alone.stop()


def test_the_stand_in_enforces_slacks_published_tier_floors(slack: SlackStandIn) -> None:
    careless = WebClient(token="xoxb-test", base_url=slack.api_url)  # no pacing, no retries
    statuses = []
    for n in range(55):
        try:
            statuses.append(careless.conversations_open(users=f"U{n}").status_code)
        except SlackApiError as exc:
            statuses.append(exc.response.status_code)
            assert int(exc.response.headers["Retry-After"]) >= 1
    assert statuses == [200] * 50 + [429] * 5  # Tier 3: 50 a minute, at once if need be
    paced = make_client("xoxb-test", slack.api_url)
    started = time.monotonic()
    for n in range(60):  # ours: a burst of 50, then 100 a minute, and never a 429
        with contextlib.suppress(SlackApiError):  # (nobody by those ids: user_not_found)
            paced.users_info(user=f"U{n}")
    assert time.monotonic() - started < 10 and slack.throttled == ["conversations.open"] * 5


def test_a_paused_look_up_tells_hr_to_try_again_and_an_import_waits(slack: SlackStandIn) -> None:
    """A look-up paused past what HR should wait raised out of the HR command (Paced is no
    SlackApiError); an import's listing failed instead of waiting for Slack's pause."""
    buckets = MemoryBuckets()
    directory = SlackDirectory(make_client("xoxb-test", slack.api_url, buckets=buckets))
    buckets.pause("users.info", 30)
    with pytest.raises(UnknownPerson, match="Slack is busy: try again in 30 seconds"):
        directory.lookup(user_id="UJANE")
    assert not any(m == "users.info" for m, _ in slack.calls)
    buckets.pause("users.list", 11)  # longer than a call may wait: the listing waits it out
    started = time.monotonic()
    everyone = directory.everyone()
    assert time.monotonic() - started >= 10
    assert {p.user_id for p in everyone} >= {"UJANE", "ULEO"}
