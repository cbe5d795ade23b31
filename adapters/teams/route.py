"""`POST /api/messages`: what Teams sends, checked before the bot sees it. Junk gets 400 or
413; a caller that cannot prove it is the Bot Framework gets 401 (its signed token, checked
by the Agents SDK, naming the connector the activity says it came from); a turn that fails
gets 503, so the Bot Framework sends it again (what was already handled is not handled
twice)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import Agent, AgentAuthConfiguration, ClaimsIdentity

from adapters.teams.adapter import TeamsAdapter, authenticate
from core.ports import Failures

# A Teams activity, even with a card's data, is a few kilobytes.
MAX_ACTIVITY = 256 * 1024


def from_its_connector(claims: ClaimsIdentity, activity: Activity) -> bool:
    """The Bot Framework names in its token the connector an activity comes from; a token
    replayed with another `serviceUrl` would have the bot send its own token there. (The
    SDK only warns about a mismatch unless its outbound host list is on, which refuses
    every host but Microsoft's.)"""
    named = claims.get_claim_value("serviceurl")
    if not named:
        return True  # dev mode's anonymous caller, or a token that names none
    given = activity.service_url or ""
    return str(named).rstrip("/").casefold() == given.rstrip("/").casefold()


def teams_endpoint(
    adapter: TeamsAdapter,
    agent: Agent,
    auth: AgentAuthConfiguration,
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
            activity = Activity.model_validate(payload)
            if not activity.type or not activity.conversation or not activity.conversation.id:
                raise ValueError("no type or conversation")
        except Exception:  # anything that is not an activity, however broken
            return JSONResponse({"error": "not a Bot Framework activity"}, status_code=400)
        claims = await authenticate(request.headers.get("Authorization"), auth)
        if claims is None or not from_its_connector(claims, activity):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        request.state.claims_identity = claims
        try:
            response = await adapter.process(request, agent)
        except Exception as exc:  # not handled, so not acknowledged: Teams retries
            failures.failed(exc)
            return JSONResponse({"error": "try again later"}, status_code=503)
        failures.ok()
        return response or Response(status_code=200)

    return teams_messages
