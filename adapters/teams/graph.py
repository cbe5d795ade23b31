"""Microsoft Graph, the few calls ExitBot makes, over plain HTTP (msgraph-sdk is ~390 MB for
this): a person by e-mail or Entra id with their manager and mailbox time zone, and the Teams
app installed in a person's personal scope so ExitBot can message someone who never opened
it. App-only tokens come from MSAL (client credentials, or a managed identity); in dev mode
(EXITBOT_TEAMS_DEV=1) calls carry none, for a loopback stand-in.

Permissions (application, admin-consented): User.Read.All (people, managers),
MailboxSettings.Read (time zones; optional), TeamsAppInstallation.ReadWriteForUser.All
(installing the app for a leaver)."""

from __future__ import annotations

import logging
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import available_timezones

import httpx
from tzlocal.windows_tz import win_tz

log = logging.getLogger(__name__)
Json = dict[str, Any]
TokenSource = Callable[[], str | None]


class GraphError(Exception):
    """Graph refused or failed; `status` is its HTTP status (0: unreachable), `reason` what
    it said, fit for HR to read."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"Microsoft Graph: {status or 'unreachable'}: {reason}")
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class GraphUser:
    id: str
    display_name: str
    email: str | None
    department: str | None
    enabled: bool


def iana_zone(name: str | None) -> str | None:
    """A mailbox's time zone as IANA names it: Outlook keeps Windows names ("W. Europe
    Standard Time") unless the person picked an IANA one."""
    if not name:
        return None
    if name in available_timezones():
        return name
    return win_tz.get(name)


class Graph:
    def __init__(self, base_url: str, token: TokenSource, timeout: float = 10) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.http = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def _call(
        self, verb: str, path: str, body: Json | None = None, params: dict[str, str] | None = None
    ) -> httpx.Response:
        token = self.token()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            return self.http.request(
                verb, self.base_url + path, json=body, params=params, headers=headers
            )
        except httpx.HTTPError as exc:
            raise GraphError(0, type(exc).__name__) from exc

    @staticmethod
    def _refusal(response: httpx.Response) -> GraphError:
        try:
            error = response.json().get("error") or {}
            reason = str(error.get("message") or error.get("code") or response.reason_phrase)
        except ValueError:
            reason = response.reason_phrase
        # "App is blocked by app permission policy. TenantId: ..., UserObjectId: ...": the
        # first sentence is for HR, the ids are not.
        return GraphError(response.status_code, reason.split(". ")[0].rstrip("."))

    def user(self, key: str) -> GraphUser | None:
        """Someone by Entra object id, e-mail or UPN; None when the tenant has no such user."""
        fields = "id,displayName,mail,userPrincipalName,department,accountEnabled"
        response = self._call("GET", f"/users/{_segment(key)}", params={"$select": fields})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._refusal(response)
        data = response.json()
        return GraphUser(
            id=str(data["id"]),
            display_name=str(data.get("displayName") or key),
            email=data.get("mail") or data.get("userPrincipalName"),
            department=data.get("department"),
            enabled=data.get("accountEnabled") is not False,
        )

    def manager(self, user_id: str) -> str | None:
        """Their manager's name, where there is one and it may be read."""
        response = self._call(
            "GET", f"/users/{_segment(user_id)}/manager", params={"$select": "displayName"}
        )
        if response.status_code != 200:
            return None  # none set (404), or not permitted: a nicety, not a failure
        return response.json().get("displayName") or None

    def time_zone(self, user_id: str) -> str | None:
        """Their mailbox's time zone (IANA); None without MailboxSettings.Read or a mailbox."""
        response = self._call("GET", f"/users/{_segment(user_id)}/mailboxSettings/timeZone")
        if response.status_code != 200:
            return None
        return iana_zone(response.json().get("value"))

    def locale(self, user_id: str) -> str | None:
        """Their mailbox's language ("es-ES"); None without MailboxSettings.Read."""
        response = self._call("GET", f"/users/{_segment(user_id)}/mailboxSettings/language")
        if response.status_code != 200:
            return None
        locale = response.json().get("locale")
        return locale if isinstance(locale, str) and locale else None

    def install_app(self, user_id: str, catalog_app_id: str) -> None:
        """Install the Teams app in the person's personal scope; already there is fine.
        Raises GraphError when Teams refuses (a policy blocks the app, no Teams licence)."""
        bind = f"{self.base_url}/appCatalogs/teamsApps/{catalog_app_id}"
        response = self._call(
            "POST",
            f"/users/{_segment(user_id)}/teamwork/installedApps",
            {"teamsApp@odata.bind": bind},
        )
        if response.status_code not in (200, 201, 204, 409):
            raise self._refusal(response)

    def personal_chat(self, user_id: str, catalog_app_id: str) -> str:
        """The id of the chat between the person and the installed app."""
        found = self._call(
            "GET",
            f"/users/{_segment(user_id)}/teamwork/installedApps",
            params={"$expand": "teamsApp", "$filter": f"teamsApp/id eq '{catalog_app_id}'"},
        )
        if found.status_code != 200:
            raise self._refusal(found)
        installed = found.json().get("value") or []
        if not installed:
            raise GraphError(404, "the Teams app is not installed for this person")
        chat = self._call(
            "GET",
            f"/users/{_segment(user_id)}/teamwork/installedApps/"
            f"{_segment(str(installed[0]['id']))}/chat",
        )
        if chat.status_code != 200:
            raise self._refusal(chat)
        return str(chat.json()["id"])


def _segment(value: str) -> str:
    return urllib.parse.quote(value, safe="@")


class AppToken:
    """App-only Graph tokens from MSAL, cached by MSAL until they near expiry. `sign_in`
    makes the MSAL client and says how to get a token from it; it runs at the first call,
    as MSAL looks its authority up on the network when it is made."""

    def __init__(self, sign_in: Callable[[], Callable[[], Json]]) -> None:
        self.sign_in = sign_in
        self.acquire: Callable[[], Json] | None = None
        self.lock = threading.Lock()

    def __call__(self) -> str:
        with self.lock:
            if self.acquire is None:
                self.acquire = self.sign_in()
            result = self.acquire()
        token = result.get("access_token")
        if not token:
            reason = result.get("error_description") or result.get("error") or "no token"
            raise GraphError(401, f"could not sign in to Microsoft Graph: {reason}")
        return str(token)
