"""Everything ExitBot says to the employee, in one place, so the tone stays one voice and a
translator finds every sentence in the catalog (core/speech.py): constants are marked with
`N_` and said through the employee's `Speech`; a sentence with a value in it is a function
of the speech. Plain text: each platform escapes and lays it out. (What HR read is laid out
in core/layout.py; the question bank holds the questions.)"""

from __future__ import annotations

from datetime import datetime

from core.speech import N_, Speech, words

CONTROLS = N_(
    "You can type “skip” to pass on a question, “back” to change your last answer, "
    "“later” to pause, or “stop” to end the interview. “help” shows this again. "
    "To answer in another language, type “language:” and its name."
)
STRANGER = N_(
    "Hi! I'm ExitBot, the HR team's exit-interview assistant. I don't have an interview "
    "for you right now, so there's nothing you need to do."
)
CLOSED = N_(
    "Your exit interview is closed, thank you. If there's anything you'd like to add, "
    "please reach out to HR directly."
)
CANCELLED_BY_HR = N_(
    "HR have closed your exit interview, so there's nothing more to answer. Thank you for "
    "your time."
)
WELCOME_BACK = N_("Welcome back! Here's where we were:")
WELCOME_BACK_SHORT = N_("Welcome back!")
STOPPED = N_(
    "Understood, we'll stop here. The answers you already gave will still reach HR; nothing "
    "more will be asked. Thank you for your time, and all the best."
)
NOTHING_BEFORE = N_("This is the first question, so there's nothing to go back to.")
CANNOT_SKIP = N_(
    "This one matters most for the interview, so I can't skip it. A short answer is fine, or "
    "say “stop” if you'd rather end here."
)
ABANDONED = N_(
    "I haven't heard back, so I've closed your exit interview. Thank you for the answers you "
    "gave; they will reach HR. All the best!"
)
ALREADY_ANSWERED = N_("You've already answered that one. To change your last answer, type “back”.")
OLD_BUTTON = N_("That button belongs to an earlier message.")
# After someone tells of harassment, discrimination, retaliation, danger, unpaid work or being
# pushed out: thanks and their choice, never a probe for detail. Stored as written here
# (HR read it so), said in the employee's language.
DISCLOSURE_FOLLOW_UP = N_(
    "Thank you for telling us. Would you like HR to contact you about this? "
    "A yes or no is fine, and you can say no."
)
QUESTION_GONE = N_(
    "(The question you were on has since been taken out of the interview: on to the next.)"
)
WHEN_TO_CHECK_BACK = N_(
    "When should I check back? Pick one, or say “later” with a time (“later tomorrow 3pm”)."
)
FOLLOW_UP_LEFT = N_(
    "Leaving that follow-up question unanswered. Back to the question it was about:"
)
FOLLOW_UP_REPLACED = N_(
    "What you added after this one goes with it if you change your answer (“skip” keeps both)."
)
# How a question's buttons and earlier answer are explained under it (each platform).
TAP_OR_TYPE = N_("Tap a button, or type the answer or its number.")
OR_TYPE = N_("Or type the answer or its number.")
SUBMIT = N_("Answer")
# How often HR look at all interviews together (the digest's schedule), for {review}.
EACH_DAY = N_("each day")
EACH_WEEK = N_("each week")
EVERY_FEW_DAYS = N_("every few days")
EACH_MONTH = N_("each month")
EVERY_FEW_MONTHS = N_("every few months")
# When someone has no name ExitBot knows: "Hi there".
THERE = N_("there")

# The three times offered when `later`'s time was unclear, each as its button reads; typed,
# each reads as it does in English ("later tomorrow").
CHECK_BACK_LABELS = {
    "in an hour": N_("Later in an hour"),
    "tomorrow": N_("Later tomorrow"),
    "next week": N_("Later next week"),
}

# The words people type back, a comma-separated list per meaning (see core/speech.py).
# Translators: each of these is a list of words, separated by commas, that people may type.
WORDS_SKIP = N_("skip")
WORDS_BACK = N_("back")
WORDS_LATER = N_("later")
WORDS_STOP = N_("stop")
WORDS_HELP = N_("help")
WORDS_YES = N_("yes, y, yeah, yep, yup, sure, definitely, absolutely, of course, ok")
WORDS_NO = N_("no, n, nope, nah, never, no way, not really, definitely not")
WORDS_MAYBE = N_("maybe, perhaps, possibly, not sure, unsure, depends, it depends, idk")
WORDS_OUT_OF = N_("out of, of")
WORDS_LANGUAGE = N_("language")


