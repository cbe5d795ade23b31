"""When an interview ends, HR hear about it: after the ending is committed, the analyst reads
the answers with no unit of work open, and the summary is committed for the HR channel of
the employee's platform in a unit of its own. A process that stops in between leaves the
interview unsummarised, and `Jobs.report_endings` finishes it later; the version check lets
only one summary through."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.interview import InterviewEnded
from core.messages import Address, Lane, SummaryMessage
from core.ports import Analyst, UnitOfWork, Usage
from core.questions import QuestionBank
from core.reporting import build_summary, transcript
from core.transactions import Transactions


@dataclass
class Endings:
    transactions: Transactions
    bank: QuestionBank
    analyst: Analyst
    # The language of an interview nobody chose one for (EXITBOT_DEFAULT_LANGUAGE).
    default_language: str = "en"
    # Where the ended interview is read for the analyst: a unit that only reads (on SQLite
    # it waits for no writer and holds up none); the transactions' own when not given.
    read: Callable[[], UnitOfWork] | None = None

    def on_ended(self, event: InterviewEnded) -> None:
        self.report(event.interview_id)

    def report(self, interview_id: str) -> bool:
        """Summarise an ended interview for HR, unless that was done; True when this did."""
        with (self.read or self.transactions.uow)() as uow:
            interview = uow.interviews.get(interview_id)
            if interview is None or not interview.awaits_summary:
                return False
            entries = transcript(interview, self.bank)
            language = interview.language or self.default_language
        usage = Usage()
        analysis = self.analyst.summarize(entries, usage=usage, language=language)

        def work(uow: UnitOfWork) -> bool:
            interview = uow.interviews.get(interview_id)
            if interview is None or not interview.awaits_summary:
                return False  # summarised meanwhile (another process), or erased
            interview.charge(usage)
            interview.analysis = analysis
            summary = build_summary(interview, self.bank, analysis)
            to = Address.hr(interview.employee.platform)
            uow.outbox.add(to, SummaryMessage(summary=summary), interview.id, Lane.BULK)
            return True

        return self.transactions.run(work)
