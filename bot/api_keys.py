"""`exitbot api-key create|list|revoke`: keys for HR systems to call the REST API with. A
new key is printed once, as the last word of standard output; only its digest is kept."""

from __future__ import annotations

import secrets
import sys

from bot.container import build_app
from bot.migrate import upgrade_with
from bot.settings import Settings
from bot.shell import actor
from core.api_keys import KEY_START, parse_scopes


def new_key() -> str:
    return f"{KEY_START}{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"


def run_api_key(settings: Settings, action: str, name: str | None, scopes: str | None) -> int:
    upgrade_with(settings)
    app = build_app(settings)
    try:
        if action == "create":
            assert name is not None and scopes is not None  # the parser requires them
            key = new_key()
            made = app.api.add_key(name, parse_scopes(scopes), key, by=actor())
            print(
                f"Made the API key {made.name} ({', '.join(sorted(made.scopes))}). It is shown "
                "only now: keep it in your HR system's secret store.",
                file=sys.stderr,
            )
            print(key)
        elif action == "list":
            keys = app.api.keys()
            for k in keys:
                state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
                print(
                    f"{k.name}\t{KEY_START}{k.prefix}_…\t{','.join(sorted(k.scopes))}\t"
                    f"made {k.created_at:%Y-%m-%d}\t{state}"
                )
            if not keys:
                print("No API keys yet: `exitbot api-key create --name NAME --scope SCOPE`.")
        else:
            assert name is not None
            revoked = app.api.revoke(name, by=actor())
            print(f"Revoked the API key {revoked.name}: it opens nothing from now on.")
    finally:
        app.close()
    return 0
