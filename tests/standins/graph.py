"""A loopback stand-in for the Microsoft Graph calls ExitBot makes, over the same tenant as
the Teams connector stand-in (people are its members; installing the app opens a personal
chat there). What the real Graph does, from its v1.0 reference and reported behaviour:
- GET /users/{id | mail | userPrincipalName}: 404 Request_ResourceNotFound for nobody;
  `accountEnabled` false for a disabled account.
- GET /users/{id}/manager: 404 when none is set.
- GET /users/{id}/mailboxSettings/timeZone: a Windows zone name by default ("W. Europe
  Standard Time"); 403 ErrorAccessDenied without MailboxSettings.Read.
- GET /users/{id}/mailboxSettings/language: a localeInfo, {"locale": "en-US", "displayName":
  "English (United States)"} (Graph's mailboxSettings reference); the same 403.
- POST /users/{id}/teamwork/installedApps: 201; 409 when already installed; 403 Forbidden
  "App is blocked by app permission policy. TenantId: ..., UserObjectId: ..." when a Teams
  app permission policy blocks it (seen in Company Communicator's issues #889, #1537).
- GET .../installedApps?$filter=teamsApp/id eq '...' and .../installedApps/{id}/chat: the
  installation and the chat between the person and the app (19:...@unq.gbl.spaces).
- Every call needs the app's bearer token when `token` is set (401 otherwise)."""

from __future__ import annotations

import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from tests.standins.http import JsonApi, Loopback
from tests.standins.teams import TeamsStandIn

Json = dict[str, Any]
CATALOG_APP = "catalog-app-1"


def not_found(key: str) -> tuple[int, Json]:
    return 404, {
        "error": {
            "code": "Request_ResourceNotFound",
            "message": f"Resource '{key}' does not exist or one of its queried reference-property objects are not present.",
        }
    }


@dataclass
class GraphStandIn(Loopback):
    teams: TeamsStandIn
    token: str | None = None
    timezones: dict[str, str] = field(default_factory=dict)  # aad id -> Windows zone name
    locales: dict[str, str] = field(default_factory=dict)  # aad id -> "es-ES"
    departments: dict[str, str] = field(default_factory=dict)
    managers: dict[str, str] = field(default_factory=dict)  # aad id -> manager's name
    disabled: set[str] = field(default_factory=set)
    blocked: set[str] = field(default_factory=set)  # a policy blocks the app for them
    mailbox_readable: bool = True
    installed: set[str] = field(default_factory=set)  # aad ids with the app installed
    calls: list[tuple[str, str]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        standin = self

        class Handler(JsonApi):
            refused = "InvalidAuthenticationToken"

            def token(self) -> str | None:
                return standin.token

            def answer(self, verb: str, raw: bytes) -> tuple[int, Json]:
                url = urllib.parse.urlparse(self.path)
                parts = [urllib.parse.unquote(p) for p in url.path.split("/")[2:]]
                query = dict(urllib.parse.parse_qsl(url.query))
                with standin._lock:
                    standin.calls.append((verb, url.path))
                return standin.handle(verb, parts, query, json.loads(raw) if raw else {})

        self.serve(Handler)

    @property
    def url(self) -> str:
        return self.base + "/v1.0"

    def person(self, key: str) -> Json | None:
        folded = key.casefold()
        for member in self.teams.members.values():
            if folded in (
                str(member["aadObjectId"]).casefold(),
                str(member.get("email", "")).casefold(),
                str(member.get("userPrincipalName", "")).casefold(),
            ):
                return member
        return None

    def handle(self, verb: str, parts: list[str], query: Json, body: Json) -> tuple[int, Json]:
        if len(parts) < 2 or parts[0] != "users":
            return 400, {"error": {"code": "BadRequest", "message": "Unsupported request"}}
        member = self.person(parts[1])
        if member is None:
            return not_found(parts[1])
        aad = str(member["aadObjectId"])
        rest = parts[2:]
        if verb == "GET" and not rest:
            return 200, {
                "id": aad,
                "displayName": member["name"],
                "mail": member.get("email"),
                "userPrincipalName": member.get("userPrincipalName"),
                "department": self.departments.get(aad),
                "accountEnabled": aad not in self.disabled,
            }
        if verb == "GET" and rest == ["manager"]:
            manager = self.managers.get(aad)
            return (200, {"displayName": manager}) if manager else not_found("manager")
        if (
            verb == "GET"
            and rest[:1] == ["mailboxSettings"]
            and rest[1:] in (["timeZone"], ["language"])
        ):
            if not self.mailbox_readable:
                return 403, {
                    "error": {
                        "code": "ErrorAccessDenied",
                        "message": "Access is denied. Check credentials and try again.",
                    }
                }
            if rest[1] == "language":
                locale = self.locales.get(aad, "en-US")
                return 200, {"locale": locale, "displayName": locale}
            return 200, {"value": self.timezones.get(aad, "Pacific Standard Time")}
        if rest[:2] == ["teamwork", "installedApps"]:
            return self._installed_apps(verb, aad, member, rest[2:], query, body)
        return 400, {"error": {"code": "BadRequest", "message": "Unsupported request"}}

    def _installed_apps(
        self, verb: str, aad: str, member: Json, rest: list[str], query: Json, body: Json
    ) -> tuple[int, Json]:
        chat = f"19:{aad}_exitbot@unq.gbl.spaces"
        if verb == "POST" and not rest:
            if not str(body.get("teamsApp@odata.bind", "")).endswith(f"/{CATALOG_APP}"):
                return 404, {"error": {"code": "NotFound", "message": "Teams app not found"}}
            if aad in self.blocked:
                return 403, {
                    "error": {
                        "code": "Forbidden",
                        "message": f"App is blocked by app permission policy. TenantId: tenant-1, UserObjectId: {aad}, AppId: {CATALOG_APP}, AppType: Private",
                    }
                }
            with self._lock:
                if aad in self.installed:
                    return 409, {
                        "error": {"code": "Conflict", "message": "App is already installed."}
                    }
                self.installed.add(aad)
            self.teams.open_conversation(chat, str(member["id"]))
            return 201, {}
        installation = f"inst-{aad}"
        if verb == "GET" and not rest:
            wanted = f"teamsApp/id eq '{CATALOG_APP}'"
            found = aad in self.installed and query.get("$filter") == wanted
            return 200, {"value": [{"id": installation}] if found else []}
        if verb == "GET" and rest == [installation, "chat"] and aad in self.installed:
            return 200, {"id": chat, "chatType": "oneOnOne"}
        return not_found(installation)
