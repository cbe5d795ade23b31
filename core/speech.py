"""The languages ExitBot speaks to employees. Every sentence the employee sees is an English
message id, marked where it is written (`N_` for a constant, `speech.gettext(...)` in
place) so that Babel extracts it into the catalog, and said through the employee's
`Speech`. English needs no catalog; the others are .po files read by adapters/catalogs.

Words the employee types back (`skip`, `yes`, the `later` of a pause) are catalog
entries too: a comma-separated list in each language.
The English words always work as well, because people mix them in."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from typing import Protocol

ENGLISH = "en"


def N_(message: str) -> str:
    """Marks `message` for the catalog where it is defined; it is translated where it is
    said (`speech.gettext(CONSTANT)`)."""
    return message


class Speech(Protocol):
    """One language: its messages, its words and how it writes a day and a time."""

    @property
    def language(self) -> str: ...

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...

    def day(self, day: date) -> str:
        """A day as people write it in letters: "Monday 7 December"."""
        ...

    def weekday(self, day: date) -> str:
        """ "Monday" """
        ...

    def clock(self, moment: time) -> str:
        """ "15:00" """
        ...


class English:
    """English, the language the messages are written in: no catalog needed."""

    language = ENGLISH

    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural

    def day(self, day: date) -> str:
        return f"{day:%A} {day.day} {day:%B}"

    def weekday(self, day: date) -> str:
        return f"{day:%A}"

    def clock(self, moment: time) -> str:
        return f"{moment:%H:%M}"


def fold(text: str) -> str:
    """How typed words are compared: case, accents kept (sí is not si), spacing folded."""
    return " ".join(text.casefold().split())


def plain(text: str) -> str:
    """`text` without its accents ("espanol" for "español"): how people type on a keyboard
    that lacks them."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(speech: Speech, english: str) -> frozenset[str]:
    """The words that mean what `english` lists, in the speech's language and in English:
    each such catalog entry is a comma-separated list."""
    said = {fold(w) for w in english.split(",")}
    said |= {fold(w) for w in speech.gettext(english).split(",")}
    return frozenset(w for w in said if w)


def base_language(tag: str | None) -> str | None:
    """ "es-ES", "es_ES" and "ES" are "es"; None for nothing usable."""
    if not tag:
        return None
    code = tag.replace("_", "-").split("-")[0].strip().casefold()
    return code if code.isalpha() and 2 <= len(code) <= 3 else None


@dataclass
class Languages:
    """The languages ExitBot can interview in, by code; `default` when nobody said which
    (EXITBOT_DEFAULT_LANGUAGE)."""

    speeches: Mapping[str, Speech] = field(default_factory=lambda: {ENGLISH: English()})
    default: str = ENGLISH
    # What people call each language, in any of the languages here ("deutsch", "german",
    # "alemán"), folded, to its code: for "language: Deutsch".
    names: Mapping[str, str] = field(default_factory=lambda: {"english": ENGLISH})
    # Each language's name in itself ("Deutsch"), as it is offered.
    own_names: Mapping[str, str] = field(default_factory=lambda: {ENGLISH: "English"})

    def __post_init__(self) -> None:
        if self.default not in self.speeches:
            raise ValueError(
                f"the default language {self.default!r} is not one of "
                f"{', '.join(sorted(self.speeches))}"
            )

    @property
    def codes(self) -> list[str]:
        return list(self.speeches)

    def supported(self, tag: str | None) -> str | None:
        """The code of a language ExitBot speaks for a tag such as "de-AT", or None."""
        code = base_language(tag)
        return code if code in self.speeches else None

    def speech(self, language: str | None) -> Speech:
        return self.speeches[self.supported(language) or self.default]

    def effective(self, language: str | None) -> str:
        return self.supported(language) or self.default

    def named(self, text: str) -> str | None:
        """The code for a language as someone names it ("Deutsch", "es", "French")."""
        folded = fold(text).strip(" .!")
        if len(folded) <= 3:
            return self.supported(folded)
        return self.names.get(folded) or self.names.get(plain(folded))
