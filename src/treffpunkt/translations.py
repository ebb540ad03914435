"""The one translation catalogue: every string a person reads, for pages and mail.

Catalogues are gettext `.po` files, one per locale, under `locales/<locale>/LC_MESSAGES/
messages.po`; message ids are the English text. Translators use standard tools
(`pybabel`, Poedit, Weblate); `make messages` extracts new strings from the code and the
templates and merges them into every catalogue (docs/web.md). The `.po` files are
compiled in memory on first use (Babel), so there is no generated file to keep in step.

A string without a translation falls back to German (the service's default language,
as mail does), then to the English message id (an English one to the id itself);
`tests/test_translations.py` fails while any catalogue lacks a translation, so that
fallback is for emergencies only.

Placeholders are named, Python style: `_("Place %(position)s on the waitlist",
position=3)`. A literal percent sign is written `%%`.

Templates get the functions per render (`Translator.template_functions()`), never as
globals of the shared Jinja2 environment, so concurrent requests in different languages
cannot see each other's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel import Locale as BabelLocale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import Environment
from jinja2.ext import (  # the newstyle wrappers Jinja2 installs for itself
    _make_new_gettext,
    _make_new_ngettext,
    _make_new_npgettext,
    _make_new_pgettext,
)

from treffpunkt.i18n import DEFAULT_LOCALE, LOCALES, direction

CATALOGUES = Path(__file__).parent / "locales"
DOMAIN = "messages"
# Message ids are English: the English catalogue may leave a msgstr empty ("as written").
SOURCE_LOCALE = "en"

# The marker for strings defined away from where they are translated (a table of labels):
# N_("Dialogue round") is extracted, and translated later with gettext(value).
N_ = str


def catalogue_path(locale: str) -> Path:
    return CATALOGUES / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=len(LOCALES))
def _catalogue(locale: str) -> NullTranslations:
    """The compiled catalogue of `locale`, falling back to German's."""
    path = catalogue_path(locale)
    catalogue: NullTranslations = NullTranslations()
    if path.exists():
        with path.open("rb") as po:
            catalog = read_po(po, locale=locale, domain=DOMAIN)
        compiled = BytesIO()
        write_mo(compiled, catalog)  # fuzzy entries are left out, as msgfmt does
        compiled.seek(0)
        catalogue = Translations(compiled, domain=DOMAIN)
    if locale not in (DEFAULT_LOCALE, SOURCE_LOCALE):
        catalogue.add_fallback(_catalogue(DEFAULT_LOCALE))
    return catalogue


@dataclass(frozen=True)
class Translator:
    """The catalogue of one locale, with the formatting rules of this project."""

    locale: str

    @property
    def direction(self) -> str:
        return direction(self.locale)

    @property
    def _catalogue(self) -> NullTranslations:
        return _catalogue(self.locale)

    def gettext(self, message: str, /, **variables: Any) -> str:
        text = self._catalogue.gettext(message)
        return text % variables if variables else text

    def ngettext(self, singular: str, plural: str, count: int, /, **variables: Any) -> str:
        """The form for `count`; `%(num)s` in it is the count (as in Jinja2 templates)."""
        text = self._catalogue.ngettext(singular, plural, count)
        return text % {"num": count, **variables}

    def pgettext(self, context: str, message: str, /, **variables: Any) -> str:
        text = str(self._catalogue.pgettext(context, message))
        return text % variables if variables else text

    def npgettext(
        self, context: str, singular: str, plural: str, count: int, /, **variables: Any
    ) -> str:
        text = self._catalogue.npgettext(context, singular, plural, count)
        return text % {"num": count, **variables}

    def template_functions(self) -> dict[str, Callable[..., str]]:
        """`gettext`, `ngettext`, `pgettext`, `npgettext` for one render of a template of
        an environment set up with `configure_environment` (`_` and `{% trans %}` use
        them): pass them in the render's context."""
        catalogue = self._catalogue
        return {
            "gettext": _make_new_gettext(catalogue.gettext),
            "ngettext": _make_new_ngettext(catalogue.ngettext),
            "pgettext": _make_new_pgettext(lambda c, m: str(catalogue.pgettext(c, m))),
            "npgettext": _make_new_npgettext(catalogue.npgettext),
        }


@lru_cache(maxsize=len(LOCALES) + 1)
def translator(locale: str) -> Translator:
    """The translator for `locale`; an unknown locale reads German."""
    return Translator(locale if locale in LOCALES else DEFAULT_LOCALE)


# Languages people here ask for that CLDR (Babel) has no name for, named by the catalogue.
EXTRA_LANGUAGES = {"prs": N_("Dari")}


@lru_cache(maxsize=len(LOCALES))
def languages_named_in(locale: str) -> dict[str, str]:
    """Languages by code, named in `locale` ("ar" → "Arabisch" in German): Babel's
    names, and the catalogue's for the codes Babel lacks (EXTRA_LANGUAGES)."""
    t = translator(locale)
    extra = {code: t.gettext(name) for code, name in EXTRA_LANGUAGES.items()}
    return {**extra, **BabelLocale.parse(locale).languages}


def _unbound(*_: Any, **__: Any) -> str:
    raise RuntimeError(
        "A template called gettext without a language: pass translator(locale)."
        "template_functions() in the render's context, and import macros that translate"
        " `with context`."
    )


def configure_environment(environment: Environment) -> None:
    """Turn on `{% trans %}` and `_()` (newstyle gettext: autoescaped, named
    placeholders) in a Jinja2 environment. The environment itself knows no language:
    a render without `template_functions()` in its context fails loudly instead of
    showing English."""
    environment.add_extension("jinja2.ext.i18n")
    environment.newstyle_gettext = True  # type: ignore[attr-defined]
    environment.globals.update(
        gettext=_unbound, ngettext=_unbound, pgettext=_unbound, npgettext=_unbound
    )
