"""Slack's people directory: who someone is, their time zone and e-mail."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.slack import PLATFORM
from adapters.slack.pacing import Paced
from core.interview import Person
from core.ports import DirectoryRefused, UnknownPerson

# Errors that refuse ExitBot itself, whoever it looks up (Slack's Web API docs: auth.test and
# every method's common errors).
REFUSING = {
    "not_authed",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "token_expired",
    "missing_scope",
    "no_permission",
    "not_allowed_token_type",
}
# users.list's page size. Slack takes up to 1,000 and suggests 200, but at Tier 2 (20 calls
# a minute) 200 a page makes a 10,000-person workspace a two-and-a-half-minute wait.
PAGE = 1000


class SlackDirectory:
    def __init__(self, client: WebClient) -> None:
        self.client = client

    def lookup(self, user_id: str | None = None, email: str | None = None) -> Person:
        who = f"@{user_id}" if user_id else str(email)
        try:
            if email:
                user: dict[str, Any] = self.client.users_lookupByEmail(email=email)["user"]
                user = self._with_locale(user)
            elif user_id:
                user = self.client.users_info(user=user_id, include_locale=True)["user"]
            else:
                raise UnknownPerson("Name a person with an @mention or an e-mail address.")
        except SlackApiError as exc:
            error = exc.response.get("error")
            refusing(exc)
            if error in ("user_not_found", "users_not_found"):
                raise UnknownPerson(f"Slack has no user {who}.") from exc
            raise UnknownPerson(f"Slack could not look up {who} ({error}); try again.") from exc
        except Paced as exc:  # Slack said 429 and the pause outlasts what HR should wait
            raise UnknownPerson(
                f"Slack is busy: try again in {max(1, round(exc.wait))} seconds."
            ) from exc
        except OSError as exc:  # no answer at all (URLError is one): down, or a wrong URL
            reason = getattr(exc, "reason", exc)
            raise UnknownPerson(f"Slack could not be reached ({reason}); try again.") from exc
        return person_of(user)

    def _with_locale(self, user: dict[str, Any]) -> dict[str, Any]:
        """users.lookupByEmail says no locale: users.info does when asked; without it the
        person is interviewed in the default language."""
        try:
            found: dict[str, Any] = self.client.users_info(user=user["id"], include_locale=True)[
                "user"
            ]
            return found
        except (SlackApiError, Paced, KeyError):
            return user

    def everyone(self, progress: Callable[[int], None] = lambda n: None) -> list[Person]:
        """Every active person in the workspace, a page of users.list (Tier 2) at a time."""
        people: list[Person] = []
        cursor: str | None = None
        while True:
            try:
                page = self.client.users_list(limit=PAGE, cursor=cursor, include_locale=True)
            except Paced as exc:  # a batch job: wait out Slack's pause, then go on
                time.sleep(exc.wait)
                continue
            except SlackApiError as exc:
                refusing(exc)
                raise UnknownPerson(
                    f"Slack would not list its users ({exc.response.get('error')}); try again."
                ) from exc
            members: list[dict[str, Any]] = page.get("members") or []
            for user in members:
                with contextlib.suppress(UnknownPerson):  # deactivated, bots: not leavers
                    people.append(person_of(user))
            progress(len(members))
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return people


def refusing(exc: SlackApiError) -> None:
    """Raise DirectoryRefused when Slack refused the token rather than the look-up."""
    error = exc.response.get("error")
    if error in REFUSING:
        raise DirectoryRefused(
            f"Slack refused ExitBot's token ({error}): check SLACK_BOT_TOKEN and the app's "
            "scopes (users:read, users:read.email)."
        ) from exc


def person_of(user: dict[str, Any]) -> Person:
    """A Slack user as a person ExitBot can interview; UnknownPerson when it cannot."""
    profile = user.get("profile") or {}
    name = profile.get("real_name") or user.get("real_name") or user.get("name") or user["id"]
    if user.get("deleted"):
        raise UnknownPerson(f"{name}'s Slack account is deactivated, so ExitBot can't reach them.")
    if user.get("is_bot") or user["id"] == "USLACKBOT":
        raise UnknownPerson(f"{name} is a bot: exit interviews are for people.")
    return Person(
        platform=PLATFORM,
        user_id=user["id"],
        display_name=name,
        email=profile.get("email"),
        timezone=user.get("tz"),
        locale=user.get("locale"),
    )
