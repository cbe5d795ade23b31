"""`exitbot teams-package`: the Teams app package (manifest.json and icons) as a zip an admin
uploads, with the bot's app id filled in."""

from __future__ import annotations

import json
import zipfile
from importlib import resources
from importlib.metadata import version
from pathlib import Path

from adapters.teams.cards import clip
from bot.settings import Settings, SettingsError
from bot.teams import registered_app_id
from core.hr import COMMANDS

URLS = {
    "teams_website_url": "EXITBOT_TEAMS_WEBSITE_URL",
    "teams_privacy_url": "EXITBOT_TEAMS_PRIVACY_URL",
    "teams_terms_url": "EXITBOT_TEAMS_TERMS_URL",
}


def build_package(settings: Settings, output: Path) -> Path:
    app_id = registered_app_id(settings)
    for name, url in URLS.items():
        if not getattr(settings, name).startswith("https://"):
            raise SettingsError(f"{url}: Teams needs an https:// address")
    files = resources.files("adapters.teams") / "package"
    filled = {
        "{{MICROSOFT_APP_ID}}": app_id,
        # Teams asks for a newer version to update an uploaded app: ExitBot's own.
        "{{VERSION}}": version("exitbot"),
        "{{WEBSITE_URL}}": settings.teams_website_url,
        "{{PRIVACY_URL}}": settings.teams_privacy_url,
        "{{TERMS_URL}}": settings.teams_terms_url,
    }
    text = (files / "manifest.json").read_text(encoding="utf-8")
    for slot, value in filled.items():
        text = text.replace(slot, value)
    manifest = json.loads(text)
    # Every HR command, as help lists it (Teams shows up to 10 in a list).
    manifest["bots"][0]["commandLists"][0]["commands"] = [
        {
            "title": verb.name,
            "description": clip(f"{verb.name} {verb.usage}".strip() + f": {verb.help} (HR)", 128),
        }
        for verb in list(COMMANDS)[:10]
    ]
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest, indent=2))
        for icon in ("color.png", "outline.png"):
            package.writestr(icon, (files / icon).read_bytes())
    return output
