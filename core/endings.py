"""When an interview ends, HR hear about it: the analyst reads the answers once and the
summary goes to the HR channel of the employee's platform, in the same unit of work."""

from __future__ import annotations

from dataclasses import dataclass

from core.interview import Interview, InterviewState
from core.messages import Address, SummaryMessage
from core.ports import Analyst, UnitOfWork, Usage
from core.questions import QuestionBank
from core.reporting import build_summary, transcript

# Terminal states HR hear about in their channel; a CANCELLED one is their own doing.
REPORTED_ENDINGS = frozenset(
    {
        InterviewState.COMPLETED,
        InterviewState.DECLINED,
        InterviewState.ABANDONED,
        InterviewState.UNREACHABLE,
    }
)


@dataclass
class Endings:
    bank: QuestionBank
    analyst: Analyst

    def report_if_ended(self, uow: UnitOfWork, interview: Interview) -> None:
        if interview.state not in REPORTED_ENDINGS or interview.analysis is not None:
            return
        usage = Usage()
        analysis = self.analyst.summarize(transcript(interview, self.bank), usage=usage)
        interview.charge(usage)
        interview.analysis = analysis
        summary = build_summary(interview, self.bank, analysis)
        uow.outbox.add(
            Address.hr(interview.employee.platform), SummaryMessage(summary=summary), interview.id
        )
