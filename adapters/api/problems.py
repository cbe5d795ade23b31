"""Errors as RFC 9457 problem details (`application/problem+json`): a status, a title that
names the kind of problem, a detail for this occurrence and, for bad input, each field."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

MEDIA_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid request",
    428: "Precondition required",
    429: "Too many requests",
    503: "Service unavailable",
}


class FieldProblem(BaseModel):
    field: str = Field(description="Where: `body.0.exit_date`, `query.limit`, `header.if-match`")
    message: str


class Problem(BaseModel):
    type: str = Field("about:blank", description="Always about:blank: the status says the kind")
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = []

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "type": "about:blank",
                    "title": "Forbidden",
                    "status": 403,
                    "detail": "this key lacks the scope reports:read",
                    "errors": [],
                }
            ]
        }
    }


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail
        self.errors, self.headers = errors or [], headers or {}


def problem(
    status: int,
    detail: str,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        title=TITLES.get(status, "Error"), status=status, detail=detail, errors=errors or []
    )
    return JSONResponse(
        body.model_dump(mode="json"), status_code=status, media_type=MEDIA_TYPE, headers=headers
    )


def described(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` entries for these error statuses."""
    return {
        status: {"model": Problem, "description": TITLES[status], "content": {MEDIA_TYPE: {}}}
        for status in statuses
    }


def install(web: FastAPI) -> None:
    """Every error the web app answers (a bad field, an unknown path) as a problem."""

    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return problem(exc.status, exc.detail, exc.errors, exc.headers)

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            FieldProblem(field=".".join(str(p) for p in e["loc"]), message=e["msg"])
            for e in exc.errors()
        ]
        named = ", ".join(e.field for e in errors[:5])
        return problem(422, f"invalid {named}" if named else "invalid request", errors)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        return problem(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))

    web.add_exception_handler(ApiError, api_error)
    web.add_exception_handler(RequestValidationError, invalid)
    web.add_exception_handler(HTTPException, http_error)
