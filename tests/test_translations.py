"""The catalogue (translations.py): complete in every language, in step with the code,
and bound to one language per render."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2 import DictLoader, Environment

from treffpunkt.i18n import LOCALES
from treffpunkt.translations import SOURCE_LOCALE, catalogue_path, configure_environment, translator

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


def catalogue(locale: str):  # type: ignore[no-untyped-def]
    with catalogue_path(locale).open("rb") as po:
        return read_po(po, locale=locale)


def placeholders(text: str) -> list[str]:
    return sorted(match.group(0) for match in PLACEHOLDER.finditer(text) if match.group(0) != "%%")


def ids_in_the_code() -> set[str]:
    """What `make messages` would extract (babel.cfg, with N_ as a keyword)."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {
        "_": None,
        "gettext": None,
        "ngettext": (1, 2),
        "pgettext": ((1, "c"), 2),
        "npgettext": ((1, "c"), 2, 3),
        "N_": None,
    }
    found = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=keywords
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("locale", LOCALES)
def test_every_catalogue_is_complete_and_keeps_the_placeholders(locale: str) -> None:
    problems = []
    for message in catalogue(locale):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        for text in strings:
            if not text:
                if locale != SOURCE_LOCALE:
                    problems.append(f"untranslated: {ids[0]!r}")
            elif placeholders(text) != placeholders(ids[-1 if len(ids) > 1 else 0]):
                problems.append(f"placeholders differ: {ids[0]!r} -> {text!r}")
    assert not problems, "\n".join(problems)


def test_every_string_in_the_code_is_in_every_catalogue() -> None:
    """Run `make messages` (docs/web.md) when this fails."""
    wanted = ids_in_the_code()
    assert "Skip to content" in wanted  # the extraction found the templates
    assert "Interpretation is offered." in wanted  # and the mail layout
    for locale in LOCALES:
        have = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalogue(locale)}
        assert not wanted - have, f"{locale}: {sorted(wanted - have)}"


def test_a_missing_translation_falls_back_to_german_then_to_english() -> None:
    assert translator("ar").gettext("Skip to content") == "انتقل إلى المحتوى"
    assert translator("en").gettext("Skip to content") == "Skip to content"
    assert translator("uk").gettext("A string nobody translated") == "A string nobody translated"
    assert translator("xx").locale == "de"
    assert translator("de").gettext("Website – %(town)s", town="Bensheim") == ("Website – Bensheim")


def test_templates_get_their_language_per_render_and_never_from_the_environment() -> None:
    environment = Environment(
        loader=DictLoader(
            {
                "page.html": "{{ _('Skip to content') }}|{% trans %}Language{% endtrans %}",
                "macro.html": "{% macro m() %}{{ _('Language') }}{% endmacro %}",
                "uses.html": "{% import 'macro.html' as x %}{{ x.m() }}",
            }
        ),
        autoescape=True,
    )
    configure_environment(environment)
    page = environment.get_template("page.html")
    assert page.render(**translator("tr").template_functions()) == "İçeriğe geç|Dil"
    assert page.render(**translator("fa").template_functions()) == "رفتن به محتوا|زبان"
    # A macro imported without context has no language: it fails instead of
    # quietly showing English.
    with pytest.raises(RuntimeError, match="with context"):
        environment.get_template("uses.html").render(**translator("de").template_functions())


def test_text_templates_are_not_escaped_and_html_templates_are() -> None:
    """Mail renders text parts without autoescape (notifications/rendering.py): the same
    functions serve both."""
    source = "{{ _('Website – %(town)s', town=town) }}"
    functions = translator("de").template_functions()
    for autoescape, expected in ((False, "Website – A & B"), (True, "Website – A &amp; B")):
        environment = Environment(autoescape=autoescape)  # noqa: S701 (text mail is not HTML)
        configure_environment(environment)
        assert environment.from_string(source).render(town="A & B", **functions) == expected
