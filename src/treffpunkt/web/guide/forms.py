"""What the workspace's forms share: a posted form checked by the same input model as
the API's body, each failing field named with a message people read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from treffpunkt.errors import InvalidInput

M = TypeVar("M", bound=BaseModel)


def check_form(
    model: type[M], body: dict[str, Any], messages: Mapping[str, str]
) -> tuple[M | None, dict[str, str]]:
    """The model, or the failing fields with their messages (catalogue message ids,
    N_-marked; templates translate them). A field without its own message gets the
    model's words."""
    try:
        return model.model_validate(body), {}
    except ValidationError as error:
        failed: dict[str, str] = {}
        for problem in error.errors():
            field = str(problem["loc"][0]) if problem["loc"] else "form"
            failed.setdefault(field, messages.get(field, problem["msg"]))
        return None, failed


def refused(error: InvalidInput, messages: Mapping[str, str]) -> dict[str, str]:
    """A service's InvalidInput as the form's errors."""
    return {field: messages.get(field, text) for field, text in error.fields.items()}


def blank_to_none(value: str) -> str | None:
    value = value.strip()
    return value or None
