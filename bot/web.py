"""The HTTP side of `exitbot serve`: each platform's routes (Slack's events, commands and
interactivity on one endpoint, only over HTTP; Teams' activities) and a health check."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from bot.platform import Route


def create_web_app(engine: Engine, routes: Mapping[str, Route]) -> FastAPI:
    web = FastAPI(title="ExitBot", docs_url=None, redoc_url=None)

    @web.get("/healthz")
    def healthz() -> JSONResponse:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return JSONResponse({"status": "database unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    for path, endpoint in routes.items():
        web.add_api_route(path, endpoint, methods=["POST"])
    return web
