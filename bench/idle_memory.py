"""What an idle `exitbot serve` holds in memory (resident set size), as an operator sees it:
started with Slack (a loopback stand-in), on SQLite, without and with Teams and a model
configured, read 10 s after it answers /healthz. Prints a table; not a test.

    python -m bench.idle_memory
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.test_slack import Server
from tests.standins.slack import SlackStandIn


@dataclass(kw_only=True)
class Configured(Server):
    extra: dict[str, str]

    def settings(self) -> dict[str, str]:
        return super().settings() | self.extra


def resident_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def main() -> None:
    setups = {
        "Slack only": {},
        "Slack + Teams + model": {
            "EXITBOT_TEAMS_DEV": "1",
            "OPENAI_API_KEY": "sk-idle",
            "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        },
    }
    print(f"{'configuration':<24} {'idle RSS MB':>11}")
    for name, extra in setups.items():
        slack = SlackStandIn()
        slack.start()
        with tempfile.TemporaryDirectory() as folder:
            server = Configured(
                slack=slack,
                database_url=f"sqlite:///{folder}/idle.db",
                log=Path(folder) / "serve.log",
                extra=extra,
            )
            try:
                server.start()
                time.sleep(10)
                assert server.process is not None
                print(f"{name:<24} {resident_mb(server.process.pid):>11.0f}", flush=True)
            finally:
                server.stop()
                slack.stop()


if __name__ == "__main__":
    main()
