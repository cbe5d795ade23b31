"""`POST /slack/events`: verify, store, acknowledge. Bolt never parses what was not verified,
and Slack hears 200 only once the request is in the inbox, or handled: a person's answer is
handled as it arrives when it can be (its change and its record as handled commit together,
before the 200), and stored only when it must wait its turn. When it can be neither stored
nor handled Slack is told so (503, and it retries an event), or the person is (a command or
a click, which Slack does not retry)."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from adapters.slack import PLATFORM
from adapters.slack.inbound import (
    MAX_BODY,
    Refused,
    SlackRequest,
    classify,
    verify,
    when_unstored,
)
from core import trace
from core.intake import TROUBLE, Intake
from core.ports import Failures


def slack_endpoint(
    signing_secret: str,
    intake: Intake,
    failures: Failures,
    at_once: Callable[[SlackRequest], Callable[[], bool] | None] = lambda incoming: None,
) -> Callable[[Request], Awaitable[Response]]:
    """`at_once` gives what handles a request the moment it arrives, where one can (an
    answer in a DM): it is then stored only when that cannot be done now."""
    verifier = SignatureVerifier(signing_secret)  # refuses an empty secret

    async def slack_events(request: Request) -> Response:
        declared = request.headers.get("content-length") or "0"
        if declared.isdigit() and int(declared) > MAX_BODY:
            return JSONResponse({"error": "request too large"}, status_code=413)
        content_type = request.headers.get("content-type") or ""
        try:
            text = verify(await request.body(), request.headers, verifier)
            incoming = classify(text, content_type)
        except Refused as refused:
            return JSONResponse({"error": str(refused)}, status_code=refused.status)
        if incoming.event_id is None:
            return _answer_at_once(incoming)
        with trace.scope(event_id=incoming.event_id, platform=PLATFORM):
            try:
                await run_in_threadpool(
                    intake.receive,
                    PLATFORM,
                    incoming.event_id,
                    incoming.sender,
                    content_type,
                    text,
                    at_once(incoming),
                )
            except Exception as exc:  # the database is out: this request is not ours yet
                failures.failed(exc)
                return _trouble(incoming)
            failures.ok()
        return Response(status_code=200)

    return slack_events


def _answer_at_once(incoming: SlackRequest) -> Response:
    challenge = incoming.payload.get("challenge")
    if incoming.payload.get("type") == "url_verification" and isinstance(challenge, str):
        return JSONResponse({"challenge": challenge})
    return Response(status_code=200)


def _trouble(incoming: SlackRequest) -> Response:
    unstored = when_unstored(incoming)
    if unstored.retry:
        return Response(status_code=503)  # an event: Slack sends it again
    if unstored.reply:
        return JSONResponse({"response_type": "ephemeral", "text": unstored.reply})
    if unstored.hook:  # told after the answer: Slack waits 3 s at most
        return Response(status_code=200, background=BackgroundTask(tell, unstored.hook))
    return Response(status_code=200)


def tell(response_url: str) -> None:
    """Tell someone whose click could not be stored to try again."""
    # When Slack is unreachable too the button stays, and the person can click again.
    with contextlib.suppress(OSError):
        WebhookClient(response_url, timeout=3).send(
            text=TROUBLE, response_type="ephemeral", replace_original=False
        )
