"""A base install, without the slack, teams, llm and charts extras: the demo, the HR API and
the shell work; asking for a part that is not installed is one line naming the extra.
(`.ci/run` also installs the base package alone in a fresh venv and runs the demo.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from tests.e2e.cli import EXITBOT, environment
from tests.e2e.script import ANSWERS
from tests.e2e.server import free_port
from tests.standins.slack import wait_for

WITHOUT_EXTRAS = str(Path(__file__).parent / "without_extras")


def base_install(**settings: str) -> dict[str, str]:
    return environment(PYTHONPATH=WITHOUT_EXTRAS, **settings)


def test_the_demo_runs_without_any_extra(tmp_path: Path) -> None:
    result = subprocess.run(
        [EXITBOT, "demo"],
        input="\n".join(ANSWERS.values()) + "\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=base_install(),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "That's everything. Thank you, Alex." in result.stdout
    assert "Primary reason: Career growth" in result.stdout


def test_the_blocker_is_real(tmp_path: Path) -> None:
    import_slack = [EXITBOT.replace("exitbot", "python"), "-c", "import slack_sdk"]
    result = subprocess.run(import_slack, capture_output=True, text=True, env=base_install())
    assert result.returncode == 1 and "No module named 'slack_sdk'" in result.stderr


def test_serve_without_extras_serves_the_hr_api(tmp_path: Path) -> None:
    port = free_port()
    url = f"sqlite:///{tmp_path / 'base.db'}"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [EXITBOT, "serve", "--no-platform"],
            env=base_install(DATABASE_URL=url, EXITBOT_PORT=str(port)),
            stdout=out,
            stderr=out,
        )
    try:

        def up() -> bool:
            assert process.poll() is None, log.read_text()
            try:
                return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, timeout=30, what="serve to be ready")
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/interviews").status_code == 401
        assert httpx.get(f"http://127.0.0.1:{port}/metrics").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_part_that_is_not_installed_is_one_line_naming_its_extra(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'base.db'}"
    cases = [
        (["serve"], {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, "slack"),
        (["serve"], {"EXITBOT_TEAMS_DEV": "1"}, "teams"),
        (["serve", "--no-platform"], {"OPENAI_API_KEY": "sk-1"}, "llm"),
        (["teams-package", "-o", str(tmp_path / "app.zip")], {"MICROSOFT_APP_ID": "x"}, "teams"),
    ]
    for args, settings, extra in cases:
        result = subprocess.run(
            [EXITBOT, *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=base_install(DATABASE_URL=url, EXITBOT_PORT=str(free_port()), **settings),
            timeout=60,
        )
        assert result.returncode == 2, (args, settings, result.stderr)
        [line] = result.stderr.strip().splitlines()[-1:]
        assert f"pip install 'exitbot[{extra}]'" in line, result.stderr
        assert "Traceback" not in result.stderr


def test_the_lock_pins_every_dependency_within_its_range() -> None:
    """requirements.lock (pip-compile --extra all) is what the container installs: each of
    pyproject's requirements, base and extras, is pinned there at a version it allows."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    root = Path(__file__).parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in ("slack", "teams", "llm", "charts"):
        wanted += project["optional-dependencies"][extra]
    pinned = {}
    for line in (root / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith(("#", " ")):
            # A pin may carry an environment marker: "uvloop==0.23.0 ; sys_platform ..."
            locked = Requirement(line)
            [pin] = locked.specifier
            pinned[canonicalize_name(locked.name)] = pin.version
    for text in wanted:
        requirement = Requirement(text)
        version = pinned.get(canonicalize_name(requirement.name))
        assert version is not None, f"{requirement.name} is not in requirements.lock"
        assert requirement.specifier.contains(version), f"{requirement} but the lock has {version}"
