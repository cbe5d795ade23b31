"""What every loopback stand-in shares: a threaded HTTP server on a free port, and JSON
replies."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def reply_json(
    handler: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    payload = json.dumps(body).encode()
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up waiting, as it may


class Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class JsonApi(Quiet):
    """A JSON API: each request's body read whole, the bearer token checked where the API
    wants one (401 with the error code `refused` otherwise), then `answer` says what to
    reply."""

    refused = "Unauthorized"

    def token(self) -> str | None:
        return None

    def answer(self, verb: str, raw: bytes) -> tuple[int, Any]:
        raise NotImplementedError

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def _serve(self, verb: str) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        wanted = self.token()
        if wanted and self.headers.get("Authorization") != f"Bearer {wanted}":
            reply_json(self, 401, {"error": {"code": self.refused}})
            return
        reply_json(self, *self.answer(verb, raw))


class _Server(ThreadingHTTPServer):
    # http.server queues only 5 pending connections by default: at 100 clients the rest are
    # reset, which a real API would not do.
    request_queue_size = 1024
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that closes a connection it kept open (a process that exits) is no error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Loopback:
    """Serves `handler` on 127.0.0.1 at a free port, in a background thread."""

    server: ThreadingHTTPServer

    def serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = _Server(("127.0.0.1", 0), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"
