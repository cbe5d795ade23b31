"""The reasons-for-leaving taxonomy (docs/reasons.md): fixed ids so numbers add up over time."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    CAREER_GROWTH = "career_growth"
    COMPENSATION = "compensation"
    MANAGER = "manager"
    WORK_LIFE_BALANCE = "work_life_balance"
    WELLBEING = "wellbeing"
    JOB_FIT = "job_fit"
    CULTURE = "culture"
    RELOCATION = "relocation"
    PERSONAL = "personal"
    RETIREMENT = "retirement"
    INVOLUNTARY = "involuntary"
    OTHER_OPPORTUNITY = "other_opportunity"
    OTHER = "other"

    @property
    def label(self) -> str:
        return REASON_LABELS[self]


REASON_LABELS: dict[Reason, str] = {
    Reason.CAREER_GROWTH: "Career growth",
    Reason.COMPENSATION: "Pay and benefits",
    Reason.MANAGER: "Manager",
    Reason.WORK_LIFE_BALANCE: "Work-life balance",
    Reason.WELLBEING: "Health and wellbeing",
    Reason.JOB_FIT: "The role itself",
    Reason.CULTURE: "Team and culture",
    Reason.RELOCATION: "Relocation or commute",
    Reason.PERSONAL: "Personal or family reasons",
    Reason.RETIREMENT: "Retirement",
    Reason.INVOLUNTARY: "Layoff, dismissal or end of contract",
    Reason.OTHER_OPPORTUNITY: "Another opportunity",
    Reason.OTHER: "Something else",
}
