"""The optional parts of an install (`pip install 'exitbot[slack,teams,llm,charts]'`, or
`[all]`): a base install runs the demo, the HR API and the shell; each platform, the model
and the digest's chart need their extra. Asking for a part that is not installed is one
line saying which extra to install, never an ImportError later."""

from __future__ import annotations

from importlib.util import find_spec

from bot.settings import SettingsError

# Each extra, and a module that is there when it is installed.
EXTRAS = {
    "slack": "slack_bolt",
    "teams": "microsoft_agents.hosting.fastapi",
    "llm": "openai",
    "charts": "matplotlib",
}


def installed(extra: str) -> bool:
    try:
        return find_spec(EXTRAS[extra]) is not None
    except ModuleNotFoundError:  # a parent package of the module is missing
        return False


def require(extra: str, because: str) -> None:
    """Raise SettingsError (one line, exit code 2) unless `extra` is installed; `because`
    names the setting or command that needs it."""
    if not installed(extra):
        raise SettingsError(
            f"{because} needs ExitBot's {extra} extra: pip install 'exitbot[{extra}]'"
        )
