"""The answers and transitions of the open interviews this process last read or wrote, by
version, so that the next answer to one reads its row and not all its parts again.

Every answer loads its interview: on PostgreSQL its answers and its transitions were two of
the dozen round trips an answer took, and their rows a third of the loading's CPU. A change
to either always bumps the interview's version (the repository writes them with it), and a
version is never given twice, so parts kept under the version the row has now are the
parts in the database: another process's write, an erasure, a failed commit all leave the
row at a version this holds nothing for, and the interview is read whole again.

Only open interviews are kept (an ended one's words leave at its last write), at most
`size` of them, and a person forgotten leaves at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from core.interview import Answer, Interview, Transition

T = TypeVar("T")
SIZE = 2000
# Forgotten people remembered (their ids only, never reused), so that a thread that
# committed an answer just before the forget cannot keep their words after it.
FORGOTTEN = 10_000


def shallow_copy(thing: T) -> T:
    """A copy sharing its fields' values (copy.copy takes pickling's way round: five times
    as long, and a loaded interview copies its person and every answer)."""
    twin = object.__new__(type(thing))
    twin.__dict__.update(thing.__dict__)
    return twin


@dataclass(frozen=True)
class Parts:
    version: int
    person_id: str
    # Never changed once kept: copies go in and copies come out (an Answer is mutable).
    answers: Mapping[str, Answer]
    transitions: tuple[Transition, ...]


class OpenInterviews:
    def __init__(self, size: int = SIZE) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._parts: OrderedDict[str, Parts] = OrderedDict()
        self._forgotten: OrderedDict[str, None] = OrderedDict()

    def parts(
        self, interview_id: str, version: int
    ) -> tuple[dict[str, Answer], list[Transition]] | None:
        """Copies of its answers and transitions at `version`, if that is what is kept."""
        with self._lock:
            kept = self._parts.get(interview_id)
            if kept is None or kept.version != version:
                return None
            self._parts.move_to_end(interview_id)
        answers = {qid: shallow_copy(answer) for qid, answer in kept.answers.items()}
        return answers, list(kept.transitions)

    def keep(self, interview: Interview, version: int) -> None:
        """Its parts as the database holds them at `version` (read, or committed)."""
        parts = Parts(
            version,
            interview.employee.id,
            {qid: shallow_copy(answer) for qid, answer in interview.answers.items()},
            tuple(interview.transitions),
        )
        with self._lock:
            if not interview.state.is_open or parts.person_id in self._forgotten:
                self._parts.pop(interview.id, None)
                return
            kept = self._parts.get(interview.id)
            # Two threads may keep one interview in either order: the later version wins.
            if kept is not None and kept.version > version:
                return
            self._parts[interview.id] = parts
            self._parts.move_to_end(interview.id)
            while len(self._parts) > self._size:
                self._parts.popitem(last=False)

    def forget_person(self, person_id: str) -> None:
        with self._lock:
            self._forgotten[person_id] = None
            while len(self._forgotten) > FORGOTTEN:
                self._forgotten.popitem(last=False)
            for interview_id in [i for i, p in self._parts.items() if p.person_id == person_id]:
                del self._parts[interview_id]

    def holds(self, interview_id: str) -> bool:
        with self._lock:
            return interview_id in self._parts
