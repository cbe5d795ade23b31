"""Reaching someone who never opened ExitBot in Teams: the app is installed in their personal
scope through Microsoft Graph (already installed is fine), and the personal chat that
creates becomes their conversation reference. Only a real refusal (a policy blocking the
app, no Teams licence, no such user) makes them unreachable, with Teams' reason; Graph being
busy or away is tried again later."""

from __future__ import annotations

import logging
from typing import Any

from adapters.storage.references import SqlReferenceStore
from adapters.teams.graph import Graph, GraphError
from core.ports import DeliveryError, RecipientUnreachable

log = logging.getLogger(__name__)
TRANSIENT = {0, 408, 429, 500, 502, 503, 504}


class Installer:
    def __init__(
        self, graph: Graph | None, catalog_app_id: str | None, references: SqlReferenceStore
    ) -> None:
        self.graph = graph
        self.catalog_app_id = catalog_app_id
        self.references = references

    def reach(self, user_id: str) -> dict[str, Any]:
        """A conversation reference for the person's personal chat with ExitBot."""
        if self.graph is None or not self.catalog_app_id:
            raise RecipientUnreachable(
                "ExitBot is not installed for this person in Teams, and cannot install it "
                "(EXITBOT_TEAMS_APP_ID and Microsoft Graph are not set up)"
            )
        known = self.references.latest()
        if known is None or not known.get("serviceUrl"):
            raise DeliveryError("no Teams service URL known yet: install ExitBot for HR first")
        try:
            self.graph.install_app(user_id, self.catalog_app_id)
            chat = self.graph.personal_chat(user_id, self.catalog_app_id)
        except GraphError as exc:
            if exc.status in TRANSIENT:
                raise DeliveryError(str(exc)) from exc
            log.warning("Teams refused to install ExitBot for a person: %s", exc.reason)
            raise RecipientUnreachable(
                f"Teams would not install ExitBot for this person: {exc.reason}"
            ) from exc
        conversation = dict(known.get("conversation") or {})
        reference = {
            "conversation": {
                "id": chat,
                "conversationType": "personal",
                **({"tenantId": conversation["tenantId"]} if "tenantId" in conversation else {}),
            },
            "user": {"id": user_id, "aadObjectId": user_id},
            "bot": known.get("bot"),
            "channelId": "msteams",
            "serviceUrl": known["serviceUrl"],
        }
        return reference
