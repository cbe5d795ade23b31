"""A loopback stand-in for Slack: the Web API (the SDK is pointed at it through its base
URL), response_url hooks, and helpers that sign requests exactly as Slack signs them."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import math
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.standins.http import Loopback, Quiet, reply_json

BOT_USER = "UBOT"
SECRET = "test-signing-secret"

Json = dict[str, Any]


@dataclass
class Failure:
    status: int
    body: Json
    headers: dict[str, str] = field(default_factory=dict)


# Slack's published floors per method, per app, per workspace, a minute
# (https://docs.slack.dev/apis/web-api/rate-limits): Tier 2 20+, Tier 3 50+, Tier 4 100+,
# "bursts welcome". The stand-in grants exactly the floor, a minute's worth at once at most,
# and answers 429 with Retry-After beyond it, as Slack does.
TIER_FLOORS = {
    "users.list": 20,
    "users.lookupByEmail": 50,
    "conversations.open": 50,
    "chat.update": 50,
    "users.info": 100,
}


@dataclass
class Bucket:
    rate: float  # a second
    burst: float
    tokens: float | None = None  # full until first used
    at: float = 0.0

    def take(self, now: float) -> float:
        """0 when a call may go now (and takes it), else seconds until one may."""
        if self.tokens is None:
            self.tokens, self.at = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class SlackStandIn(Loopback):
    users: dict[str, Json] = field(default_factory=dict)
    calls: list[tuple[str, Json]] = field(default_factory=list)  # answered
    refused: list[tuple[str, Json]] = field(default_factory=list)  # answered with a failure
    hooks: list[Json] = field(default_factory=list)
    hooks_by_url: dict[str, list[Json]] = field(default_factory=dict)
    uploads: list[bytes] = field(default_factory=list)
    # method -> failures to answer with, first one first
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    unreachable: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _post_counts: dict[str, int] = field(default_factory=dict)
    # chat.postMessage: Slack keeps a workspace-wide limit it does not publish, and about one
    # message a second per channel with short bursts. Off unless a test or bench sets them
    # (tests answer faster than any person, so a per-channel limit would only slow them).
    post_rate: float | None = None
    channel_rate: tuple[float, float] | None = None  # (a second, burst)
    tiers: bool = True
    throttled: list[str] = field(default_factory=list)  # methods answered with 429
    _buckets: dict[str, Bucket] = field(default_factory=dict)
    # The bot token the app was installed with. Slack answers a Web API call without a
    # token `not_authed` and one with another (revoked, mistyped) `invalid_auth`, both with
    # HTTP 200 and ok: false (api.slack.com/web, "Evaluating responses").
    token: str = "xoxb-test"
    # Connections opened to it. slack.com speaks HTTP/1.1 and keeps a connection open for
    # the next call (as any HTTP/1.1 server does unless it says `Connection: close`).
    connections: int = 0
    _open: list[socket.socket] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Who waits for a post to a channel, by channel, all on the one lock: a post wakes
        # only those waiting for its channel (one condition for all woke every waiting
        # employee at every post, a hundred threads at 100 employees, each on the bench's CPU).
        self._posted: dict[str, threading.Condition] = {}

    def start(self) -> None:
        standin = self

        class Handler(Quiet):
            protocol_version = "HTTP/1.1"
            # An answer's headers and body go out in two writes: with Nagle's algorithm the
            # second waits for the client's delayed ACK of the first (40 ms and more) on a
            # connection kept open, a delay no real server adds.
            disable_nagle_algorithm = True

            def setup(self) -> None:
                super().setup()
                with standin._lock:
                    standin.connections += 1
                    standin._open.append(self.connection)

            def do_GET(self) -> None:
                self._answer(urllib.parse.urlparse(self.path), b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path.startswith("/upload/"):
                    with standin._lock:
                        standin.uploads.append(raw)
                    reply_json(self, 200, "OK")
                    return
                self._answer(urllib.parse.urlparse(self.path), raw)

            def _answer(self, url: urllib.parse.ParseResult, raw: bytes) -> None:
                params: Json = dict(urllib.parse.parse_qsl(url.query))
                if raw:
                    if (self.headers.get("Content-Type") or "").startswith("application/json"):
                        params.update(json.loads(raw))
                    else:
                        params.update(urllib.parse.parse_qsl(raw.decode()))
                bearer = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                token = bearer or str(params.get("token") or "")
                if url.path.startswith("/api/") and token != standin.token:
                    error = "invalid_auth" if token else "not_authed"
                    reply_json(self, 200, {"ok": False, "error": error})
                    return
                status, body, headers = standin.handle(url.path, params)
                reply_json(self, status, body, headers)

        self.serve(Handler)

    def drop_connections(self) -> None:
        """Close every open connection, as a server does with idle ones when it pleases."""
        with self._lock:
            dropping, self._open = self._open, []
        for connection in dropping:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def handle(self, path: str, params: Json) -> tuple[int, Json, dict[str, str]]:
        if path.startswith("/hooks/"):
            # A slash command's response_url takes five messages within 30 minutes (Slack's
            # docs); what a sixth gets is not documented: refused here.
            with self._lock:
                posted = self.hooks_by_url.setdefault(path, [])
                if len(posted) >= 5:
                    return 404, {"ok": False, "error": "used_url"}, {}
                posted.append(params)
                self.hooks.append(params)
            return 200, {"ok": True}, {}
        method = path.removeprefix("/api/")
        if method == "chat.postMessage" and str(params.get("channel", "")).startswith("U"):
            # Slack posts to a user id in the bot's DM with them (the Messages tab of its App
            # Home) and answers with that DM's id. For a deactivated person what it answers is
            # not documented: channel_not_found here, and ExitBot asks conversations.open,
            # whose errors are documented.
            user = str(params["channel"])
            if user in self.unreachable:
                return 200, {"ok": False, "error": "channel_not_found"}, {}
            params = params | {"channel": f"D{user}"}
        with self._lock:
            wait = self._limited(method, params)
            if wait:
                self.throttled.append(method)
                headers = {"Retry-After": str(max(1, math.ceil(wait)))}
                return 429, {"ok": False, "error": "ratelimited"}, headers
            queued = self.failures.get(method)
            if queued:
                failure = queued.pop(0)
                self.refused.append((method, params))
                return failure.status, failure.body, failure.headers
            self.calls.append((method, params))
            if method == "chat.postMessage":
                channel = str(params.get("channel"))
                self._post_counts[channel] = self._post_counts.get(channel, 0) + 1
                if (waiting := self._posted.get(channel)) is not None:
                    waiting.notify_all()
        return 200, self._api(method, params), {}

    def _limited(self, method: str, params: Json) -> float:
        """Seconds to wait when this call is over a limit (nothing is taken then), else 0."""
        now = time.monotonic()
        buckets: list[Bucket] = []
        if self.tiers and method in TIER_FLOORS:
            floor = TIER_FLOORS[method]
            buckets.append(self._bucket(method, floor / 60, floor))
        if method == "chat.postMessage" and self.post_rate:
            buckets.append(self._bucket(method, self.post_rate, self.post_rate))
        if method == "chat.postMessage" and self.channel_rate:
            rate, burst = self.channel_rate
            buckets.append(self._bucket(f"{method}:{params.get('channel')}", rate, burst))
        for n, bucket in enumerate(buckets):
            wait = bucket.take(now)
            if wait:
                for taken in buckets[:n]:  # give back what the earlier buckets granted
                    taken.tokens = (taken.tokens or 0.0) + 1
                return wait
        return 0.0

    def _bucket(self, key: str, rate: float, burst: float) -> Bucket:
        return self._buckets.setdefault(key, Bucket(rate, burst))

    def post_count(self, channel: str) -> int:
        with self._lock:
            return self._post_counts.get(channel, 0)

    def wait_for_post(self, channel: str, more_than: int, timeout: float = 30.0) -> bool:
        """Block until `channel` has more than `more_than` posts (no polling)."""
        with self._lock:
            posted = self._posted.get(channel)
            if posted is None:
                posted = self._posted[channel] = threading.Condition(self._lock)
            return posted.wait_for(lambda: self._post_counts.get(channel, 0) > more_than, timeout)

    def _api(self, method: str, params: Json) -> Json:
        if method == "auth.test":
            return {
                "ok": True,
                "user_id": BOT_USER,
                "bot_id": "BBOT",
                "team_id": "T1",
                "team": "Acme",
                "user": "exitbot",
                "url": "https://acme.slack.com/",
            }
        if method == "conversations.open":
            user = str(params.get("users"))
            if user in self.unreachable:
                return {"ok": False, "error": "account_inactive"}
            return {"ok": True, "channel": {"id": f"D{user}"}}
        if method in ("chat.postMessage", "chat.update"):
            return {"ok": True, "channel": params.get("channel"), "ts": f"{next(self._ts)}.000100"}
        if method == "files.getUploadURLExternal":
            return {"ok": True, "upload_url": f"{self.base}/upload/F1", "file_id": "F1"}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": "F1", "title": "chart"}]}
        if method == "users.info":
            user = self.users.get(str(params.get("user")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": _localised(user, params)}
        if method == "users.list":
            everyone = [_localised(u, params) for u in self.users.values()]
            start = int(params.get("cursor") or 0)
            limit = min(int(params.get("limit") or 200), 1000)
            end = start + limit
            more = {"next_cursor": str(end) if end < len(everyone) else ""}
            return {"ok": True, "members": everyone[start:end], "response_metadata": more}
        if method == "users.lookupByEmail":
            found = [
                u for u in self.users.values() if u["profile"].get("email") == params.get("email")
            ]
            # users.lookupByEmail takes no include_locale: never a locale (Slack's reference).
            return (
                {"ok": True, "user": _localised(found[0], {})}
                if found
                else {"ok": False, "error": "users_not_found"}
            )
        return {"ok": False, "error": "unknown_method"}

    # -- what the bot did ---------------------------------------------------------------------
    def posts(self, channel: str | None = None) -> list[Json]:
        with self._lock:
            return [
                p
                for m, p in self.calls
                if m == "chat.postMessage" and channel in (None, p.get("channel"))
            ]

    def updates(self) -> list[Json]:
        with self._lock:
            return [p for m, p in self.calls if m == "chat.update"]

    def waiting_for(self, user: str) -> str | None:
        """The question id of the last message to this person, if it was a question."""
        posts = self.posts(f"D{user}")
        if not posts:
            return None
        for block in _blocks(posts[-1]):
            if str(block.get("block_id", "")).startswith("exitbot_q_"):
                return str(block["block_id"]).removeprefix("exitbot_q_")
        return None

    def buttons(self, user: str) -> list[Json]:
        posts = self.posts(f"D{user}")
        return [e for b in _blocks(posts[-1]) if b.get("type") == "actions" for e in b["elements"]]


def _localised(user: Json, params: Json) -> Json:
    """A user as Slack returns them: `locale` ("es-ES") only when the call asked for it with
    include_locale=true (users.info and users.list take it; it defaults to false)."""
    if str(params.get("include_locale")).casefold() in ("true", "1"):
        return user
    return {k: v for k, v in user.items() if k != "locale"}


def _blocks(post: Json) -> list[Json]:
    blocks = post.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def person(user_id: str, name: str, tz: str = "Europe/London", **extra: Any) -> Json:
    email = f"{name.split()[0].lower()}@acme.test"
    return {
        "id": user_id,
        "name": name.split()[0].lower(),
        "real_name": name,
        "tz": tz,
        "deleted": False,
        "is_bot": False,
        "profile": {"real_name": name, "email": email},
        **extra,
    }


def wait_for(check: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


# -- requests as Slack sends them -------------------------------------------------------------
def sign(body: str, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def event_body(event: Json, event_id: str) -> str:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": "T1", "user_id": BOT_USER, "is_bot": True}],
        }
    )


_message_ts = itertools.count(1)
_triggers = itertools.count(1)


def trigger_id() -> str:
    """Slack gives every command and click a trigger id of its own."""
    return f"{int(time.time())}.{next(_triggers)}.abc"


def dm(user: str, text: str, **extra: Any) -> Json:
    ts = f"{int(time.time())}.{next(_message_ts):06d}"
    return {
        "type": "message",
        "channel": f"D{user}",
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        **extra,
    }


def command_body(user: str, text: str, response_url: str) -> str:
    return urllib.parse.urlencode(
        {
            "token": "legacy",
            "team_id": "T1",
            "team_domain": "acme",
            "channel_id": "CHRROOM",
            "channel_name": "hr",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/exitbot",
            "text": text,
            "api_app_id": "A1",
            "response_url": response_url,
            "trigger_id": trigger_id(),
        }
    )


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def action_body(user: str, button: Json, post: Json, message_ts: str, response_url: str) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": "T1"},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": trigger_id(),
        "response_url": response_url,
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": f"D{user}",
            "is_ephemeral": False,
        },
        "channel": {"id": f"D{user}", "name": "directmessage"},
        "message": {
            "type": "message",
            "ts": message_ts,
            "text": post.get("text"),
            "blocks": _blocks(post),
        },
        "actions": [
            {
                **button,
                # Slack sends a button's text back HTML-escaped (&amp;, &lt;, &gt;).
                "text": {**button["text"], "text": _escaped(button["text"]["text"])},
                "block_id": "exitbot_choices",
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})
