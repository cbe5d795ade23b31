"""Loaded by Python at start when this folder is on PYTHONPATH: the packages of ExitBot's
extras cannot be imported, as after a base install (`pip install exitbot`)."""

import sys
from importlib.abc import MetaPathFinder

MISSING = (
    "slack_bolt",
    "slack_sdk",
    "microsoft_agents",
    "msal",
    "openai",
    "matplotlib",
    "httpx",
    "requests",
)


class Missing(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):  # type: ignore[no-untyped-def]
        if name.split(".")[0] in MISSING:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Missing())
