"""The HR REST API, `/api/v1`: a thin edge over the HR use cases (core/hr_api.py). It checks
the bearer key, its scope and its rate, reads the request into core terms, and writes the
answer as JSON (errors as problem details)."""

# Annotations are evaluated where the routes are defined: FastAPI reads each key's scope
# from them, and those live in build_router.
import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, time
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import TypeAdapter, ValidationError

from adapters.api.problems import ApiError, FieldProblem, described
from adapters.api.schemas import (
    INTERVIEW_ID,
    TEXT,
    DepartureIn,
    DeparturesOut,
    Erased,
    InterviewOut,
    InterviewPage,
    MoveIn,
    State,
)
from adapters.pacing.buckets import Buckets, Limit, MemoryBuckets
from core.api_keys import ApiKey
from core.commands import PersonRef
from core.departures import Departure
from core.hr import REFUSED, REJECTED
from core.hr_actions import ServiceError
from core.hr_api import HrApi, Listed, NotFound, StaleVersion
from core.interview import Interview
from core.ports import InterviewFilter, StoredResponse
from core.reporting import Digest, InterviewReport
from core.views import as_csv

PREFIX = "/api/v1"
# A moment in a query: ISO 8601 with its zone, and nothing else (no bare numbers).
MOMENT = Query(
    pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$",
    description="ISO 8601 with a zone: 2026-03-01T00:00:00Z",
    examples=["2026-03-01T00:00:00Z"],
)
MAX_DEPARTURES = 1000
STATUSES = ("scheduled", "moved", "unchanged", REJECTED)
T = TypeVar("T")


@dataclass(frozen=True)
class ApiLimits:
    # Requests a minute per key, sustained; a tenth of that at once.
    per_minute: int = 600
    # Where a departure names no platform: the one ExitBot is set up for (None: both are).
    default_platform: str | None = "slack"


