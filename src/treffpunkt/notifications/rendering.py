"""Mail templates: email_templates/<kind>/{subject.txt,body.txt,body.html}, Jinja2, with
the one gettext catalogue of pages and mail (translations.py).

Each kind has one template per part, written in English (`_()` with the English text as
message id); a render binds the catalogue of the mail's locale. A locale treffpunkt does
not speak reads German, and so does a string a catalogue lacks, never an error. HTML is
autoescaped, text is not: they are loaded by two environments, so that a partial shared
by both parts (`layout/greeting.txt`) is escaped in the HTML part. Dates and times are
written for the reader's locale in the municipality's time zone (Babel).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from treffpunkt.i18n import format_when
from treffpunkt.translations import configure_environment, translator

SUBJECT, TEXT, HTML = "subject.txt", "body.txt", "body.html"


def templates_dir() -> Path:
    # email_templates/ sits at the repository root, beside src/ (editable install).
    return Path(__file__).resolve().parents[3] / "email_templates"


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=8)
def _environment(folder: str, *, html: bool) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(folder),
        # Text parts are not HTML: "A & B" stays as it is there.
        autoescape=html,  # noqa: S701
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    configure_environment(environment)
    return environment


def _formatters(locale: str, zone: ZoneInfo) -> dict[str, Any]:
    def when(value: str) -> datetime:
        return datetime.fromisoformat(value).astimezone(zone)

    return {
        "day": lambda value: format_date(date.fromisoformat(value), "full", locale=locale),
        "date": lambda value: format_date(when(value), "full", locale=locale),
        "time": lambda value: format_time(when(value), "short", locale=locale),
        "datetime": lambda value: format_when(when(value), locale),
    }


def render(kind: str, locale: str, context: dict[str, Any]) -> RenderedMail:
    """The three parts of a mail of `kind` in `locale` (German for a locale treffpunkt
    does not speak)."""
    said = translator(locale)
    zone = ZoneInfo(context["municipality"]["time_zone"])
    values = {
        **context,
        **_formatters(said.locale, zone),
        **said.template_functions(),
        "locale": said.locale,
        "direction": said.direction,
    }
    folder = str(templates_dir())
    text, html = _environment(folder, html=False), _environment(folder, html=True)
    subject = text.get_template(f"{kind}/{SUBJECT}").render(values)
    return RenderedMail(
        subject=" ".join(subject.split()),
        text=text.get_template(f"{kind}/{TEXT}").render(values),
        html=html.get_template(f"{kind}/{HTML}").render(values),
    )
