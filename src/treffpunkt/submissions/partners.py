"""The organisation behind an approved submission, as one of the town's partners."""

from __future__ import annotations

from typing import Any


async def find_or_add(
    municipality_id: int, *, name: str, contact_name: str, email: str, phone: str | None
) -> int | None:
    return None


def submission_columns(partner_id: int | None) -> dict[Any, Any]:
    return {}
