"""The HR API's use cases on a real database: keys, kept answers, departures it cannot place."""

from __future__ import annotations

from datetime import date

from bot.api_keys import new_key
from bot.container import App
from core.commands import PersonRef
from core.departures import Departure
from core.interview import Person
from core.ports import StoredResponse
from tests.conftest import PLATFORM, FakeClock


def test_a_key_opens_only_while_it_lives_and_only_as_itself(app: App) -> None:
    key = new_key()
    made = app.api.add_key("workday", frozenset({"interviews:read"}), key, by="shell:root")
    assert app.api.key_for(key) == made
    assert app.api.key_for(key[:-2] + "zz") is None  # its prefix, another secret
    assert app.api.key_for("exb_nothing") is None and app.api.key_for("Bearer x") is None
    assert app.api.revoke("workday", by="shell:root").revoked_at is not None
    assert app.api.key_for(key) is None


def test_kept_answers_last_a_day_and_never_outlive_an_erasure(app: App, clock: FakeClock) -> None:
    key = app.api.add_key("hris", frozenset({"departures:write"}), new_key(), by="shell:root")
    answer = StoredResponse("f" * 64, 200, '{"results": []}')
    assert app.api.remember(key, "batch-1", answer)
    assert app.api.answered(key, "batch-1") == answer
    clock.advance(hours=25)
    assert app.api.answered(key, "batch-1") is None  # a new request from now on
    app.intake.prune()
    clock.advance(hours=-25)
    assert app.api.answered(key, "batch-1") is None  # and the row is gone

    assert app.api.remember(key, "batch-2", answer)
    leo = Person(PLATFORM, "ULEO", "Leo Park", "leo@acme.test")
    app.hr.schedule(leo, clock.now())
    app.hr.forget(leo, by="api:hris")
    assert app.api.answered(key, "batch-2") is None


def test_a_departure_on_no_platform_or_one_not_set_up_is_rejected_with_why(app: App) -> None:
    key = app.api.add_key("hris", frozenset({"departures:write"}), new_key(), by="shell:root")
    unnamed = Departure(0, PersonRef(email="jane@acme.test"), date(2030, 3, 27))
    teams = Departure(1, PersonRef(email="leo@acme.test"), date(2030, 3, 27), platform="teams")
    placed = app.api.push(key, [unnamed, teams])
    assert [(p.how, p.reason) for p in placed] == [
        ("rejected", "say which platform they are on (slack or teams)"),
        ("rejected", "ExitBot is not set up to find people on teams"),
    ]
    assert app.views.open_interviews() == []
