"""`POST /api/messages`: what Teams sends, checked before the bot sees it. Junk gets 400 or
413, a caller that cannot prove it is the Bot Framework 401; a turn that fails gets 503, so
the Bot Framework sends it again (what was already handled is not handled twice)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import CloudAdapterBase
from botbuilder.schema import Activity
from fastapi import Request, Response
from fastapi.responses import JSONResponse

from core.ports import Failures

# A Teams activity, even with a card's data, is a few kilobytes.
MAX_ACTIVITY = 256 * 1024


def teams_endpoint(
    adapter: CloudAdapterBase,
    on_turn: Callable[[Any], Awaitable[None]],
    failures: Failures,
) -> Callable[[Request], Awaitable[Response]]:
    async def teams_messages(request: Request) -> Response:
        declared = request.headers.get("content-length") or "0"
        if declared.isdigit() and int(declared) > MAX_ACTIVITY:
            return JSONResponse({"error": "request too large"}, status_code=413)
        body = await request.body()
        try:
            payload = json.loads(body) if len(body) <= MAX_ACTIVITY else None
            if not isinstance(payload, dict):
                raise ValueError("not a JSON object")
            activity = Activity().deserialize(payload)
        except Exception:  # anything that is not an activity, however broken
            return JSONResponse({"error": "not a Bot Framework activity"}, status_code=400)
        auth = request.headers.get("Authorization", "")
        try:
            authenticated = await adapter.bot_framework_authentication.authenticate_request(
                activity, auth
            )
        except Exception:  # any failure to prove who is calling is a refusal
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        try:
            invoke = await adapter.process_activity(authenticated, activity, on_turn)
        except Exception as exc:  # not handled, so not acknowledged: Teams retries
            failures.failed(exc)
            return JSONResponse({"error": "try again later"}, status_code=503)
        failures.ok()
        if invoke is not None:
            return JSONResponse(invoke.body, status_code=invoke.status)
        return Response(status_code=200)

    return teams_messages
