"""Running the installed `exitbot` command as a user would, with only the settings a test gives."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXITBOT = str(Path(sys.executable).parent / "exitbot")
OURS = ("EXITBOT_", "SLACK_", "OPENAI_", "MICROSOFT_", "DATABASE_URL")


def environment(**settings: str) -> dict[str, str]:
    """This machine's environment without any ExitBot setting, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env.update(settings)
    return env


def exitbot(
    *args: str, cwd: Path, stdin: str = "", timeout: float = 120, **settings: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EXITBOT, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment(**settings),
        timeout=timeout,
    )
