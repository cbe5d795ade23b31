"""The message catalogs: one gettext .po file per language in `locales/` (Babel reads and
compiles them in memory when first used), and what Babel knows of each language: how it
writes a day and a time, and what it is called. `messages.pot` is the template, extracted
from the code with `pybabel extract` (the README's "Adding a language")."""

from __future__ import annotations

import gettext
import io
import re
from datetime import date, time
from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from core.speech import ENGLISH, English, Languages, Speech, base_language, plain

LOCALES = Path(__file__).with_name("locales")
TEMPLATE = LOCALES / "messages.pot"


class CatalogSpeech:
    """A language with a catalog: its translations, and Babel's ways with dates."""

    def __init__(self, language: str, translations: gettext.NullTranslations) -> None:
        self.language = language
        self._translations = translations

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    def day(self, day: date) -> str:
        return format_date(day, _without_year(self.language), locale=self.language)

    def weekday(self, day: date) -> str:
        return format_date(day, "EEEE", locale=self.language)

    def clock(self, moment: time) -> str:
        return format_time(moment, "HH:mm", locale=self.language)


@cache
def _without_year(language: str) -> str:
    """The language's own long date ("EEEE, d 'de' MMMM 'de' y") without its year."""
    pattern = Locale.parse(language).date_formats["full"].pattern
    return re.sub(r"[,\s]*(?:'de'\s*)?y+\.?", "", pattern)


def shipped() -> list[str]:
    """The languages with a catalog here, English (which needs none) first."""
    return [ENGLISH, *sorted(p.stem for p in LOCALES.glob("*.po"))]


def spoken(tag: str | None) -> str | None:
    """The code of a shipped language for a tag such as "de-AT", or None."""
    code = base_language(tag)
    return code if code in shipped() else None


def name_of(code: str, in_language: str = ENGLISH) -> str | None:
    """What `code` is called in `in_language` ("German" for "de"); None for a language
    Babel does not know."""
    try:
        return Locale.parse(code).get_display_name(in_language) or None
    except (ValueError, UnknownLocaleError):
        return None


def compiled(path: Path) -> gettext.GNUTranslations:
    """A .po file as gettext reads it (fuzzy entries left out, as msgfmt does)."""
    with path.open("rb") as po:
        catalog = read_po(po)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


@cache
def speech_for(language: str | None) -> Speech:
    """The language's speech; English for English, None, or a language without a catalog."""
    path = LOCALES / f"{language}.po"
    if not language or language == ENGLISH or not path.is_file():
        return English()
    return CatalogSpeech(language, compiled(path))


def languages(default: str = ENGLISH) -> Languages:
    """Every shipped language, with what each is called in each of them and in itself."""
    codes = shipped()
    names: dict[str, str] = {}
    own: dict[str, str] = {}
    for code in codes:
        locale = Locale.parse(code)
        own[code] = locale.get_display_name(code) or code
        for other in codes:
            name = locale.get_display_name(other)
            if name:
                folded = " ".join(name.casefold().split())
                names[folded] = names[plain(folded)] = code
    return Languages(
        speeches={code: speech_for(code) for code in codes},
        default=default,
        names=names,
        own_names=own,
    )
