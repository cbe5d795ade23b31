"""The HTTP side of `exitbot serve`: each platform's routes (Slack's events, commands and
interactivity on one endpoint, only over HTTP; Teams' activities), the HR REST API with its
OpenAPI description (`/openapi.json`, `/docs`), a health check (`/healthz`, kept for those
who wait on it), the probes (`/livez`, `/readyz`) and the metrics (`/metrics`)."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from adapters.api import problems
from adapters.api.routes import PREFIX
from bot.metrics import Metrics
from bot.platform import Route
from bot.probes import Probes

DESCRIPTION = """ExitBot's HR API: push departures from the HR system, read interviews, the
digest and exports, erase people. Every request carries an API key (`Authorization: Bearer
exb_...`, made with `exitbot api-key create --name NAME --scope SCOPE[,SCOPE]`) whose scopes
say what it may do. Errors are `application/problem+json` (RFC 9457)."""


def create_web_app(
    engine: Engine,
    routes: Mapping[str, Route],
    api: APIRouter | None = None,
    max_body: int = 1_048_576,
    *,
    probes: Probes | None = None,
    metrics: Metrics | None = None,
) -> ASGIApp:
    web = FastAPI(
        title="ExitBot HR API",
        version="1",
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
    )
    problems.install(web)

    @web.get("/healthz", include_in_schema=False)
    def healthz() -> JSONResponse:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return JSONResponse({"status": "database unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    @web.get("/livez", include_in_schema=False)
    def livez() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    checks = probes or Probes(engine)

    @web.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        ready, found = checks.readiness()
        status = "ready" if ready else "not ready"
        return JSONResponse({"status": status, **found}, status_code=200 if ready else 503)

    if metrics is not None:
        exposition = metrics

        @web.get("/metrics", include_in_schema=False)
        def scrape() -> Response:
            body, content_type = exposition.render()
            return Response(body, media_type=content_type)

    # Also mounted behind the front (below), for FastAPI's 405 to any other method.
    for path, endpoint in routes.items():
        web.add_api_route(path, endpoint, methods=["POST"], include_in_schema=False)
    if api is not None:
        web.include_router(api)
        web.add_middleware(BodyLimit, limit=max_body)
    return PlatformFront(web, routes)


class PlatformFront:
    """A platform's POSTs straight to its endpoint; everything else to FastAPI.

    Every answer is one such POST, and FastAPI's stack of middleware, routing and
    dependency solving around an endpoint that reads and verifies its request itself was 5%
    of the instructions the bot spends on an answer (callgrind). An endpoint's own failure
    still ends as uvicorn's 500, logged."""

    def __init__(self, web: ASGIApp, routes: Mapping[str, Route]) -> None:
        self.web, self.routes = web, dict(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.routes.get(scope["path"]) if scope["type"] == "http" else None
        if route is None or scope["method"] != "POST":
            await self.web(scope, receive, send)
            return
        response = await route(Request(scope, receive))
        await response(scope, receive, send)


class BodyLimit:
    """Refuse an API request body over `limit` bytes (413) before it is read whole, whether
    it says its length or comes in chunks."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise problems.ApiError(413, self._detail())
            return message

        await self.app(scope, counted, send)

    def _detail(self) -> str:
        return f"the request body is over {self.limit:,} bytes: send fewer departures at once"

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await problems.problem(413, self._detail())(scope, receive, send)
