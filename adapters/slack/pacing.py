"""Calling Slack just under its rate limits, and standing back when it says 429.

Slack's limits (https://docs.slack.dev/apis/web-api/rate-limits) are per method, per app,
per workspace, in tiers: Tier 2 20+ calls a minute, Tier 3 50+, Tier 4 100+, with bursts
allowed. chat.postMessage is apart: about one message a second per channel, short bursts
allowed, and a workspace-wide limit Slack does not publish (`EXITBOT_SLACK_RATE`). Every
method here goes through a bucket at its tier's floor, shared by all replicas when Redis is
configured. A 429 pauses the method (and, for a post, its channel) for Retry-After; Slack
does not say which of the two it hit, and pausing both never makes a second 429."""

from __future__ import annotations

import time
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from adapters.pacing.buckets import Buckets, Limit
from adapters.slack.keepalive import KeepAliveClient

# Each tier's floor, per minute.
TIERS = {2: 20, 3: 50, 4: 100}
METHOD_TIERS = {
    "users.list": 2,
    "users.lookupByEmail": 3,
    "conversations.open": 3,
    "chat.update": 3,
    "users.info": 4,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
}
POST = "chat.postMessage"


class Paced(SlackClientError):
    """The call would have to wait longer than its caller allows: nothing was sent."""

    def __init__(self, method: str, wait: float) -> None:
        super().__init__(f"{method}: paced, next possible in {wait:.1f} s")
        self.wait = wait


def tier_limit(method: str) -> Limit | None:
    tier = METHOD_TIERS.get(method)
    if tier is None:
        return None
    per_minute = TIERS[tier]
    # Half the minute's calls at once ("bursts welcome"), never the whole minute's.
    return Limit(rate=per_minute / 60, burst=max(1.0, per_minute / 2))


class PacedClient(KeepAliveClient):
    """A WebClient whose every call waits its turn (up to `max_wait` seconds; beyond that it
    raises Paced, so that a sender moves on instead of sleeping)."""

    def __init__(
        self, *args: Any, buckets: Buckets, post_rate: float, max_wait: float, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.buckets = buckets
        # Half a second's worth at once: our bucket starts a moment before Slack's sees it.
        self.post_limit = Limit(rate=post_rate, burst=max(1.0, post_rate / 2))
        self.max_wait = max_wait

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        channel = _channel(kwargs) if api_method == POST else None
        if channel and (paused := self.buckets.wait(f"{POST}:{channel}")):
            if paused > self.max_wait:
                raise Paced(api_method, paused)
            time.sleep(paused)
        limit = self.post_limit if api_method == POST else tier_limit(api_method)
        if limit is not None:
            wait = self.buckets.take(api_method, limit, self.max_wait)
            if wait is None:
                raise Paced(api_method, self.buckets.wait(api_method) or 1 / limit.rate)
            if wait:
                time.sleep(wait)
        try:
            return super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            if exc.response.status_code == 429:
                seconds = retry_after(exc)
                self.buckets.pause(api_method, seconds)
                if channel:
                    self.buckets.pause(f"{POST}:{channel}", seconds)
            raise


def retry_after(exc: SlackApiError) -> float:
    headers = exc.response.headers or {}
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(1.0, float(value)) if value else 30.0
    except ValueError:
        return 30.0


def _channel(kwargs: dict[str, Any]) -> str | None:
    for part in ("json", "data", "params"):
        body = kwargs.get(part)
        if isinstance(body, dict) and body.get("channel"):
            return str(body["channel"])
    return None
