"""The contract every chat platform meets. A platform's adapters provide the pieces (its
HTTP route, its ChatPort, its Directory, the translation of what it sends into core events);
its builder in bot/ puts them together from the settings, or returns None when the platform
is not configured; `App.register` plugs each one in. Adding a platform is writing one
builder (a `PlatformBuilder`) and adding it to `PLATFORMS` in bot/serve.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi import Request, Response

from core.intake import Handler
from core.ports import ChatPort, Directory

if TYPE_CHECKING:
    from bot.container import App
    from bot.settings import Settings

Route = Callable[[Request], Awaitable[Response]]


@dataclass
class Platform:
    name: str
    # How ExitBot sends there (questions, HR summaries, digests).
    chat: ChatPort
    # How HR commands find people there; None when it is looked up per request instead.
    directory: Directory | None = None
    # How HR type a command there, when not just the words: Slack's "/exitbot ".
    invocation: str = ""
    # What it serves over HTTP: POST path -> endpoint.
    routes: dict[str, Route] = field(default_factory=dict)
    # Handles a stored inbound request (the inbox) through the platform's own SDK.
    replay: Handler | None = None
    # A connection it keeps open itself (Slack's Socket Mode): opened once the worker runs.
    connect: Callable[[], None] | None = None
    disconnect: Callable[[], None] | None = None
    # Whether that connection is up now (readiness).
    connected: Callable[[], bool] | None = None


# Builds a platform from the settings, or None when it is not configured.
PlatformBuilder = Callable[["Settings", "App"], Platform | None]
