"""People in Teams. An e-mail or Entra object id is looked up in Microsoft Graph (name,
e-mail, department, manager, mailbox time zone), from anywhere: HR's personal chat, the
shell, an HR file. A mention (`29:...`) is found in the roster of the conversation it was
typed in, which holds only that conversation's members (as Teams' does), then completed
from Graph."""

from __future__ import annotations

from collections.abc import Callable

from adapters.teams.graph import Graph, GraphError
from core.interview import Person
from core.ports import UnknownPerson

PLATFORM = "teams"
# A roster look-up in the conversation a command came from: a mention id -> the member.
Roster = Callable[[str], Person]


class TeamsDirectory:
    def __init__(
        self, graph: Graph | None, default_timezone: str, roster: Roster | None = None
    ) -> None:
        self.graph = graph
        self.default_timezone = default_timezone
        self.roster = roster

    def close(self) -> None:
        if self.graph is not None:
            self.graph.close()

    def within(self, roster: Roster) -> TeamsDirectory:
        """This directory, with the roster of the conversation a command was typed in."""
        return TeamsDirectory(self.graph, self.default_timezone, roster)

    def lookup(self, user_id: str | None = None, email: str | None = None) -> Person:
        who = email or user_id or ""
        member = None
        if who.startswith("29:"):  # a mention: only its conversation's roster knows it
            if self.roster is None:
                raise UnknownPerson(
                    f"ExitBot cannot tell who {who} is from here: give their e-mail instead."
                )
            member = self.roster(who)
            who = member.user_id
        if self.graph is None:
            if member is not None:
                return member
            raise UnknownPerson(
                f"ExitBot cannot look up {who} in Teams: Microsoft Graph is not set up "
                "(see the README's Teams set-up), so mention them in a channel instead."
            )
        try:
            return self._from_graph(self.graph, who, member)
        except GraphError as exc:
            raise UnknownPerson(f"Microsoft Graph could not look up {who}: {exc.reason}") from exc

    def _from_graph(self, graph: Graph, who: str, member: Person | None) -> Person:
        found = graph.user(who)
        if found is None:
            raise UnknownPerson(f"Teams has no user {who}.")
        if not found.enabled:
            raise UnknownPerson(
                f"{found.display_name}'s account is disabled: ExitBot cannot message them."
            )
        return Person(
            platform=PLATFORM,
            user_id=found.id,
            display_name=found.display_name,
            email=found.email or (member.email if member else None),
            timezone=graph.time_zone(found.id) or self.default_timezone,
            department=found.department,
            manager=graph.manager(found.id),
            locale=graph.locale(found.id),
        )
