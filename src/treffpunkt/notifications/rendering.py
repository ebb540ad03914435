"""Mail templates: email_templates/<kind>/<locale>.{subject.txt,txt,html}, Jinja2.

HTML is autoescaped, text is not; a missing translation falls back to German,
part by part, never to an error. Dates and times are written for the reader's
locale in the municipality's time zone (Babel).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)

from treffpunkt.i18n import DEFAULT_LOCALE, RTL_LOCALES, format_when

PARTS = ("subject.txt", "txt", "html")


def templates_dir() -> Path:
    # email_templates/ sits at the repository root, beside src/ (editable install).
    return Path(__file__).resolve().parents[3] / "email_templates"


@dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


@lru_cache(maxsize=4)
def _environment(folder: str) -> Environment:
    return Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def _template(kind: str, locale: str, part: str) -> Any:
    environment = _environment(str(templates_dir()))
    try:
        return environment.get_template(f"{kind}/{locale}.{part}")
    except TemplateNotFound:
        return environment.get_template(f"{kind}/{DEFAULT_LOCALE}.{part}")


def _formatters(locale: str, zone: ZoneInfo) -> dict[str, Any]:
    def when(value: str) -> datetime:
        return datetime.fromisoformat(value).astimezone(zone)

    return {
        "day": lambda value: format_date(date.fromisoformat(value), "full", locale=locale),
        "date": lambda value: format_date(when(value), "full", locale=locale),
        "time": lambda value: format_time(when(value), "short", locale=locale),
        "datetime": lambda value: format_when(when(value), locale),
    }


@lru_cache(maxsize=16)
def labels(locale: str) -> dict[str, str]:
    """Words the shared layout uses, German where a translation lacks one."""
    folder = templates_dir() / "_layout"
    merged = json.loads((folder / f"labels.{DEFAULT_LOCALE}.json").read_text("utf-8"))
    own = folder / f"labels.{locale}.json"
    if own.exists():
        merged.update(json.loads(own.read_text("utf-8")))
    return merged


def render(kind: str, locale: str, context: dict[str, Any]) -> RenderedMail:
    """The three parts of a mail of `kind` in `locale` (German where untranslated)."""
    zone = ZoneInfo(context["municipality"]["time_zone"])
    values = {
        **context,
        **_formatters(locale, zone),
        "locale": locale,
        "labels": labels(locale),
        "direction": "rtl" if locale in RTL_LOCALES else "ltr",
    }
    subject, text, html = (_template(kind, locale, part).render(values) for part in PARTS)
    return RenderedMail(subject=" ".join(subject.split()), text=text, html=html)
