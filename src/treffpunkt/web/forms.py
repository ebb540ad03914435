"""Reading a page's form into an API input model: the same rules as the JSON API, the
errors by field in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from treffpunkt.translations import translator

M = TypeVar("M", bound=BaseModel)


def field_errors(
    error: ValidationError, messages: Mapping[str, str], locale: str, fallback: str
) -> dict[str, str]:
    """The fields that failed, each with its message (a catalogue id) in `locale`."""
    said = translator(locale)
    failed: dict[str, str] = {}
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else ""
        failed.setdefault(name, said.gettext(messages.get(name, fallback)))
    return failed


def validated(
    model: type[M],
    body: dict[str, Any],
    messages: Mapping[str, str],
    locale: str,
    fallback: str,
) -> tuple[M | None, dict[str, str]]:
    """The model, or None and the errors by field."""
    try:
        return model.model_validate(body), {}
    except ValidationError as error:
        return None, field_errors(error, messages, locale, fallback)
