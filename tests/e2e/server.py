"""A real `exitbot serve` process for end-to-end tests: started, health-checked, killed."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.e2e.cli import EXITBOT, environment
from tests.standins.slack import wait_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(kw_only=True)
class ServeProcess:
    database_url: str
    log: Path
    port: int = field(default_factory=free_port)
    start_seconds: float = 30.0
    process: subprocess.Popen[bytes] | None = None
    # Each thread's client (see `http`), and all of them, to close.
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _clients: list[httpx.Client] = field(default_factory=list, repr=False)

    def settings(self) -> dict[str, str]:
        """The platform's settings; subclasses say which."""
        return {}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        return [EXITBOT, "serve"]

    def start(self) -> None:
        self.spawn()
        self.wait_healthy()

    @property
    def http(self) -> httpx.Client:
        """One client per thread for every request to this server: a new one per request
        builds an SSL context each time, which costs the load generator more than the bot
        its answer; one shared by a hundred employees' threads once failed a request with
        EBADF on the client's side (a socket closed under it by another thread)."""
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            # Plain HTTP on loopback: no certificates to load (20 ms a client, against 0.7).
            client = self._local.client = httpx.Client(timeout=15, verify=False)
            self._clients.append(client)
        return client

    def spawn(self) -> None:
        env = environment(
            DATABASE_URL=self.database_url,
            EXITBOT_PORT=str(self.port),
            EXITBOT_SWEEP_SECONDS="1",
            **self.settings(),
        )
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.argv(), env=env, stdout=log, stderr=log)

    def wait_healthy(self) -> None:
        def healthy() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"exitbot serve exited:\n{self.log.read_text()[-3000:]}")
            try:
                return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, timeout=self.start_seconds, what="exitbot serve to start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._close_http()

    def _close_http(self) -> None:
        while self._clients:
            self._clients.pop().close()
        self._local = threading.local()

    def stop(self) -> None:
        self._close_http()
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
