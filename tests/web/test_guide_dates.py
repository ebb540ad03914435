"""An event's dates in the guide workspace (web/guide/dates.py) over HTTP: the series
form and its preview, saving, moving, cancelling and restoring a date with the
confirmation that says who will be told, and what a guide of another town or a
forged form gets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import time, timedelta
from typing import Any

import httpx
import pytest

from tests.factories import (
    BERLIN,
    make_event,
    make_published_event,
    register_for_session,
    sessions_of,
)
from tests.pages import csrf_token
from tests.web.workspace import logged_in_client
from treffpunkt.events import service
from treffpunkt.events.schemas import SeriesRule
from treffpunkt.events.tables import Event, Session
from treffpunkt.outbox import OutboxMessage

# Every second Wednesday from 6 January 2027: summer time begins on 28 March.
SERIES = {
    "pattern": "weekly",
    "weekdays": ["WE"],
    "interval": "2",
    "position": "1",
    "month_weekday": "MO",
    "rule": "",
    "start_date": "2027-01-06",
    "start_time": "18:00",
    "end_time": "20:00",
    "ends": "until",
    "until": "2027-04-28",
    "count": "",
    "extra_dates": "",
    "excluded_dates": "",
}


@pytest.fixture
async def guide(app: Any, bensheim_guide: dict[str, Any]) -> AsyncIterator[httpx.AsyncClient]:
    async with logged_in_client(app, bensheim_guide["email"]) as client:
        yield client


def dates(event: Any) -> str:
    return f"/guide/events/{event.id}/dates"


async def post(
    guide: httpx.AsyncClient, page: str, action: str, data: dict[str, Any]
) -> httpx.Response:
    """Send a form of `page` (it carries the page's CSRF token)."""
    opened = await guide.get(page)
    assert opened.status_code == 200, opened.text
    return await guide.post(action, data={"_csrf_token": csrf_token(opened), **data})


async def test_the_page_shows_the_form_and_the_sessions(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    event = await make_event(bensheim)
    page = await guide.get(dates(event))
    assert page.status_code == 200
    assert "Serie" in page.text
    assert "Termine anzeigen" in page.text
    assert "Termin verschieben" in page.text
    assert "Termin absagen" in page.text
    assert "/guide/series.js" in page.text
    # No series yet: the script is not told to preview the incomplete form at once.
    assert "data-preview-now" not in page.text
    assert "error-summary" not in page.text


async def test_show_dates_renders_the_preview_across_the_clock_change(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    event = await make_event(bensheim)
    shown = await post(
        guide, dates(event), dates(event) + "/series", {**SERIES, "action": "preview"}
    )
    assert shown.status_code == 200
    text = shown.text
    assert (
        "Jede zweite Woche am Mittwoch, 18:00–20:00, vom 6. Januar 2027 bis 28. April 2027." in text
    )
    assert "Mittwoch, 6. Januar 2027" in text
    assert "Mittwoch, 28. April 2027" in text
    assert "Die Sommerzeit beginnt" in text
    assert "9 Termine" in text
    assert await Session.count().where(Session.event == event.id) == 1  # nothing saved
    # The typed values stay in the form.
    assert 'value="2027-04-28"' in text


async def test_the_preview_fragment_for_the_script(guide: httpx.AsyncClient, bensheim: Any) -> None:
    event = await make_event(bensheim)
    page = await guide.get(dates(event))
    token = csrf_token(page)
    fragment = await guide.post(
        dates(event) + "/preview", data=SERIES, headers={"X-CSRFToken": token}
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "<section" in fragment.text
    assert "Die Sommerzeit beginnt" in fragment.text
    refused = await guide.post(
        dates(event) + "/preview",
        data={**SERIES, "start_date": "2027-03-14", "weekdays": ["SU"], "start_time": "02:30"},
        headers={"X-CSRFToken": token},
    )
    assert refused.status_code == 422
    assert "02:30 gibt es am 28. März 2027 nicht" in refused.text


async def test_form_errors_come_back_with_their_fields_and_the_values_kept(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    event = await make_event(bensheim)
    answer = await post(
        guide,
        dates(event),
        dates(event) + "/series",
        {**SERIES, "weekdays": [], "end_time": "17:00", "extra_dates": "morgen", "action": "save"},
    )
    assert answer.status_code == 422
    assert 'href="#field-weekdays"' in answer.text
    assert 'href="#field-end_time"' in answer.text
    assert 'href="#field-extra_dates"' in answer.text
    assert ">morgen</textarea>" in answer.text
    assert await Session.count().where(Session.event == event.id) == 1


async def test_saving_a_series_without_registrations_saves_at_once(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    event = await make_event(bensheim)
    saved = await post(guide, dates(event), dates(event) + "/series", {**SERIES, "action": "save"})
    assert saved.status_code == 303
    assert saved.headers["location"] == dates(event) + "?done=series"
    sessions = await sessions_of(event)
    series = [s for s in sessions if s.occurrence_start is not None]
    assert len(series) == 9
    assert {s.starts_at.astimezone(BERLIN).time() for s in series} == {time(18)}
    page = await guide.get(saved.headers["location"])
    assert "Die Serie ist gespeichert." in page.text
    assert "Derzeit: Jede zweite Woche am Mittwoch" in page.text
    # A saved series is complete: series.js shows its dates at once.
    assert "data-preview-now" in page.text


async def booked_series(bensheim: Any) -> tuple[Event, Session]:
    """A published round with the series, and one person in its third date."""
    event = await make_published_event(bensheim, registration_mode="per_session")
    body = {k: v for k, v in SERIES.items() if k in ("start_date", "start_time", "end_time")}
    rule = SeriesRule.model_validate(
        {**body, "until": SERIES["until"], "rule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"}
    )
    await service.set_series(bensheim.id, event.id, rule)
    third = [s for s in await sessions_of(event) if s.occurrence_start is not None][2]
    await register_for_session(third.id, "amal@example.org", locale="ar")
    return event, third


async def reload(session: Session) -> Session:
    found = await Session.objects().where(Session.id == session.id).first()
    assert found is not None
    return found


async def test_moving_a_booked_date_says_who_will_be_told_then_moves_it(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    event, session = await booked_series(bensheim)
    action = f"/guide/events/{event.id}/sessions/{session.id}/move"
    moved = {"date": "2027-02-04", "start_time": "17:00", "end_time": "19:00"}
    asked = await post(guide, dates(event), action, moved)
    assert asked.status_code == 200
    assert "1 Person wird per E-Mail benachrichtigt" in asked.text
    assert "Geänderter Termin: Dialogrunde Ankommen" in asked.text
    assert "Donnerstag, 4. Februar 2027, 17:00–19:00" in asked.text
    assert "<bdi>Arabisch</bdi> (1)" in asked.text
    assert (await reload(session)).starts_at == session.starts_at  # not yet
    done = await guide.post(
        action, data={"_csrf_token": csrf_token(asked), **moved, "confirmed": "yes"}
    )
    assert done.status_code == 303
    stored = await reload(session)
    assert stored.starts_at.astimezone(BERLIN).isoformat() == "2027-02-04T17:00:00+01:00"
    assert stored.detached
    assert stored.revision == session.revision + 1
    assert await OutboxMessage.count().where(OutboxMessage.kind == service.SESSIONS_MOVED) == 1


async def test_a_date_nobody_booked_moves_without_asking(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    event = await make_event(bensheim)
    [session] = await sessions_of(event)
    day = session.starts_at.astimezone(BERLIN).date() + timedelta(days=1)
    done = await post(
        guide,
        dates(event),
        f"/guide/events/{event.id}/sessions/{session.id}/move",
        {"date": day.isoformat(), "start_time": "10:00", "end_time": "12:00"},
    )
    assert done.status_code == 303
    wrong = await post(
        guide,
        dates(event),
        f"/guide/events/{event.id}/sessions/{session.id}/move",
        {"date": day.isoformat(), "start_time": "12:00", "end_time": "10:00"},
    )
    assert wrong.status_code == 422
    assert "das Ende nach dem Beginn" in wrong.text


async def test_cancelling_and_restoring_a_booked_date_ask_first(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    event, session = await booked_series(bensheim)
    cancel = f"/guide/events/{event.id}/sessions/{session.id}/cancel"
    asked = await post(guide, dates(event), cancel, {})
    assert asked.status_code == 200
    assert "1 Person wird per E-Mail benachrichtigt" in asked.text
    assert "leider müssen wir den folgenden Termin absagen" in asked.text
    done = await guide.post(cancel, data={"_csrf_token": csrf_token(asked), "confirmed": "yes"})
    assert done.status_code == 303
    assert (await reload(session)).status == "cancelled"
    page = await guide.get(done.headers["location"])
    assert "Der Termin ist abgesagt." in page.text
    assert "Termin wieder stattfinden lassen" in page.text

    restore = f"/guide/events/{event.id}/sessions/{session.id}/restore"
    asked = await post(guide, dates(event), restore, {})
    assert asked.status_code == 200
    assert "1 Person wird per E-Mail benachrichtigt" in asked.text
    assert "der Termin hat sich geändert" in asked.text
    done = await guide.post(restore, data={"_csrf_token": csrf_token(asked), "confirmed": "yes"})
    assert done.status_code == 303
    assert (await reload(session)).status == "scheduled"


async def test_another_towns_event_and_session_are_not_found(
    guide: httpx.AsyncClient, bensheim: Any, butzbach: Any
) -> None:
    own = await make_event(bensheim)
    theirs = await make_event(butzbach)
    [their_session] = await sessions_of(theirs)
    assert (await guide.get(dates(theirs))).status_code == 404
    token = csrf_token(await guide.get(dates(own)))
    for action in (
        dates(theirs) + "/series",
        dates(theirs) + "/preview",
        f"/guide/events/{theirs.id}/sessions/{their_session.id}/cancel",
        f"/guide/events/{own.id}/sessions/{their_session.id}/cancel",
        f"/guide/events/{own.id}/sessions/{their_session.id}/move",
        f"/guide/events/{own.id}/sessions/{their_session.id}/restore",
        f"/guide/events/{own.id}/sessions/{2**63}/cancel",
        f"/guide/events/{2**63}/dates/series",
    ):
        answer = await guide.post(action, data={"_csrf_token": token, **SERIES, "action": "save"})
        assert answer.status_code == 404, action
    assert (await sessions_of(theirs))[0].status == "scheduled"
    assert await Session.count().where(Session.event == theirs.id) == 1


async def test_forms_without_the_csrf_token_are_refused(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    event = await make_event(bensheim)
    [session] = await sessions_of(event)
    for action in (
        dates(event) + "/series",
        dates(event) + "/preview",
        f"/guide/events/{event.id}/sessions/{session.id}/cancel",
    ):
        answer = await guide.post(action, data={**SERIES, "action": "save"})
        assert answer.status_code == 403, action
    assert (await sessions_of(event))[0].status == "scheduled"


async def test_without_a_login_the_page_is_not_shown(
    client: httpx.AsyncClient, bensheim: Any
) -> None:
    event = await make_event(bensheim)
    answer = await client.get(dates(event))
    assert answer.status_code in (302, 303, 401)


async def test_changing_a_booked_series_asks_first_and_names_both_mails(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    event, session = await booked_series(bensheim)
    later = await register_for_session(
        [s for s in await sessions_of(event) if s.occurrence_start is not None][-1].id,
        "karim@example.org",
    )
    # An hour earlier, and ending in March: the booked date in April goes.
    changed = {**SERIES, "start_time": "17:00", "end_time": "19:00", "until": "2027-03-31"}
    asked = await post(guide, dates(event), dates(event) + "/series", {**changed, "action": "save"})
    assert asked.status_code == 200
    assert asked.text.count("1 Person wird per E-Mail benachrichtigt") == 2
    assert "Geänderter Termin: Dialogrunde Ankommen" in asked.text
    assert "Abgesagt: Dialogrunde Ankommen" in asked.text
    assert "Mittwoch, 3. Februar 2027, 17:00–19:00" in asked.text
    assert (await reload(session)).starts_at == session.starts_at  # nothing saved yet
    hidden = dict(changed, action="save", confirmed="yes")
    done = await guide.post(
        dates(event) + "/series", data={"_csrf_token": csrf_token(asked), **hidden}
    )
    assert done.status_code == 303
    assert (await reload(session)).starts_at.astimezone(BERLIN).time() == time(17)
    assert later.session is not None
    gone = await Session.objects().where(Session.id == later.session).first()
    assert gone is not None
    assert gone.status == "cancelled"