def build_router(api: HrApi, limits: ApiLimits, buckets: Buckets | None = None) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["HR API"])
    buckets = buckets or MemoryBuckets()
    rate = Limit(rate=limits.per_minute / 60, burst=max(1.0, limits.per_minute / 10))
    bearer = HTTPBearer(auto_error=False, description="an API key from `exitbot api-key create`")

    def caller(scope: str) -> Any:
        def check(
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        ) -> ApiKey:
            challenge = {"WWW-Authenticate": "Bearer"}
            if credentials is None:
                raise ApiError(
                    401, "send an API key: Authorization: Bearer exb_...", headers=challenge
                )
            key = api.key_for(credentials.credentials)
            if key is None:
                raise ApiError(401, "this API key is not valid (or was revoked)", headers=challenge)
            if scope not in key.scopes:
                raise ApiError(403, f"this key lacks the scope {scope}")
            if buckets.take(f"api:{key.prefix}", rate, 0.0) is None:
                wait = max(1, round(1 / rate.rate))
                raise ApiError(
                    429,
                    f"more than {limits.per_minute} requests a minute with this key",
                    headers={"Retry-After": str(wait)},
                )
            return key

        return Depends(check)

    common = (401, 403, 422, 429)

    @router.post(
        "/departures",
        operation_id="pushDepartures",
        response_model=DeparturesOut,
        summary="Push departures from the HR system",
        description=(
            "One leaver or a list of up to 1,000. Each is scheduled (a new interview), moved "
            "(a scheduled one gets the new date), unchanged (the same person and date again) "
            "or rejected with the reason (unknown person, an interview already under way): "
            "never all or nothing. With an `Idempotency-Key`, a repeat of the same request "
            "within a day gets the first answer again. Scope `departures:write`."
        ),
        responses=links_to("$response.body#/results/0/interview_id") | described(*common, 413, 503),
        openapi_extra={"requestBody": DEPARTURES_BODY},
    )
    def departures(
        request_body: Annotated[bytes, Depends(_body)],
        key: Annotated[ApiKey, caller("departures:write")],
        idempotency_key: Annotated[
            str | None, Header(max_length=255, description="the same key: the same answer")
        ] = None,
    ) -> Response:
        items = _departures_in(request_body)
        fingerprint = hashlib.sha256(
            json.dumps([i.model_dump(mode="json") for i in items], sort_keys=True).encode()
        ).hexdigest()
        if idempotency_key:
            stored = api.answered(key, idempotency_key)
            if stored is not None:
                return _replay(stored, fingerprint)
        out = _departures_out(api, key, items, limits.default_platform)
        content = out.model_dump_json()
        if idempotency_key:
            api.remember(key, idempotency_key, StoredResponse(fingerprint, 200, content))
        return Response(content, media_type="application/json")

    @router.get(
        "/interviews",
        operation_id="listInterviews",
        response_model=InterviewPage,
        summary="List interviews, a page at a time",
        description=(
            "Oldest first. `next` is an opaque cursor for the following page (absent on the "
            "last); pages do not shift when interviews are added meanwhile. Scope "
            "`interviews:read`."
        ),
        responses=links_to("$response.body#/items/0/id") | described(400, *common),
    )
    def interviews(
        request: Request,
        key: Annotated[ApiKey, caller("interviews:read")],
        state: State | None = None,
        platform: Literal["slack", "teams"] | None = None,
        department: Annotated[str | None, Query(max_length=200, pattern=TEXT)] = None,
        ended_since: Annotated[str | None, MOMENT] = None,
        ended_until: Annotated[str | None, MOMENT] = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, Query(max_length=400)] = None,
    ) -> InterviewPage:
        which = InterviewFilter(
            state,
            platform,
            department,
            _aware(ended_since, "ended_since"),
            _aware(ended_until, "ended_until"),
        )
        after = _decode(cursor) if cursor else None
        found = api.interviews(which, after, limit + 1)
        page, more = found[:limit], len(found) > limit
        following = _encode(page[-1].interview) if more else None
        links = {
            "self": str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
        }
        if following:
            query = dict(request.query_params) | {"cursor": following}
            links["next"] = f"{PREFIX}/interviews?" + "&".join(f"{k}={v}" for k, v in query.items())
        return InterviewPage(items=[_out(i) for i in page], next=following, links=links)

    @router.get(
        "/interviews/{interview_id}",
        operation_id="readInterview",
        response_model=InterviewOut,
        summary="One interview",
        description=(
            "Its ETag is its version: send it back as If-Match to change it. With "
            "`?include=report` (scope `reports:read` as well) it carries every answer in the "
            "employee's own words and the summary; that read is audited with the key's name."
        ),
        responses=described(*common, 404),
    )
    def interview(
        interview_id: Annotated[str, Path(pattern=INTERVIEW_ID)],
        key: Annotated[ApiKey, caller("interviews:read")],
        include: Literal["report"] | None = None,
    ) -> Response:
        listed = _found(lambda: api.interview(interview_id))
        if include != "report":
            return _with_etag(listed)
        if "reports:read" not in key.scopes:
            raise ApiError(403, "this key lacks the scope reports:read")
        return _with_etag(listed, _found(lambda: api.report(key, interview_id)))

    @router.post(
        "/interviews/{interview_id}/cancel",
        operation_id="cancelInterview",
        response_model=InterviewOut,
        summary="Cancel a scheduled or running interview",
        description="Someone mid-interview is told. Scope `interviews:write`.",
        responses=described(*common, 404, 409),
    )
    def cancel(
        interview_id: Annotated[str, Path(pattern=INTERVIEW_ID)],
        key: Annotated[ApiKey, caller("interviews:write")],
    ) -> Response:
        return _with_etag(_found(lambda: api.cancel(key, interview_id)))

    @router.patch(
        "/interviews/{interview_id}",
        operation_id="moveInterview",
        response_model=InterviewOut,
        summary="Move a scheduled interview to another exit date",
        description=(
            "`If-Match` must carry the version last read (the ETag): another change since "
            "then answers 412, and none at all 428. Scope `interviews:write`."
        ),
        responses=described(400, *common, 404, 409, 412, 428),
    )
    def move(
        interview_id: Annotated[str, Path(pattern=INTERVIEW_ID)],
        change: MoveIn,
        key: Annotated[ApiKey, caller("interviews:write")],
        if_match: Annotated[
            str | None, Header(max_length=64, description='the ETag read, e.g. "3"')
        ] = None,
    ) -> Response:
        version = _version(if_match)
        at = time.fromisoformat(change.send_time) if change.send_time else None
        return _with_etag(
            _found(lambda: api.move(key, interview_id, version, change.exit_date, at))
        )

    @router.get(
        "/digest",
        operation_id="readDigest",
        response_model=Digest,
        summary="The digest's numbers",
        description=(
            "Interviews that ended in the last `days` days: outcomes, response rate, reasons "
            "ranked, rating averages, the would-recommend score, themes; departments only "
            "from EXITBOT_MIN_GROUP leavers. Scope `interviews:read`."
        ),
        responses=described(*common),
    )
    def digest(
        key: Annotated[ApiKey, caller("interviews:read")],
        days: Annotated[int, Query(ge=1, le=3660)] = 30,
    ) -> Digest:
        return api.digest(days)

    @router.get(
        "/export",
        operation_id="exportInterviews",
        summary="Export interviews, streamed",
        description=(
            "Interviews that ended in the last `days` days, as CSV (the columns of `exitbot "
            "export`) or JSON lines, read from the database a page at a time as they are "
            "sent. Audited with the key's name. Scope `exports:read`."
        ),
        responses={
            200: {
                "description": "the rows",
                "content": {"text/csv": {}, "application/x-ndjson": {}},
            },
            **described(*common),
        },
        response_class=StreamingResponse,
    )
    def export(
        key: Annotated[ApiKey, caller("exports:read")],
        days: Annotated[int, Query(ge=1, le=3660)] = 30,
        format: Literal["csv", "jsonl"] = "csv",
    ) -> StreamingResponse:
        rows = api.export(key, days)
        if format == "jsonl":
            lines: Iterator[str] = (json.dumps(row, default=str) + "\n" for row in rows)
            return StreamingResponse(lines, media_type="application/x-ndjson")
        name = f"exitbot-export-{days}-days.csv"
        return StreamingResponse(
            as_csv(rows),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @router.post(
        "/people/{email}/erase",
        operation_id="erasePerson",
        response_model=Erased,
        summary="Erase everything about a person",
        description=(
            "The same erasure as `/exitbot forget`: their interviews, answers and messages, "
            "on every platform; only an audit line with the key's name stays. Erasing "
            "someone ExitBot never knew answers `erased: 0`. Scope `people:erase`."
        ),
        responses=described(*common),
    )
    def erase(
        email: Annotated[
            str,
            Path(
                min_length=3, max_length=320, pattern=r"^[^@/\x00-\x1f\x7f]+@[^@/\x00-\x1f\x7f]+$"
            ),
        ],
        key: Annotated[ApiKey, caller("people:erase")],
    ) -> Erased:
        return Erased(email=email, erased=api.erase(key, email))

    return router


def links_to(interview_id: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI links from an answer naming an interview to what can be done with it."""
    return {200: {"links": links(interview_id)}}


def links(interview_id: str) -> dict[str, Any]:
    return {
        name: {
            "operationId": f"{name[0].lower()}{name[1:]}",
            "parameters": {"interview_id": interview_id},
        }
        for name in ("ReadInterview", "CancelInterview", "MoveInterview")
    }


DEPARTURE_SCHEMA = DepartureIn.model_json_schema()
DEPARTURES_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    DEPARTURE_SCHEMA,
                    {
                        "type": "array",
                        "items": DEPARTURE_SCHEMA,
                        "minItems": 1,
                        "maxItems": MAX_DEPARTURES,
                    },
                ]
            },
            "example": [DEPARTURE_SCHEMA["examples"][0]],
        }
    },
}
MANY = TypeAdapter(list[DepartureIn])


async def _body(request: Request) -> bytes:
    return await request.body()


def _departures_in(body: bytes) -> list[DepartureIn]:
    """One departure or a list of them; each bad field named by its place (`body.2.exit_date`)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(
            422,
            "the body is not JSON: send a departure object or a list of them",
            errors=[FieldProblem(field="body", message="not JSON")],
        ) from None
    many = data if isinstance(data, list) else [data]
    if not 1 <= len(many) <= MAX_DEPARTURES:
        raise ApiError(
            422,
            f"send between 1 and {MAX_DEPARTURES} departures at once",
            errors=[FieldProblem(field="body", message=f"{len(many)} departures")],
        )
    try:
        return MANY.validate_python(many)
    except ValidationError as exc:
        errors = [
            FieldProblem(field=".".join(["body", *(str(p) for p in e["loc"])]), message=e["msg"])
            for e in exc.errors()
        ]
        named = ", ".join(e.field for e in errors[:5])
        raise ApiError(422, f"invalid {named}", errors=errors) from None


def _departures_out(
    api: HrApi, key: ApiKey, items: list[DepartureIn], default_platform: str | None
) -> DeparturesOut:
    departures = [
        Departure(
            line=n,
            person=PersonRef(
                user_id=item.user_id, email=item.email.casefold() if item.email else None
            ),
            exit_date=item.exit_date,
            department=item.department,
            manager=item.manager,
            platform=item.platform or default_platform,
            at=time.fromisoformat(item.send_time) if item.send_time else None,
            language=item.language,
        )
        for n, item in enumerate(items)
    ]
    try:
        placements = api.push(key, departures)
    except REFUSED as exc:  # the directory itself failed (Slack busy, Graph away)
        raise ApiError(503, str(exc), headers={"Retry-After": "60"}) from None
    results = [
        {
            "index": placed.departure.line,
            "status": placed.how,
            "reason": placed.reason,
            "interview_id": placed.interview.id if placed.interview else None,
            "due_at": placed.interview.due_at if placed.interview else None,
            "links": {"interview": f"{PREFIX}/interviews/{placed.interview.id}"}
            if placed.interview
            else {},
        }
        for placed in placements
    ]
    counts = {status: sum(1 for r in results if r["status"] == status) for status in STATUSES}
    return DeparturesOut.model_validate({"results": results, "counts": counts})


def _replay(stored: StoredResponse, fingerprint: str) -> Response:
    if stored.fingerprint != fingerprint:
        raise ApiError(
            422,
            "this Idempotency-Key was used for another request: use a new key for new data",
            errors=[FieldProblem(field="header.idempotency-key", message="reused")],
        )
    return Response(
        stored.body,
        status_code=stored.status,
        media_type="application/json",
        headers={"Idempotent-Replayed": "true"},
    )


def _found(act: Callable[[], T]) -> T:
    """What an interview use case gave, or the problem it met as its HTTP status."""
    try:
        return act()
    except NotFound:
        raise ApiError(404, "no such interview (or it was erased)") from None
    except ServiceError as exc:
        raise ApiError(409, str(exc)) from None
    except StaleVersion as exc:
        raise ApiError(
            412, f"the interview changed since (it is at version {exc.current}): read it again"
        ) from None


def _out(listed: Listed) -> InterviewOut:
    i, person = listed.interview, listed.interview.employee
    analysis = i.analysis
    here = f"{PREFIX}/interviews/{i.id}"
    links = {"self": here, "report": f"{here}?include=report"}
    if i.state.is_open:
        links["cancel"] = f"{here}/cancel"
    return InterviewOut(
        id=i.id,
        state=i.state.value,
        version=listed.version,
        platform=person.platform,
        user_id=person.user_id,
        name=person.name,
        email=person.email,
        department=person.department,
        manager=person.manager,
        exit_date=i.exit_date,
        due_at=i.due_at,
        language=i.language,
        created_at=i.created_at,
        started_at=i.started_at,
        ended_at=i.ended_at,
        primary_reason=analysis.primary_reason.value
        if analysis and analysis.primary_reason
        else None,
        links=links,
    )


def _with_etag(listed: Listed, report: InterviewReport | None = None) -> Response:
    """The interview as JSON, its version as its ETag (what If-Match must name)."""
    out = _out(listed)
    out.report = report
    return JSONResponse(out.model_dump(mode="json"), headers={"ETag": f'"{listed.version}"'})


def _version(if_match: str | None) -> int:
    if if_match is None:
        raise ApiError(428, "send If-Match with the ETag you read (GET the interview first)")
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise ApiError(
            412,
            f"If-Match {if_match!r} is no version of this interview",
            errors=[FieldProblem(field="header.if-match", message='an ETag such as "3"')],
        )
    return int(tag)


def _aware(moment: str | None, name: str) -> datetime | None:
    """The moment named (the pattern has checked its shape), or 422 when there is none."""
    if moment is None:
        return None
    try:
        return datetime.fromisoformat(moment)
    except ValueError:
        raise ApiError(
            422,
            f"{name} is no moment: write it as 2026-03-01T00:00:00Z",
            errors=[FieldProblem(field=f"query.{name}", message="not a moment")],
        ) from None


def _encode(interview: Interview) -> str:
    raw = json.dumps([interview.created_at.isoformat(), interview.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, last_id = json.loads(raw)
        moment = datetime.fromisoformat(created)
        if moment.tzinfo is None or not re.match(INTERVIEW_ID, str(last_id)):
            raise ValueError(cursor)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise ApiError(
            400,
            "this cursor is not one ExitBot gave: start from the first page",
            errors=[FieldProblem(field="query.cursor", message="not a cursor")],
        ) from None
    return moment, last_id
