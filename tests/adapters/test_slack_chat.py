"""SlackChat against the loopback Slack stand-in: digests with their chart, delivery errors."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.slack.chat import SlackChat, make_client
from core.messages import Address, DigestMessage, TextMessage
from core.ports import DeliveryError, RecipientUnreachable
from core.reporting import Digest, ReasonCount
from core.taxonomy import Reason
from tests.standins.slack import Failure, SlackStandIn


def digest(reasons: list[ReasonCount]) -> DigestMessage:
    return DigestMessage(
        digest=Digest(
            since=datetime(2026, 3, 2, tzinfo=UTC),
            until=datetime(2026, 3, 9, tzinfo=UTC),
            by_state={"COMPLETED": 3},
            open_now=1,
            response_rate=1.0,
            reasons=reasons,
            ratings=[],
            recommend_score=10,
            recommend_answers=3,
        )
    )


def test_a_digest_is_posted_with_its_chart(slack: SlackStandIn) -> None:
    chat = SlackChat(make_client("xoxb-test", slack.api_url), "CHR")
    chat.send(
        Address.hr("slack"),
        digest(
            [
                ReasonCount(reason=Reason.MANAGER, count=2),
                ReasonCount(reason=Reason.COMPENSATION, count=1),
            ]
        ),
    )
    [post] = slack.posts("CHR")
    assert "Reasons for leaving" in str(post["blocks"])
    [png] = slack.uploads
    assert png.startswith(b"\x89PNG")
    completed = [p for m, p in slack.calls if m == "files.completeUploadExternal"]
    assert completed and completed[0]["channel_id"] == "CHR"


def test_no_chart_without_reasons_and_a_failed_upload_keeps_the_post(slack: SlackStandIn) -> None:
    chat = SlackChat(make_client("xoxb-test", slack.api_url), "CHR")
    chat.send(Address.hr("slack"), digest([]))
    assert slack.uploads == []
    slack.failures["files.getUploadURLExternal"] = [
        Failure(200, {"ok": False, "error": "missing_scope"})
    ]
    chat.send(Address.hr("slack"), digest([ReasonCount(reason=Reason.MANAGER, count=2)]))
    assert len(slack.posts("CHR")) == 2


def test_delivery_errors(slack: SlackStandIn) -> None:
    chat = SlackChat(make_client("xoxb-test", slack.api_url), None)
    with pytest.raises(DeliveryError, match="EXITBOT_HR_CHANNEL is not set"):
        chat.send(Address.hr("slack"), TextMessage(text="x"))
    slack.unreachable.add("UGONE")
    with pytest.raises(RecipientUnreachable, match="account_inactive"):
        chat.send(Address(platform="slack", id="UGONE"), TextMessage(text="x"))
    slack.failures["chat.postMessage"] = [Failure(200, {"ok": False, "error": "invalid_auth"})]
    with pytest.raises(DeliveryError, match="invalid_auth") as raised:
        chat.send(Address(platform="slack", id="UJANE"), TextMessage(text="x"))
    assert not isinstance(raised.value, RecipientUnreachable)


def test_a_rate_limited_send_fails_at_once_for_the_outbox_to_reschedule(
    slack: SlackStandIn,
) -> None:
    """Regression: the sender thread slept through Retry-After (slack-sdk's retry handler),
    holding up every other employee's messages behind it."""
    chat = SlackChat(make_client("xoxb-test", slack.api_url, wait_when_limited=False), "CHR")
    slack.failures["chat.postMessage"] = [
        Failure(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "30"})
    ]
    started = time.monotonic()
    with pytest.raises(DeliveryError) as raised:
        chat.send(Address.hr("slack"), TextMessage(text="x"))
    assert raised.value.retry_after == 30 and time.monotonic() - started < 5
    assert [m for m, _ in slack.refused] == ["chat.postMessage"]  # asked once, not again
    assert not any(m == "chat.postMessage" for m, _ in slack.calls)


def test_calls_share_one_connection_and_one_the_server_closed_is_opened_again(
    slack: SlackStandIn,
) -> None:
    """Regression: every call opened a new connection (urllib, `Connection: close`), which
    against slack.com is a TCP and TLS handshake per message."""
    chat = SlackChat(make_client("xoxb-test", slack.api_url), "CHR")
    for n in range(5):
        chat.send(Address.hr("slack"), TextMessage(text=f"message {n}"))
    assert slack.connections == 1
    slack.drop_connections()  # as a server does with an idle one
    chat.send(Address.hr("slack"), TextMessage(text="after"))
    texts = [post["text"] for post in slack.posts("CHR")]
    assert texts == [f"message {n}" for n in range(5)] + ["after"]  # each once
    assert slack.connections == 2


class Remembered(dict[str, dict[str, Any]]):
    """What the database keeps for every replica (the reference store's get and save)."""

    def save(self, key: str, reference: dict[str, Any]) -> None:
        self[key] = reference


def test_a_dm_needs_no_conversations_open_and_its_channel_is_shared(slack: SlackStandIn) -> None:
    """10,000 leavers used to cost 10,000 conversations.open calls (Tier 3, ~50 a minute),
    per replica: each kept the DM channels in its own memory."""
    stored = Remembered()
    first = SlackChat(make_client("xoxb-test", slack.api_url), "CHR", stored)
    for n in range(3):
        first.send(Address(platform="slack", id=f"U{n}"), TextMessage(text="hello"))
    assert [m for m, _ in slack.calls] == ["chat.postMessage"] * 3
    assert [len(slack.posts(f"DU{n}")) for n in range(3)] == [1, 1, 1]
    # Another replica knows the DM channel (a click there is checked against it) unasked.
    second = SlackChat(make_client("xoxb-test", slack.api_url), "CHR", stored)
    assert second.dm_channel("U1") == "DU1"
    assert not any(m == "conversations.open" for m, _ in slack.calls)
    assert second.dm_channel("U9") == "DU9"  # never written to: opened, once
    assert second.dm_channel("U9") == "DU9"
    assert [m for m, _ in slack.calls].count("conversations.open") == 1
