"""A Slack Web API client that keeps its connections open between calls.

slack_sdk's sync WebClient sends each call through urllib's `urlopen`, which opens a new
connection and closes it after one response (`Connection: close`): against slack.com every
message paid a TCP and a TLS handshake, a few round trips of waiting and most of the
client's CPU per call. Here each thread keeps one HTTP/1.1 connection per host and sends
its calls down it; slack_sdk still builds the request, parses the answer and runs its
retry handlers (this replaces only the method that moves bytes, with the same contract:
the response as a dict, or urllib's HTTPError for a status of 400 or more).
"""

from __future__ import annotations

import http.client
import io
import threading
import urllib.parse
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.request import Request

from slack_sdk import WebClient

# What a connection that sat idle says when the server had closed it meanwhile: the
# request never reached anyone, so it is sent once more on a new connection.
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
# A connection is kept per (scheme, host:port).
Host = tuple[str, str]


class KeepAliveClient(WebClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connections = threading.local()

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if self.proxy is not None or not url.lower().startswith("http"):
            return super()._perform_urllib_http_request_internal(url, req)
        parts = urllib.parse.urlsplit(url)
        host = (parts.scheme, parts.netloc)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        body = req.data if isinstance(req.data, bytes) else None
        for attempt in (1, 2):
            connection, reused = self._connection(host)
            try:
                connection.request("POST", target, body=body, headers=dict(req.header_items()))
            except OSError as exc:
                self._drop(host)
                if reused and attempt == 1 and isinstance(exc, STALE):
                    continue
                raise URLError(exc) from exc  # as urlopen says it: the retry handlers know it
            try:
                response = connection.getresponse()
                raw = response.read()
            except STALE:
                self._drop(host)
                if reused and attempt == 1:
                    continue
                raise
            except BaseException:
                self._drop(host)
                raise
            if response.will_close:
                self._drop(host)
            if response.status >= 400:
                raise HTTPError(
                    url, response.status, response.reason, response.headers, io.BytesIO(raw)
                )
            if response.headers.get_content_type() == "application/gzip":
                return {"status": response.status, "headers": response.headers, "body": raw}
            charset = response.headers.get_content_charset() or "utf-8"
            return {
                "status": response.status,
                "headers": response.headers,
                "body": raw.decode(charset),
            }
        raise AssertionError("unreachable")

    def _connection(self, host: Host) -> tuple[http.client.HTTPConnection, bool]:
        """This thread's open connection to that host (and whether it was used before)."""
        held = self._held()
        connection = held.get(host)
        if connection is not None:
            return connection, True
        scheme, netloc = host
        if scheme == "https":
            connection = http.client.HTTPSConnection(netloc, timeout=self.timeout, context=self.ssl)
        else:
            connection = http.client.HTTPConnection(netloc, timeout=self.timeout)
        held[host] = connection
        return connection, False

    def _drop(self, host: Host) -> None:
        connection = self._held().pop(host, None)
        if connection is not None:
            connection.close()

    def _held(self) -> dict[Host, http.client.HTTPConnection]:
        held = getattr(self._connections, "held", None)
        if held is None:
            held = self._connections.held = {}
        return held
