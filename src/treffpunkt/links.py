"""Links that put our events into people's calendars, and the addresses of an event.

Both an https:// and a webcal:// address for each feed (docs/calendars.md rule 8:
Outlook.com fails on webcal://), and one-click links for a single session. An event's
page is what people are sent to (calendar entries, mails, the API): one spelling here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from pydantic import BaseModel


class FeedLinks(BaseModel):
    https: str
    webcal: str


def feed_links(base_url: str, path: str) -> FeedLinks:
    https = f"{base_url}{path}"
    return FeedLinks(https=https, webcal="webcal://" + https.split("://", 1)[1])


def event_page_path(slug: str, event_id: int) -> str:
    """The event's page for people (web/events.py)."""
    return f"/m/{slug}/events/{event_id}"


def event_calendar_path(slug: str, event_id: int) -> str:
    """The event as a calendar file to download (calendars/routes.py)."""
    return f"{event_page_path(slug, event_id)}/calendar.ics"


def event_poster_path(slug: str, event_id: int) -> str:
    """The event's A4 poster as PDF (web/events.py)."""
    return f"{event_page_path(slug, event_id)}/poster.pdf"


def map_link(address: str, latitude: float | None, longitude: float | None) -> str:
    """OpenStreetMap at a place: at its coordinates when known, else a search for its
    address. A link people follow; no map is embedded (no request to another site)."""
    if latitude is not None and longitude is not None:
        query = urlencode({"mlat": f"{latitude:.6f}", "mlon": f"{longitude:.6f}"})
        return f"https://www.openstreetmap.org/?{query}#map=18/{latitude:.6f}/{longitude:.6f}"
    return "https://www.openstreetmap.org/search?" + urlencode({"query": address})


@dataclass(frozen=True)
class When:
    """A session's time; an all-day one also by its days (the last inclusive)."""

    start: datetime
    end: datetime
    first_day: date | None = None
    last_day: date | None = None


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_link(title: str, when: When, details: str, where: str) -> str:
    if when.first_day and when.last_day:  # dates, the end exclusive, as in iCalendar
        dates = f"{when.first_day:%Y%m%d}/{when.last_day + timedelta(days=1):%Y%m%d}"
    else:
        dates = f"{_utc(when.start)}/{_utc(when.end)}"
    query = {
        "action": "TEMPLATE",
        "text": title,
        "dates": dates,
        "details": details,
        "location": where,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_link(title: str, when: When, details: str, where: str) -> str:
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": title,
        "body": details,
        "location": where,
    }
    if when.first_day and when.last_day:
        query |= {
            "allday": "true",
            "startdt": when.first_day.isoformat(),
            "enddt": (when.last_day + timedelta(days=1)).isoformat(),
        }
    else:
        query |= {
            "startdt": when.start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "enddt": when.end.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        }
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(query)


def programme_poster_path(slug: str, programme_slug: str) -> str:
    """A programme's A4 poster as PDF (web/town.py)."""
    return f"/m/{slug}/programmes/{programme_slug}/poster.pdf"
