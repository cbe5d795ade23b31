"""An analyst's reading of one interview: a typed value, whoever wrote it (the offline
analyst or a model)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.taxonomy import Reason

Sentiment = Literal["positive", "mixed", "neutral", "negative"]

# Fields that may carry the employee's words (verbatim or paraphrased by a model).
QUOTING_FIELDS = frozenset({"quotes", "kept_by", "signals", "suggested_action", "translations"})


Disclosure = Literal[
    "harassment", "discrimination", "retaliation", "safety", "wage_hour", "pushed_out"
]
DISCLOSURE_LABELS: dict[str, str] = {
    "harassment": "harassment",
    "discrimination": "discrimination",
    "retaliation": "retaliation for speaking up",
    "safety": "a danger at work",
    "wage_hour": "unpaid work or denied breaks",
    "pushed_out": "being pushed out",
}


class Analysis(BaseModel):
    """An analyst's reading of one interview; the shape is fixed whoever wrote it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    primary_reason: Reason | None = None
    secondary_reasons: Annotated[list[Reason], Field(max_length=5)] = []
    # What HR must act on, whatever the reason for leaving (harassment, discrimination,
    # retaliation, safety, wage_hour, pushed_out).
    disclosures: Annotated[list[Disclosure], Field(max_length=6)] = []
    sentiment: Sentiment = "neutral"
    quotes: Annotated[list[str], Field(max_length=3)] = []
    kept_by: str | None = None
    would_return: bool | None = None
    # Signs HR would regret this departure (a strong performer, would come back, ...).
    regrettable_loss: bool | None = None
    signals: Annotated[list[str], Field(max_length=5)] = []
    suggested_action: str | None = None
    # The employee's words (an answer, exactly) -> the same in HR's language, when a model
    # read an interview held in another language.
    translations: dict[str, str] = {}
    # The language of words this reader could not read (the offline analyst reads English):
    # nothing above was coded from them.
    unread_language: str | None = None

    def without_words(self) -> Analysis:
        """The reading with whatever may quote the employee taken out; the coded reasons
        and the sentiment stay."""
        return self.model_copy(
            update={name: Analysis.model_fields[name].default for name in QUOTING_FIELDS}
        )
