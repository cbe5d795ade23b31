"""`exitbot teams-package`: the Teams app package (manifest.json and icons) as a zip an admin
uploads, with the bot's app id filled in."""

from __future__ import annotations

import json
import re
import zipfile
from importlib import resources
from pathlib import Path

from bot.settings import SettingsError

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def build_package(app_id: str | None, output: Path) -> Path:
    if not app_id or not GUID.match(app_id):
        raise SettingsError("MICROSOFT_APP_ID: the Azure bot's application id (a GUID) is needed")
    files = resources.files("adapters.teams") / "package"
    manifest = json.loads(
        (files / "manifest.json")
        .read_text(encoding="utf-8")
        .replace("{{MICROSOFT_APP_ID}}", app_id)
    )
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest, indent=2))
        for icon in ("color.png", "outline.png"):
            package.writestr(icon, (files / icon).read_bytes())
    return output