def control_words(speech: Speech) -> dict[str, frozenset[str]]:
    """skip, back, later, stop and help, as the employee may type each."""
    return {
        english: words(speech, english)
        for english in (WORDS_SKIP, WORDS_BACK, WORDS_LATER, WORDS_STOP, WORDS_HELP)
    }


def privacy_notice(
    speech: Speech, retention_days: int | None, model_host: str | None, redacts_contacts: bool
) -> str:
    """What happens to the answers, said as it is configured (never more, never less)."""
    _ = speech.gettext
    if retention_days:
        kept = speech.ngettext(
            "After {days} day your own words are deleted; the reason you pick, your ratings "
            "and your choices are kept without them, for HR's statistics.",
            "After {days} days your own words are deleted; the reason you pick, your ratings "
            "and your choices are kept without them, for HR's statistics.",
            retention_days,
        ).format(days=retention_days)
    else:
        kept = _("HR keep your answers until they delete them.")
    if model_host:
        if redacts_contacts:
            model = _(
                "To summarise them, ExitBot sends your answers (with e-mail addresses and "
                "phone numbers taken out) to an AI model at {host}."
            )
        else:
            model = _("To summarise them, ExitBot sends your answers to an AI model at {host}.")
        model = model.format(host=model_host)
    else:
        model = _("No AI service outside ExitBot sees them.")
    rights = _("You can ask HR to delete everything you said, at any time.")
    return f"{kept} {model} {rights}"


def kept_for(speech: Speech, retention_days: int | None) -> str:
    """For {kept} in the bank's intro and closing."""
    if retention_days:
        return speech.ngettext(
            "for {days} day (then your own words are deleted)",
            "for {days} days (then your own words are deleted)",
            retention_days,
        ).format(days=retention_days)
    return speech.gettext("until HR delete them")


def not_yet(speech: Speech, due_at: datetime | None) -> str:
    if due_at is None:
        text = speech.gettext(
            "Hi! Your exit interview opens soon; I'll message you then. "
            "There's nothing you need to do before that."
        )
        return text
    return speech.gettext(
        "Hi! Your exit interview opens on {day}; I'll message you then. "
        "There's nothing you need to do before that."
    ).format(day=speech.day(due_at.date()))


def paused(speech: Speech, when: str) -> str:
    return speech.gettext(
        "No problem, your answers so far are saved. I'll check back {when}, or send me any "
        "message when you're ready and we'll pick up right where you left off."
    ).format(when=when)


def checking_in(speech: Speech, name: str) -> str:
    return speech.gettext(
        "Hi again, {name}! You asked me to check back now. Here's where we were:"
    ).format(name=name)


def reminder(speech: Speech, name: str) -> str:
    return speech.gettext(
        "Hi {name}, just a gentle nudge: your exit interview is still open, and every answer "
        "helps. Say “later” if now isn't a good time, or “stop” to end it. Here's where we were:"
    ).format(name=name)


def did_not_fit(speech: Speech, hint: str, required: bool) -> str:
    if required:
        text = speech.gettext("Sorry, I didn't catch that. Please answer with {hint}.")
    else:
        text = speech.gettext(
            "Sorry, I didn't catch that. Please answer with {hint}, or say “skip”."
        )
    return text.format(hint=hint)


def answered_before(speech: Speech, answer: str) -> str:
    """Under a question revisited with `back`."""
    text = speech.gettext("You answered: {answer}. Send a new answer, or “skip” to keep it.")
    return text.format(answer=answer)


def speaking(speech: Speech) -> str:
    """After "language: Deutsch": said in the new language."""
    return speech.gettext("From now on I'll write in English.")


def languages_offered(speech: Speech, names: str, example: str) -> str:
    return speech.gettext(
        "I can interview you in {names}. Type, for example, “language: {example}”."
    ).format(names=names, example=example)


def when_later(speech: Speech, days: int, moment: datetime) -> str:
    """`today at 15:00`, `tomorrow at 10:00`, `on Monday at 10:00` (local `moment`)."""
    clock = speech.clock(moment.time())
    if days == 0:
        return speech.gettext("today at {time}").format(time=clock)
    if days == 1:
        return speech.gettext("tomorrow at {time}").format(time=clock)
    if days < 7:
        return speech.gettext("on {weekday} at {time}").format(
            weekday=speech.weekday(moment.date()), time=clock
        )
    return speech.gettext("on {day} at {time}").format(day=speech.day(moment.date()), time=clock)
