"""Links that put our events into people's calendars.

Both an https:// and a webcal:// address for each feed (ICALENDAR.md rule 8:
Outlook.com fails on webcal://), and one-click links for a single session.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from pydantic import BaseModel


class FeedLinks(BaseModel):
    https: str
    webcal: str


def feed_links(base_url: str, path: str) -> FeedLinks:
    https = f"{base_url}{path}"
    return FeedLinks(https=https, webcal="webcal://" + https.split("://", 1)[1])


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_link(title: str, start: datetime, end: datetime, details: str, where: str) -> str:
    query = {
        "action": "TEMPLATE",
        "text": title,
        "dates": f"{_utc(start)}/{_utc(end)}",
        "details": details,
        "location": where,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_link(title: str, start: datetime, end: datetime, details: str, where: str) -> str:
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": title,
        "startdt": start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "enddt": end.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "body": details,
        "location": where,
    }
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(query)
