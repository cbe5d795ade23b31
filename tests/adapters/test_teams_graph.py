"""People and installs through Microsoft Graph, against the loopback Graph over the same
tenant as the Teams connector stand-in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.storage.references import SqlReferenceStore
from adapters.teams.directory import TeamsDirectory
from adapters.teams.graph import Graph, iana_zone
from adapters.teams.install import Installer
from bot.container import App
from core.ports import DeliveryError, RecipientUnreachable, UnknownPerson
from tests.conftest import FakeClock
from tests.e2e.server import free_port
from tests.standins.graph import CATALOG_APP, GraphStandIn


@pytest.fixture
def client(graph: GraphStandIn) -> Iterator[Graph]:
    made = Graph(graph.url, lambda: None)
    yield made
    made.close()


def test_a_person_by_e_mail_with_manager_department_and_mailbox_zone(
    client: Graph, graph: GraphStandIn
) -> None:
    graph.timezones["aad-jane"] = "W. Europe Standard Time"
    graph.departments["aad-jane"] = "Logistics"
    graph.managers["aad-jane"] = "Mo Manager"
    person = TeamsDirectory(client, "America/Chicago").lookup(email="JANE@acme.test")
    assert (person.user_id, person.display_name, person.email) == (
        "aad-jane",
        "Jane Doe",
        "jane@acme.test",
    )
    assert (person.department, person.manager, person.timezone) == (
        "Logistics",
        "Mo Manager",
        "Europe/Berlin",
    )
    graph.mailbox_readable = False  # MailboxSettings.Read not granted: the default zone
    assert TeamsDirectory(client, "America/Chicago").lookup(user_id="aad-jane").timezone == (
        "America/Chicago"
    )


def test_nobody_disabled_and_graph_away_are_each_said_plainly(
    client: Graph, graph: GraphStandIn
) -> None:
    directory = TeamsDirectory(client, "UTC")
    with pytest.raises(UnknownPerson, match=r"Teams has no user nobody@acme\.test"):
        directory.lookup(email="nobody@acme.test")
    graph.disabled.add("aad-jane")
    with pytest.raises(UnknownPerson, match="Jane Doe's account is disabled"):
        directory.lookup(email="jane@acme.test")
    away = TeamsDirectory(Graph(f"http://127.0.0.1:{free_port()}/v1.0", lambda: None), "UTC")
    with pytest.raises(UnknownPerson, match=r"Microsoft Graph could not look up jane@acme\.test"):
        away.lookup(email="jane@acme.test")
    with pytest.raises(UnknownPerson, match="give their e-mail instead"):
        directory.lookup(user_id="29:jane")  # a mention, with no conversation to look in


def test_windows_zone_names_become_iana() -> None:
    assert iana_zone("Pacific Standard Time") == "America/Los_Angeles"
    assert iana_zone("Europe/Lisbon") == "Europe/Lisbon"
    assert iana_zone("Not A Zone") is None and iana_zone(None) is None


@pytest.fixture
def references(clock: FakeClock, app: App) -> SqlReferenceStore:
    store = SqlReferenceStore(app.engine, clock, "teams")
    store.save("user:aad-hr", {"serviceUrl": "https://smba.example/", "bot": {"id": "28:bot"}})
    return store


def test_installing_for_someone_new_gives_their_personal_chat(
    client: Graph, graph: GraphStandIn, references: SqlReferenceStore
) -> None:
    reference = Installer(client, CATALOG_APP, references).reach("aad-never")
    assert reference["conversation"]["id"] == "19:aad-never_exitbot@unq.gbl.spaces"
    assert reference["serviceUrl"] == "https://smba.example/"
    assert reference["bot"] == {"id": "28:bot"}
    # Installed already (409): fine, the same chat.
    again = Installer(client, CATALOG_APP, references).reach("aad-never")
    assert again["conversation"] == reference["conversation"]


def test_a_refusal_is_final_and_graph_away_is_tried_again(
    client: Graph, graph: GraphStandIn, references: SqlReferenceStore
) -> None:
    graph.blocked.add("aad-never")
    with pytest.raises(RecipientUnreachable) as refused:
        Installer(client, CATALOG_APP, references).reach("aad-never")
    assert str(refused.value).endswith("App is blocked by app permission policy")
    away = Graph(f"http://127.0.0.1:{free_port()}/v1.0", lambda: None)
    with pytest.raises(DeliveryError) as later:
        Installer(away, CATALOG_APP, references).reach("aad-never")
    assert not isinstance(later.value, RecipientUnreachable)
    with pytest.raises(RecipientUnreachable, match="EXITBOT_TEAMS_APP_ID"):
        Installer(client, None, references).reach("aad-never")
