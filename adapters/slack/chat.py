"""ChatPort over Slack's Web API. slack-sdk's retry handlers absorb short outages and a
429 or two (honouring Retry-After); what is left becomes a DeliveryError for the outbox to
retry later, or RecipientUnreachable when the person can never get the message."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.web import SlackResponse

from adapters.charts.digest import reasons_chart
from adapters.pacing.buckets import Buckets, MemoryBuckets
from adapters.slack import PLATFORM
from adapters.slack.blocks import render
from adapters.slack.pacing import Paced, PacedClient, retry_after
from adapters.storage.references import SLACK_DM
from core.messages import Address, DigestMessage, OutboundMessage
from core.ports import DeliveryError, RecipientUnreachable, Throttled

# How people type an HR command in Slack (the manifest's slash command).
SLASH_COMMAND = "/exitbot"
log = logging.getLogger(__name__)
# chat.postMessage calls a second to the whole workspace: Slack does not publish its limit.
DEFAULT_POST_RATE = 20.0

# Errors that mean this person will never get a DM from us.
UNREACHABLE = frozenset(
    {
        "user_not_found",
        "users_not_found",
        "user_disabled",
        "account_inactive",
        "cannot_dm_bot",
        "user_not_visible",
        "is_bot",
    }
)


def make_client(
    token: str,
    base_url: str,
    wait_when_limited: bool = True,
    buckets: Buckets | None = None,
    post_rate: float = DEFAULT_POST_RATE,
) -> WebClient:
    """A Web API client that rides out short outages and keeps under Slack's limits (see
    pacing). `wait_when_limited`: a 429 is waited out (Retry-After) and tried once more, and
    a call may wait its turn for a while; without it, a call that would wait more than a
    moment fails at once, so that the outbox sends it later and no sender thread sleeps
    while others could send."""
    handlers: list[RetryHandler] = [
        ConnectionErrorRetryHandler(max_retry_count=2),
        ServerErrorRetryHandler(max_retry_count=2),
    ]
    if wait_when_limited:
        handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    return PacedClient(
        token=token,
        base_url=base_url,
        timeout=10,
        retry_handlers=handlers,
        buckets=buckets or MemoryBuckets(),
        post_rate=post_rate,
        max_wait=10.0 if wait_when_limited else 1.0,
    )


def channel_key(user: str) -> str:
    return SLACK_DM.format(user)


class Channels(Protocol):
    """Where each person's DM channel is remembered, for every replica and past restarts."""

    def get(self, key: str) -> dict[str, Any] | None: ...

    def save(self, key: str, reference: dict[str, Any]) -> None: ...


class SlackChat:
    platform = PLATFORM

    def __init__(
        self, client: WebClient, hr_channel: str | None, channels: Channels | None = None
    ) -> None:
        self.client = client
        self.hr_channel = hr_channel
        self.channels = channels
        self._dm_channels: dict[str, str] = {}

    def send(self, to: Address, message: OutboundMessage) -> str | None:
        text, blocks = render(message)

        def post(channel: str) -> SlackResponse:
            return self.client.chat_postMessage(
                channel=channel, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False
            )

        try:
            channel = self._channel(to)
            try:
                response = post(channel)
            except SlackApiError as exc:
                if to.kind != "user" or exc.response.get("error") != "channel_not_found":
                    raise
                # Slack does not say why it cannot post to a person's id; opening the DM
                # does (deactivated, not allowed), or gives a channel to post to.
                self._dm_channels.pop(to.id, None)
                channel = str(self.client.conversations_open(users=to.id)["channel"]["id"])
                response = post(channel)
            if to.kind == "user":
                self._remember(to.id, str(response.get("channel") or ""))
        except SlackApiError as exc:
            raise self._failure(exc, to) from exc
        except Paced as exc:
            raise Throttled("Slack: paced under its rate limit", retry_after=exc.wait) from exc
        except SlackClientError as exc:
            raise DeliveryError(f"Slack: {exc}") from exc
        except OSError as exc:  # connection refused, timeouts after the retries
            raise DeliveryError(f"Slack unreachable: {exc}") from exc
        if isinstance(message, DigestMessage):
            self._attach_chart(channel, message)
        ts = response.get("ts")
        return str(ts) if ts else None

    def _attach_chart(self, channel: str, message: DigestMessage) -> None:
        chart = reasons_chart(message.digest)
        if chart is None:
            return
        try:
            self.client.files_upload_v2(
                channel=channel,
                file=chart,
                filename="exitbot-digest.png",
                title="Why people left",
                alt_txt="Bar chart of the primary reasons for leaving",
            )
        except (SlackApiError, SlackClientError, OSError) as exc:
            # The numbers are already posted; a missing chart must not resend them.
            log.warning("could not upload the digest chart (needs files:write): %s", exc)

    def _channel(self, to: Address) -> str:
        if to.kind == "hr":
            if not self.hr_channel:
                raise DeliveryError(
                    "EXITBOT_HR_CHANNEL is not set: HR summaries have nowhere to go"
                )
            return self.hr_channel
        # Slack posts to a user id in the bot's DM with them: no conversations.open (Tier
        # 3, ~50 a minute) before a person's first message.
        return self._known_channel(to.id) or to.id

    def dm_channel(self, user: str) -> str:
        """The bot's direct-message channel with this person: as a post to them answered,
        else opened (once for all replicas)."""
        known = self._known_channel(user)
        if known is None:
            opened = self.client.conversations_open(users=user)
            known = str(opened["channel"]["id"])
            self._remember(user, known)
        return known

    def _known_channel(self, user: str) -> str | None:
        if user not in self._dm_channels and self.channels is not None:
            stored = self.channels.get(channel_key(user))
            if stored and stored.get("channel"):
                self._dm_channels[user] = str(stored["channel"])
        return self._dm_channels.get(user)

    def _remember(self, user: str, channel: str) -> None:
        if not channel.startswith("D") or self._dm_channels.get(user) == channel:
            return
        self._dm_channels[user] = channel
        if self.channels is not None:
            self.channels.save(channel_key(user), {"channel": channel})

    def _failure(self, exc: SlackApiError, to: Address) -> DeliveryError:
        error = str(exc.response.get("error", "unknown_error"))
        if to.kind == "user" and error in UNREACHABLE:
            return RecipientUnreachable(f"Slack: {error}")
        if exc.response.status_code == 429 or error == "ratelimited":
            return Throttled("Slack: rate limited", retry_after=retry_after(exc))
        if to.kind == "hr" and error in ("not_in_channel", "channel_not_found", "is_archived"):
            log.error(
                "cannot post to the HR channel %s (%s): invite ExitBot to it",
                self.hr_channel,
                error,
            )
        return DeliveryError(f"Slack: {error}")
