"""The Slack manifest asks for no more than ExitBot needs and points at `exitbot serve`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MANIFEST: dict[str, Any] = yaml.safe_load((Path(__file__).parents[2] / "manifest.yml").read_text())


def test_least_privilege_bot_scopes() -> None:
    # files:write only for the digest's chart.
    assert sorted(MANIFEST["oauth_config"]["scopes"]["bot"]) == sorted(
        [
            "chat:write",
            "files:write",
            "im:write",
            "im:history",
            "commands",
            "users:read",
            "users:read.email",
        ]
    )
    assert "user" not in MANIFEST["oauth_config"]["scopes"]


def test_events_commands_and_interactivity_reach_one_endpoint() -> None:
    settings = MANIFEST["settings"]
    [command] = MANIFEST["features"]["slash_commands"]
    assert command["command"] == "/exitbot" and command["should_escape"] is True
    urls = {
        command["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    }
    assert len(urls) == 1 and urls.pop().endswith("/slack/events")
    assert settings["event_subscriptions"]["bot_events"] == ["message.im"]
    assert settings["interactivity"]["is_enabled"] is True
