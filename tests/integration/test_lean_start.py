"""What a plain start loads: the chart library, the model client and the Bot Framework stack
are most of an idle `exitbot serve`'s memory, and only load when they are used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("matplotlib", "openai", "microsoft_agents")
LOADED = """
import sys
from bot.container import build_app
from bot.serve import PLATFORMS
from bot.settings import Settings
settings = Settings(DATABASE_URL="sqlite:///{db}", **{extra})
app = build_app(settings)
platforms = [build(settings, app) for build in PLATFORMS]
print(",".join(sorted(m for m in {heavy} if m in sys.modules)))
app.close()
"""


def loaded(tmp_path: Path, **extra: str) -> str:
    from bot.migrate import upgrade

    upgrade(f"sqlite:///{tmp_path / 'x.db'}")
    code = LOADED.format(db=tmp_path / "x.db", extra=extra, heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip()


def test_a_plain_start_loads_nothing_heavy(tmp_path: Path) -> None:
    assert loaded(tmp_path) == ""


def test_teams_and_a_model_load_their_libraries_when_configured(tmp_path: Path) -> None:
    assert (
        loaded(tmp_path, EXITBOT_TEAMS_DEV="1", OPENAI_API_KEY="sk-x") == "microsoft_agents,openai"
    )
