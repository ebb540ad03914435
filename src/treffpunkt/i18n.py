"""The languages treffpunkt speaks to residents, and which of them read right to left."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from babel.dates import format_date, format_time

Locale = Literal["de", "en", "uk", "ar", "tr", "fa"]
LOCALES: tuple[Locale, ...] = ("de", "en", "uk", "ar", "tr", "fa")
DEFAULT_LOCALE: Locale = "de"
RTL_LOCALES = frozenset({"ar", "fa"})


def direction(locale: str) -> Literal["ltr", "rtl"]:
    """How text in `locale` runs: `dir` of the page or element."""
    return "rtl" if locale in RTL_LOCALES else "ltr"


def pick_locale(
    requested: str | None, accept_language: str | None, available: list[str], default: str
) -> str:
    """The reader's language among `available`: an explicit choice, then the browser's
    Accept-Language preferences (by weight), then the municipality's default."""
    if requested in available:
        return requested
    for language in _accepted_languages(accept_language or ""):
        if language in available:
            return language
    return default


def reader_locale(requested: str | None, accept_language: str | None, default: str) -> str:
    """The one language a reader reads in: an explicit choice, else the first of the
    browser's Accept-Language preferences that treffpunkt speaks, else the default."""
    return pick_locale(requested, accept_language, list(LOCALES), default)


def page_locale(
    *,
    chosen: str | None,
    remembered: str | None,
    own: str | None = None,
    accept_language: str | None,
    default: str,
) -> str:
    """The language of a page: the reader's explicit choice (`?lang=`), else the one they
    chose before (cookie), else the language the page's subject chose for itself (a
    registration's), else the browser's Accept-Language, else the municipality's default.
    Values treffpunkt does not speak are passed over."""
    for candidate in (chosen, remembered, own):
        if candidate in LOCALES:
            return candidate
    return reader_locale(None, accept_language, default if default in LOCALES else DEFAULT_LOCALE)


@dataclass(frozen=True)
class Localized:
    """A text and the language it is in (which may not be the reader's)."""

    text: Any
    locale: str

    @property
    def direction(self) -> str:
        return direction(self.locale)

    def __str__(self) -> str:
        return str(self.text)


def translated_fields(
    texts: Mapping[str, Mapping[str, Any]], locale: str, default: str
) -> dict[str, Localized]:
    """A translated text field by field: each field (title, summary, description …) in
    the reader's language, else in the municipality's default language, else in any
    language that has it, with the language it was found in. An English text with only
    a title keeps the German description (pages mark it with `lang="de"`).

    The one way event and programme texts are chosen: API, feeds, mail and pages.
    """
    order = [locale, default, *LOCALES, *sorted(texts)]
    fields: dict[str, Localized] = {}
    for name in dict.fromkeys(name for text in texts.values() for name in text):
        for candidate in order:
            value = (texts.get(candidate) or {}).get(name)
            if value:
                fields[name] = Localized(value, candidate)
                break
    return fields


def translated(
    texts: Mapping[str, Mapping[str, Any]], locale: str, default: str
) -> tuple[str, dict[str, Any]]:
    """`translated_fields` as plain values, with the language of the title."""
    fields = translated_fields(texts, locale, default)
    title = fields.get("title")
    return (title.locale if title else default), {k: v.text for k, v in fields.items()}


def _accepted_languages(header: str) -> list[str]:
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        language, _, params = item.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        if language and weight > 0:
            weighted.append((-weight, position, language.split("-")[0].lower()))
    return [language for _, _, language in sorted(weighted)]


def format_when(moment: datetime, locale: str) -> str:
    """A moment as residents read it: "Dienstag, 30. März 2027, 14:00"."""
    day = format_date(moment, "full", locale=locale)
    return f"{day}, {format_time(moment, 'short', locale=locale)}"
