"""The Bot Framework adapter ExitBot runs Teams turns through."""

from __future__ import annotations

from botbuilder.core import CloudAdapterBase, TurnContext


class TeamsAdapter(CloudAdapterBase):
    async def on_turn_error(self, context: TurnContext, error: Exception) -> None:
        # Up to POST /api/messages, which answers 503: the Bot Framework sends it again,
        # and what was already handled is not handled twice (the inbox records it).
        raise error
