"""Everything ExitBot says to the employee, in one place, so the tone stays one voice and a
translator finds every sentence here. Plain text: each platform escapes and lays it out.
(What HR read is laid out in core/layout.py; the question bank holds the questions.)"""

from __future__ import annotations

from datetime import datetime

CONTROLS = (
    "You can type “skip” to pass on a question, “back” to change your last answer, "
    "“later” to pause, or “stop” to end the interview. “help” shows this again."
)
STRANGER = (
    "Hi! I'm ExitBot, the HR team's exit-interview assistant. I don't have an interview "
    "for you right now, so there's nothing you need to do."
)
CLOSED = (
    "Your exit interview is closed, thank you. If there's anything you'd like to add, "
    "please reach out to HR directly."
)
CANCELLED_BY_HR = (
    "HR have closed your exit interview, so there's nothing more to answer. Thank you for "
    "your time."
)
WELCOME_BACK = "Welcome back! Here's where we were:"
WELCOME_BACK_SHORT = "Welcome back!"
STOPPED = (
    "Understood, we'll stop here. The answers you already gave will still reach HR; nothing "
    "more will be asked. Thank you for your time, and all the best."
)
NOTHING_BEFORE = "This is the first question, so there's nothing to go back to."
CANNOT_SKIP = (
    "This one matters most for the interview, so I can't skip it. A short answer is fine, or "
    "say “stop” if you'd rather end here."
)
ABANDONED = (
    "I haven't heard back, so I've closed your exit interview. Thank you for the answers you "
    "gave; they will reach HR. All the best!"
)
ALREADY_ANSWERED = "You've already answered that one. To change your last answer, type “back”."
OLD_BUTTON = "That button belongs to an earlier message."
# After someone tells of harassment, discrimination, retaliation, danger, unpaid work or being
# pushed out: thanks and their choice, never a probe for detail.
DISCLOSURE_FOLLOW_UP = (
    "Thank you for telling us. Would you like HR to contact you about this? "
    "A yes or no is fine, and you can say no."
)


def disclosure_alert(name: str, interview_id: str) -> str:
    """HR's own post, sent as it happens, not only in the summary at the end."""
    return (
        f"{name} has told ExitBot, in their exit interview, of something HR must act on "
        "(harassment, discrimination, retaliation, a danger at work, unpaid work or being "
        "pushed out). They are being asked whether they want HR to contact them. Ask ExitBot "
        f"for the report on them to read it (id {interview_id})."
    )


def privacy_notice(
    retention_days: int | None, model_host: str | None, redacts_contacts: bool
) -> str:
    """What happens to the answers, said as it is configured (never more, never less)."""
    if retention_days:
        kept = (
            f"After {retention_days} days your own words are deleted; the reason you pick, "
            "your ratings and your choices are kept without them, for HR's statistics."
        )
    else:
        kept = "HR keep your answers until they delete them."
    if model_host:
        taken_out = (
            " (with e-mail addresses and phone numbers taken out)" if redacts_contacts else ""
        )
        model = (
            f"To summarise them, ExitBot sends your answers{taken_out} to an AI model at "
            f"{model_host}."
        )
    else:
        model = "No AI service outside ExitBot sees them."
    return f"{kept} {model} You can ask HR to delete everything you said, at any time."


def kept_for(retention_days: int | None) -> str:
    """For {kept} in the bank's intro and closing."""
    if retention_days:
        return f"for {retention_days} days (then your own words are deleted)"
    return "until HR delete them"


QUESTION_GONE = (
    "(The question you were on has since been taken out of the interview: on to the next.)"
)


WHEN_TO_CHECK_BACK = (
    "When should I check back? Pick one, or say “later” with a time (“later tomorrow 3pm”)."
)
FOLLOW_UP_LEFT = "Leaving that follow-up question unanswered. Back to the question it was about:"
FOLLOW_UP_REPLACED = (
    "What you added after this one goes with it if you change your answer (“skip” keeps both)."
)


def not_yet(due_at: datetime | None) -> str:
    when = f" on {due_at:%A %-d %B}" if due_at else " soon"
    return (
        f"Hi! Your exit interview opens{when}; I'll message you then. "
        "There's nothing you need to do before that."
    )


def paused(when: str) -> str:
    return (
        f"No problem, your answers so far are saved. I'll check back {when}, or send me any "
        "message when you're ready and we'll pick up right where you left off."
    )


def checking_in(name: str) -> str:
    return f"Hi again, {name}! You asked me to check back now. Here's where we were:"


def reminder(name: str) -> str:
    return (
        f"Hi {name}, just a gentle nudge: your exit interview is still open, and every answer "
        "helps. Say “later” if now isn't a good time, or “stop” to end it. Here's where we were:"
    )


def did_not_fit(hint: str, required: bool) -> str:
    escape = "" if required else ", or say “skip”"
    return f"Sorry, I didn't catch that. Please answer with {hint}{escape}."
