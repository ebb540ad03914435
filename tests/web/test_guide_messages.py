"""Writing to an event's registrants from the workspace: the form, the preview with its
count and mail, sending, the history; errors on their fields; other towns and forged
forms refused."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.factories import make_published_event, register_for_course
from tests.pages import csrf_token
from tests.registrations.test_messages import BODY, full_session_with_people
from tests.web.workspace import logged_in_client
from treffpunkt.outbox import OutboxMessage
from treffpunkt.registrations import service
from treffpunkt.registrations.tables import EventMessage


@pytest.fixture
async def guide(app: Any, bensheim_guide: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with logged_in_client(app, bensheim_guide["email"]) as client:
        yield client


def form(session_id: int | None = None, **fields: str) -> dict[str, str]:
    return {
        "session": str(session_id or ""),
        "audience": "both",
        "subject": "Raum geändert",
        "body": BODY,
        **fields,
    }


async def post(
    guide: httpx.AsyncClient, page_url: str, action: str, data: dict[str, str]
) -> httpx.Response:
    page = await guide.get(page_url)
    assert page.status_code == 200, page.text
    return await guide.post(action, data={"_csrf_token": csrf_token(page), **data})


async def test_preview_shows_the_count_and_the_mail_then_sends_once(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    event, session, _ = await full_session_with_people(bensheim)
    url = f"/guide/events/{event.id}/messages"

    page = await guide.get(f"{url}?session={session.id}")
    assert page.status_code == 200
    assert "Elterncafé" in page.text
    assert f'<option value="{session.id}" selected>' in page.text

    preview = await post(guide, url, f"{url}/preview", form(session.id))
    assert preview.status_code == 200, preview.text
    text = html.unescape(preview.text)
    assert "An 3 Personen senden" in text
    assert "3 Sprachen" in text
    assert "Betreff:</strong> Raum geändert – Elterncafé" in text
    assert BODY in text  # in the mail as typed (escaped in the page)
    assert "<b>Kuchen</b>" not in preview.text
    assert await EventMessage.count() == 0  # a preview sends nothing

    sent = await guide.post(
        url, data={"_csrf_token": csrf_token(preview), **form(session.id), "expected": "3"}
    )
    assert sent.status_code == 303
    assert sent.headers["location"].startswith(f"{url}?sent=")
    after = await guide.get(sent.headers["location"])
    assert "Ihre Nachricht ist unterwegs an 3 Personen." in after.text
    assert "Raum geändert" in after.text  # in the history
    assert await EventMessage.count() == 1
    assert await OutboxMessage.count().where(OutboxMessage.kind == "guide_message") == 3

    # The same form again (a second click): nothing more goes out.
    again = await guide.post(
        url, data={"_csrf_token": csrf_token(after), **form(session.id), "expected": "3"}
    )
    assert again.status_code == 409
    assert await EventMessage.count() == 1


async def test_a_count_other_than_the_previews_shows_the_preview_again(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    event, _, _ = await full_session_with_people(bensheim)
    url = f"/guide/events/{event.id}/messages"
    answer = await post(guide, url, url, {**form(), "expected": "2"})
    assert answer.status_code == 409
    assert "An 3 Personen senden" in answer.text
    assert await EventMessage.count() == 0


async def test_a_subject_with_a_line_break_is_refused_on_its_field(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    event, _, _ = await full_session_with_people(bensheim)
    url = f"/guide/events/{event.id}/messages"
    for action in (f"{url}/preview", url):
        answer = await post(
            guide, url, action, {**form(subject="Hallo\r\nBcc: alle@example.org"), "expected": "3"}
        )
        assert answer.status_code == 422, action
        assert 'href="#field-subject"' in answer.text
        assert 'id="error-subject"' in answer.text
        assert "Bcc: alle@example.org" in html.unescape(answer.text)  # kept as typed
    empty = await post(guide, url, f"{url}/preview", form(body="   "))
    assert empty.status_code == 422
    assert 'id="error-body"' in empty.text
    forged = await post(guide, url, f"{url}/preview", form(audience="everyone"))
    assert forged.status_code == 422
    assert 'href="#field-audience"' in forged.text
    huge = await post(guide, url, f"{url}/preview", form(session_id=None, session="9" * 30))
    assert huge.status_code == 422
    assert 'id="error-session"' in huge.text
    assert await EventMessage.count() == 0


async def test_another_towns_event_is_not_found(
    guide: httpx.AsyncClient, bensheim: Any, butzbach: Any
) -> None:
    own, _, _ = await full_session_with_people(bensheim)
    foreign, foreign_session, _ = await full_session_with_people(butzbach)
    url = f"/guide/events/{foreign.id}/messages"
    assert (await guide.get(url)).status_code == 404
    assert (await guide.get(f"/guide/events/{2**63}/messages")).status_code == 404
    own_url = f"/guide/events/{own.id}/messages"
    for action in (f"{url}/preview", url):
        answer = await post(guide, own_url, action, {**form(), "expected": "3"})
        assert answer.status_code == 404, action
    # Another town's session on one's own event: refused on its field.
    answer = await post(guide, own_url, f"{own_url}/preview", form(foreign_session.id))
    assert answer.status_code == 422
    assert await EventMessage.count() == 0


async def test_a_form_without_its_csrf_token_is_refused(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    event, _, _ = await full_session_with_people(bensheim)
    url = f"/guide/events/{event.id}/messages"
    await guide.get(url)
    answer = await guide.post(url, data={**form(), "expected": "3"})
    assert answer.status_code == 403
    assert await EventMessage.count() == 0


async def test_a_course_has_no_date_to_choose_and_an_event_without_registration_no_form(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    course = await make_published_event(bensheim, registration_mode="whole_event", capacity=5)
    person = await register_for_course(course.id, "lena@example.org")
    await service.confirm_registration(person.id)
    url = f"/guide/events/{course.id}/messages"
    page = await guide.get(url)
    assert 'id="field-session"' not in page.text
    preview = await post(guide, url, f"{url}/preview", form(audience="confirmed"))
    assert "An 1 Person senden" in preview.text

    open_door = await make_published_event(bensheim)  # no registration at all
    page = await guide.get(f"/guide/events/{open_door.id}/messages")
    assert page.status_code == 200
    assert "keine Anmeldung" in html.unescape(page.text)
    assert 'name="subject"' not in page.text
