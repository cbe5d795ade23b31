"""The state table: every legal transition works and is recorded, every other one raises."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from core.interview import (
    TRANSITIONS,
    IllegalTransition,
    Interview,
    InterviewNotInProgress,
    InterviewState,
    Person,
    Trigger,
)

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
S = InterviewState

# Written out by hand on purpose: a change to the table must change this test too.
LEGAL = {
    (S.SCHEDULED, Trigger.START): S.IN_PROGRESS,
    (S.SCHEDULED, Trigger.CANCEL): S.CANCELLED,
    (S.SCHEDULED, Trigger.MARK_UNREACHABLE): S.UNREACHABLE,
    (S.IN_PROGRESS, Trigger.COMPLETE): S.COMPLETED,
    (S.IN_PROGRESS, Trigger.ABANDON): S.ABANDONED,
    (S.IN_PROGRESS, Trigger.DECLINE): S.DECLINED,
    (S.IN_PROGRESS, Trigger.CANCEL): S.CANCELLED,
    (S.IN_PROGRESS, Trigger.MARK_UNREACHABLE): S.UNREACHABLE,
}
ALL_PAIRS = list(itertools.product(InterviewState, Trigger))


def interview_in(state: InterviewState) -> Interview:
    interview = Interview(employee=Person(platform="test", user_id="U1"), created_at=AT)
    interview.state = state
    return interview


def test_the_table_is_the_one_we_designed() -> None:
    assert TRANSITIONS == LEGAL


@pytest.mark.parametrize(("state", "trigger"), list(LEGAL))
def test_legal_transition_moves_and_is_recorded(state: InterviewState, trigger: Trigger) -> None:
    interview = interview_in(state)
    interview.fire(trigger, AT, "because")
    assert interview.state is LEGAL[(state, trigger)]
    [recorded] = interview.transitions
    assert (recorded.from_state, recorded.to_state, recorded.trigger) == (
        state,
        LEGAL[(state, trigger)],
        trigger,
    )
    assert (recorded.at, recorded.reason) == (AT, "because")


@pytest.mark.parametrize(("state", "trigger"), [pair for pair in ALL_PAIRS if pair not in LEGAL])
def test_illegal_transition_is_rejected_and_changes_nothing(
    state: InterviewState, trigger: Trigger
) -> None:
    interview = interview_in(state)
    with pytest.raises(IllegalTransition) as raised:
        interview.fire(trigger, AT, "because")
    assert raised.value.state is state and raised.value.trigger is trigger
    assert f"cannot {trigger.value}" in str(raised.value)
    assert interview.state is state
    assert interview.transitions == []


def test_terminal_states_have_no_way_out() -> None:
    for state in InterviewState:
        if not state.is_open:
            assert not any(interview_in(state).can(t) for t in Trigger)


def test_closing_clears_what_was_waiting_for_an_answer() -> None:
    interview = interview_in(S.IN_PROGRESS)
    interview.ask("q1")
    interview.fire(Trigger.DECLINE, AT, "stop")
    assert interview.pending_question is None
    assert interview.ended_at == AT


@pytest.mark.parametrize("state", [s for s in InterviewState if s is not S.IN_PROGRESS])
def test_answers_only_change_while_in_progress(state: InterviewState) -> None:
    interview = interview_in(state)
    with pytest.raises(InterviewNotInProgress):
        interview.record_answer("q1", "x", AT)
    with pytest.raises(InterviewNotInProgress):
        interview.ask("q1")
    assert interview.answers == {}


def test_step_back_walks_the_answered_questions_backwards() -> None:
    interview = interview_in(S.IN_PROGRESS)
    interview.record_answer("q1", "a", AT)
    interview.record_answer("q2", "b", AT)
    assert interview.step_back() == "q2"
    assert interview.step_back() == "q1"
    assert interview.step_back() is None
    assert interview.answers["q1"].value == "a"  # going back forgets nothing


def test_answering_again_replaces_the_answer_and_its_follow_up() -> None:
    interview = interview_in(S.IN_PROGRESS)
    interview.record_answer("q1", "short", AT)
    interview.ask_followup("Say more?")
    interview.record_followup_answer("more", AT)
    interview.record_answer("q1", "a longer answer", AT)
    answer = interview.answers["q1"]
    assert (answer.value, answer.followup_question, answer.followup_answer) == (
        "a longer answer",
        None,
        None,
    )
    assert interview.history == ["q1"]
