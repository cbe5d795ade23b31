"""Socket Mode the way POST /slack/events does it: name the request, store it (or handle an
answer at once, as the route does), then acknowledge it; the inbox workers handle what was
stored. When it can be neither stored nor handled an event is left unacknowledged (Slack
sends it again), a command is answered "having trouble", and a clicker is told the same
through the click's response_url."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from adapters.slack import PLATFORM
from adapters.slack.app import SOCKET_MODE
from adapters.slack.inbound import Refused, SlackRequest, classify_socket, when_unstored
from adapters.slack.route import tell
from core.intake import Intake
from core.ports import Failures

log = logging.getLogger(__name__)


class StoringSocketModeHandler(SocketModeHandler):
    def __init__(
        self,
        app: App,
        app_token: str,
        intake: Intake,
        failures: Failures,
        at_once: Callable[[SlackRequest], Callable[[], bool] | None] = lambda incoming: None,
    ) -> None:
        super().__init__(app, app_token)
        self.intake = intake
        self.failures = failures
        self.at_once = at_once

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        try:
            incoming = classify_socket(req.type, req.payload or {})
        except Refused as refused:
            log.warning("dropping a Socket Mode request: %s", refused)
            self._ack(client, req)
            return
        if incoming.event_id is None:
            super().handle(client, req)  # nothing to keep: bolt answers it now
            return
        try:
            self.intake.receive(
                PLATFORM,
                incoming.event_id,
                incoming.sender,
                SOCKET_MODE + req.type,
                incoming.body,
                self.at_once(incoming),
            )
        except Exception as exc:  # the database is out: this request is not ours yet
            self.failures.failed(exc)
            unstored = when_unstored(incoming)
            if unstored.retry:
                return  # no acknowledgement: Slack sends it again
            if unstored.hook:
                tell(unstored.hook)
            self._ack(client, req, {"text": unstored.reply} if unstored.reply else None)
            return
        self.failures.ok()
        self._ack(client, req)

    @staticmethod
    def _ack(
        client: SocketModeClient, req: SocketModeRequest, payload: dict[str, str] | None = None
    ) -> None:
        client.send_socket_mode_response(
            SocketModeResponse(envelope_id=req.envelope_id, payload=payload)
        )
