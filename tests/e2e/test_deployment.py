"""The Dockerfile and compose.yaml, checked with what runs on a machine without a container
runtime: every command they run is one `exitbot` accepts, the health check asks a route
serve answers, the image copies every package the wheel needs, and the database URL the
replicas get is one the settings accept. (CI installs requirements.lock, as the image does.)"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import yaml

from bot.settings import Settings
from tests.e2e.cli import EXITBOT, environment

ROOT = Path(__file__).parents[2]


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "compose.yaml").read_text()))


def test_every_command_the_deployment_runs_is_one_exitbot_takes() -> None:
    services = compose()["services"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    [cmd] = re.findall(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    commands = [json.loads(cmd)] + [
        s["command"] for s in services.values() if s.get("image") == "exitbot:local"
    ]
    assert ["exitbot", "migrate"] in commands and ["exitbot", "serve", "--no-migrate"] in commands
    for command in commands:
        assert command[0] == "exitbot"
        result = subprocess.run(
            [EXITBOT, *command[1:], "--help"], capture_output=True, text=True, env=environment()
        )
        assert result.returncode == 0, (command, result.stderr)


def test_the_replicas_start_after_the_migrate_job_and_share_redis() -> None:
    services = compose()["services"]
    replicas = services["exitbot"]
    assert replicas["deploy"]["replicas"] == 2
    assert replicas["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert replicas["environment"]["EXITBOT_REDIS_URL"].startswith("redis://redis:")
    url = replicas["environment"]["DATABASE_URL"].replace("${POSTGRES_PASSWORD}", "secret")
    assert (
        services["migrate"]["environment"]["DATABASE_URL"]
        == replicas["environment"]["DATABASE_URL"]
    )
    assert Settings(DATABASE_URL=url).database_url == url  # type: ignore[call-arg]


def test_the_image_copies_every_package_and_checks_readiness() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]["find"]["include"]
    for package in packages:
        folder = package.rstrip("*")
        assert f"COPY {folder} {folder}" in dockerfile
    assert "/readyz" in dockerfile and "USER 10001" in dockerfile
    assert "COPY requirements.lock" in dockerfile
