"""What submissions' outbox rows mean to the worker; treffpunkt.app.wire hands these to
its registry (notifications/registry.py): three mails, written at their cause, and the
links they carry, made with the site's address when they are sent."""

from __future__ import annotations

from typing import Any

from treffpunkt.links import event_page_path
from treffpunkt.outbox import Row
from treffpunkt.settings import Settings
from treffpunkt.submissions.service import APPROVED, MAIL_KINDS

MAILS: dict[str, None] = dict.fromkeys(MAIL_KINDS)


async def submission_links(rows: list[Row], settings: Settings) -> dict[int, dict[str, Any]]:
    """The approved event's page for people, in each approval mail."""
    links: dict[int, dict[str, Any]] = {}
    for row in rows:
        context = row["context"]
        if row["kind"] == APPROVED and context.get("event_id"):
            slug = context["municipality"]["slug"]
            links[row["id"]] = {
                "event_url": settings.base_url + event_page_path(slug, context["event_id"])
            }
    return links
