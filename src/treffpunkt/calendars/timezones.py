"""Static VTIMEZONE definitions in RRULE form.

icalendar's add_missing_timezones() writes an RDATE list, which ical.js and vobject
read an hour off in summer and Outlook mishandles (docs/calendars.md rule 16); this one
is read alike everywhere. It is registered before anything else is added, so
add_missing_timezones() adds no duplicate.
"""

from icalendar import Timezone

EUROPE_BERLIN = "\r\n".join(
    [
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Berlin",
        "BEGIN:DAYLIGHT",
        "TZOFFSETFROM:+0100",
        "TZOFFSETTO:+0200",
        "TZNAME:CEST",
        "DTSTART:19700329T020000",
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
        "END:DAYLIGHT",
        "BEGIN:STANDARD",
        "TZOFFSETFROM:+0200",
        "TZOFFSETTO:+0100",
        "TZNAME:CET",
        "DTSTART:19701025T030000",
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
        "END:STANDARD",
        "END:VTIMEZONE",
        "",
    ]
)

STATIC = {"Europe/Berlin": EUROPE_BERLIN}


def static_timezone(name: str) -> Timezone | None:
    text = STATIC.get(name)
    return Timezone.from_ical(text) if text else None  # type: ignore[return-value]
