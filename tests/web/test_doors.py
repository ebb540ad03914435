"""The door list's pages over HTTP, without JavaScript: a guide marks attendance, adds
walk-ins and phone registrations, cancels a place and changes the capacity (the page
names who moved up), downloads CSV and XLSX; another town's lists and registrations
are 404 on every address, and a form without its CSRF token is refused."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from tests.factories import SECRET, make_published_event, register_for_session, sessions_of
from tests.pages import csrf_token, submit
from tests.web.workspace import logged_in_client
from treffpunkt.events.tables import Session
from treffpunkt.registrations import service, targets
from treffpunkt.registrations.schemas import GuideRegistrationCreate, Needs
from treffpunkt.registrations.tables import Attendance, Registration


async def drop_in(municipality: Any, capacity: int | None = 2) -> Session:
    event = await make_published_event(
        municipality,
        registration_mode="per_session",
        capacity=capacity,
        max_seats_per_registration=4,
    )
    [session] = await sessions_of(event)
    return session


async def by_guide(session: Session, name: str, **fields: Any) -> Registration:
    target = await targets.session_target(session.id, session.municipality)
    data = GuideRegistrationCreate(name=name, **fields)
    return (await service.register(target, data, SECRET)).registration


@pytest.fixture
async def guide(app: Any, bensheim_guide: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with logged_in_client(app, bensheim_guide["email"]) as client:
        yield client


async def follow(guide: httpx.AsyncClient, answer: httpx.Response) -> httpx.Response:
    assert answer.status_code == 303, answer.text
    return await guide.get(answer.headers["location"])


def text(page: httpx.Response) -> str:
    """The page's words, without tags, spaces collapsed."""
    inline = re.sub(r"</?(bdi|strong|span)>", "", page.text)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", inline))


async def test_the_list_shows_names_states_places_and_needs(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    session = await drop_in(bensheim, capacity=3)
    await by_guide(
        session,
        "Amina Haddad",
        seats=2,
        phone="06251 1234",
        needs=Needs(interpretation="ar", accessibility="Rollstuhl"),
    )
    await register_for_session(session.id, "lena@example.org")
    await register_for_session(session.id, "omid@example.org")
    page = await guide.get(f"/guide/sessions/{session.id}/doors")
    assert page.status_code == 200
    words = text(page)
    assert "Amina Haddad" in words
    assert "bestätigt" in words
    assert "unbestätigt" in words
    assert "Warteliste, Platz 1" in words
    assert "2 Plätze" in words
    assert "Dolmetschen ins Arabische" in words or "Arabisch" in words
    assert "Rollstuhl" in words
    assert 'href="tel:062511234"' in page.text
    found = await guide.get(f"/guide/sessions/{session.id}/doors", params={"q": "amína"})
    assert "Amina Haddad" in text(found)
    assert "Person lena" not in text(found)
    assert "1 von 3" in text(found)
    # The event's dates lead to each date's door list.
    dates = await guide.get(f"/guide/events/{session.event}/dates")
    assert f'href="/guide/sessions/{session.id}/doors"' in dates.text


async def test_attendance_by_form_goes_back_to_the_row(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    session = await drop_in(bensheim)
    amina = await by_guide(session, "Amina")
    url = f"/guide/sessions/{session.id}/doors"
    answer = await submit(
        guide, url, f"{url}/attendance", {"registration_id": amina.id, "status": "attended"}
    )
    assert answer.status_code == 303
    assert answer.headers["location"].endswith(f"#r-{amina.id}")
    assert await Attendance.select(Attendance.status).where(
        Attendance.registration == amina.id
    ) == [{"status": "attended"}]
    page = await guide.get(answer.headers["location"])
    assert "Gespeichert für Amina." in text(page)
    # The chosen state is marked on the button itself (filled, with a check mark by the
    # stylesheet), the other one not, also without JavaScript.
    assert re.search(r'value="attended" aria-pressed="true"', page.text)
    assert re.search(r'value="no_show" aria-pressed="false"', page.text)
    # The script's way: fetch with the token in a header, JSON back.
    token = csrf_token(page)
    json_answer = await guide.post(
        f"{url}/attendance",
        data={"registration_id": amina.id, "status": "no_show"},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert json_answer.status_code == 200
    assert json_answer.json() == {
        "registration_id": amina.id,
        "session_id": session.id,
        "status": "no_show",
    }
    # A waitlisted person takes no attendance: 409, nothing written.
    waiting = await register_for_session(session.id, "w1@example.org", seats=3)
    refused = await submit(
        guide, url, f"{url}/attendance", {"registration_id": waiting.id, "status": "attended"}
    )
    assert refused.status_code == 409
    assert await Attendance.count().where(Attendance.registration == waiting.id) == 0


async def test_a_walk_in_gets_a_place_and_is_marked_or_hears_why_not(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    session = await drop_in(bensheim, capacity=2)
    url = f"/guide/sessions/{session.id}/doors"
    form = f"{url}/walk-in"
    bad = await submit(guide, form, form, {"name": "Zeile\neins", "seats": "0"})
    assert bad.status_code == 422
    assert 'href="#field-name"' in bad.text
    assert 'href="#field-seats"' in bad.text
    assert "Zeile" in bad.text  # the typed values stay
    assert await Registration.count() == 0
    answer = await submit(guide, form, form, {"name": "Yusuf", "email": "", "seats": "2"})
    page = await follow(guide, answer)
    assert "Yusuf ist eingetragen und als anwesend markiert." in text(page)
    [yusuf] = await Registration.objects().where(Registration.name == "Yusuf")
    assert yusuf.status == "confirmed"
    assert await Attendance.count().where(Attendance.registration == yusuf.id) == 1
    full = await submit(guide, form, form, {"name": "Zu spät", "seats": "1"})
    assert full.status_code == 409
    assert "Kapazität" in text(full)
    assert "Zu spät" in full.text
    assert await Registration.count() == 1


async def test_a_phone_registration_needs_a_way_to_reach_them_and_may_wait(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    session = await drop_in(bensheim, capacity=1)
    url = f"/guide/sessions/{session.id}/doors"
    form = f"{url}/add"
    nothing = await submit(guide, form, form, {"name": "Omid", "locale": "fa", "seats": "1"})
    assert nothing.status_code == 422
    assert 'href="#field-contact"' in nothing.text
    first = await submit(
        guide, form, form, {"name": "Omid", "phone": "06251 555", "locale": "fa", "seats": "1"}
    )
    assert "Omid ist angemeldet." in text(await follow(guide, first))
    second = await submit(
        guide,
        form,
        form,
        {
            "name": "Oksana",
            "email": "oksana@example.org",
            "locale": "uk",
            "seats": "1",
            "interpretation": "uk",
        },
    )
    page = await follow(guide, second)
    assert "Oksana steht auf der Warteliste, Platz 1." in text(page)
    oksana = await Registration.objects().where(Registration.name == "Oksana").first()
    assert oksana is not None
    assert (oksana.status, oksana.locale, oksana.needs_interpretation) == ("waitlisted", "uk", "uk")


async def test_cancelling_a_place_asks_first_and_names_who_moved_up(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    session = await drop_in(bensheim, capacity=1)
    holder = await by_guide(session, "Karl")
    waiting = await by_guide(session, "Nadia", email="nadia@example.org")
    url = f"/guide/sessions/{session.id}/doors"
    ask = await guide.get(f"{url}/cancel/{holder.id}")
    assert ask.status_code == 200
    assert "Platz von Karl" in text(ask)
    assert "Warteliste" in text(ask) or "warten" in text(ask)
    answer = await submit(guide, f"{url}/cancel/{holder.id}", f"{url}/cancel/{holder.id}")
    page = await follow(guide, answer)
    words = text(page)
    assert "Der Platz von Karl ist storniert." in words
    assert "Von der Warteliste nachgerückt: Nadia" in words
    assert (await Registration.objects().where(Registration.id == waiting.id).first()).status == (  # type: ignore[union-attr]
        "confirmed"
    )
    # Cancelled once; its page is gone.
    assert (await guide.get(f"{url}/cancel/{holder.id}")).status_code == 404


async def test_more_room_names_who_moved_up_and_less_than_taken_is_refused(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    session = await drop_in(bensheim, capacity=1)
    await by_guide(session, "Erste")
    await by_guide(session, "Zweite")
    await by_guide(session, "Dritte")
    url = f"/guide/sessions/{session.id}/doors"
    form = f"{url}/capacity"
    answer = await submit(guide, form, form, {"capacity": "2"})
    page = await follow(guide, answer)
    assert "Von der Warteliste nachgerückt: Zweite" in text(page)
    assert "Dritte" in text(page)
    low = await submit(guide, form, form, {"capacity": "1"})
    assert low.status_code == 422
    assert "2 Plätze sind vergeben" in text(low)
    bad = await submit(guide, form, form, {"capacity": "viele"})
    assert bad.status_code == 422
    assert 'href="#field-capacity"' in bad.text
    unlimited = await submit(guide, form, form, {"capacity": ""})
    assert "nachgerückt: Dritte" in text(await follow(guide, unlimited))


async def test_the_list_downloads_as_csv_and_xlsx(guide: httpx.AsyncClient, bensheim: Any) -> None:
    session = await drop_in(bensheim, capacity=5)
    await by_guide(session, "Amina Haddad", phone="06251 1234")
    await by_guide(session, "=1+1", email="x@example.org")
    url = f"/guide/sessions/{session.id}/doors"
    day = session.starts_at.astimezone().date().isoformat()
    answer = await guide.get(f"{url}.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="anmeldungen-dialogrunde-ankommen-{day}.csv"'
    )
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Name", "E-Mail", "Telefon", "Status"]
    assert rows[1][0] == "Amina Haddad"
    assert rows[2][0] == "'=1+1"
    xlsx = await guide.get(f"{url}.xlsx")
    assert xlsx.status_code == 200
    assert xlsx.headers["content-disposition"].endswith(f'-{day}.xlsx"')
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0] == rows[0]
    assert cells[1][0] == "Amina Haddad"
    assert cells[2][0] == "=1+1"
    assert sheet.cell(row=2, column=1).data_type == "s"
    assert isinstance(cells[1][10], datetime)
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= len("Amina Haddad")


async def test_the_list_leads_back_to_the_event_its_messages_and_the_other_dates(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    start = datetime.now().astimezone() + timedelta(days=7)
    event = await make_published_event(
        bensheim,
        registration_mode="per_session",
        capacity=5,
        sessions=[
            {
                "starts_at": (start + timedelta(days=d)).isoformat(),
                "ends_at": (start + timedelta(days=d, hours=2)).isoformat(),
            }
            for d in (0, 7, 14)
        ],
    )
    first, second, third = await sessions_of(event)
    page = await guide.get(f"/guide/sessions/{second.id}/doors")
    assert page.status_code == 200
    assert f'href="/guide/events/{event.id}"' in page.text
    assert f'href="/guide/events/{event.id}/messages?session={second.id}"' in page.text
    assert f'href="/guide/sessions/{first.id}/doors" rel="prev"' in page.text
    assert f'href="/guide/sessions/{third.id}/doors" rel="next"' in page.text
    assert "Zurück zur Veranstaltung" in text(page)
    assert "Nachricht an die Angemeldeten" in text(page) or "Angemeldet" in text(page)
    last = await guide.get(f"/guide/sessions/{third.id}/doors")
    assert 'rel="next"' not in last.text
    assert f'href="/guide/sessions/{second.id}/doors" rel="prev"' in last.text
    # The messages page takes the date it is sent to.
    messages = await guide.get(f"/guide/events/{event.id}/messages?session={second.id}")
    assert messages.status_code == 200
    # One name for the list in German, on the list's forms too.
    walk_in = await guide.get(f"/guide/sessions/{second.id}/doors/walk-in")
    assert "Zurück zur Türliste" in text(walk_in)
    assert "Einlassliste" not in walk_in.text


async def test_a_course_list_takes_the_attendance_of_the_picked_date(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    start = datetime.now().astimezone() + timedelta(days=7)
    course = await make_published_event(
        bensheim,
        kind="training",
        registration_mode="whole_event",
        capacity=5,
        sessions=[
            {
                "starts_at": (start + timedelta(days=d)).isoformat(),
                "ends_at": (start + timedelta(days=d, hours=2)).isoformat(),
            }
            for d in (0, 7)
        ],
    )
    first, second = await sessions_of(course)
    target = await targets.event_target(course.id, bensheim.id)
    lena = (
        await service.register(target, GuideRegistrationCreate(name="Lena"), SECRET)
    ).registration
    url = f"/guide/events/{course.id}/doors"
    page = await guide.get(url, params={"session": second.id})
    assert page.status_code == 200
    assert f'<option value="{second.id}" selected>' in page.text
    answer = await submit(
        guide,
        f"{url}?session={second.id}",
        f"{url}/attendance",
        {"registration_id": lena.id, "status": "attended", "session": second.id},
    )
    assert (
        answer.headers["location"]
        == f"{url}?session={second.id}&done=attendance&who={lena.id}#r-{lena.id}"
    )
    marks = await Attendance.select(Attendance.session).where(Attendance.registration == lena.id)
    assert marks == [{"session": second.id}]
    assert f'href="{url}?session={first.id}" rel="prev"' in page.text
    assert 'rel="next"' not in page.text
    # A course's date leads to the course's list; a drop-in event to its next date's.
    to_course = await guide.get(f"/guide/sessions/{first.id}/doors")
    assert to_course.status_code == 303
    assert to_course.headers["location"] == f"{url}?session={first.id}"
    drop = await drop_in(bensheim)
    to_session = await guide.get(f"/guide/events/{drop.event}/doors")
    assert to_session.headers["location"] == f"/guide/sessions/{drop.id}/doors"
    assert (await guide.get(url, params={"session": drop.id})).status_code == 404
    assert (await guide.get(f"{url}.xlsx")).headers["content-disposition"] == (
        'attachment; filename="anmeldungen-dialogrunde-ankommen.xlsx"'
    )


async def test_another_towns_lists_and_registrations_are_404_everywhere(
    guide: httpx.AsyncClient, bensheim: Any, butzbach: Any
) -> None:
    own = await drop_in(bensheim)
    mine = await by_guide(own, "Meine")
    foreign = await drop_in(butzbach)
    theirs = await by_guide(foreign, "Fremde")
    foreign_course = await make_published_event(
        butzbach, kind="training", registration_mode="whole_event"
    )
    page = await guide.get(f"/guide/sessions/{own.id}/doors")
    token = csrf_token(page)
    lists = [f"/guide/sessions/{foreign.id}/doors", f"/guide/events/{foreign_course.id}/doors"]
    for base in lists:
        for path in ("", ".csv", ".xlsx", "/walk-in", "/add", "/capacity", f"/cancel/{theirs.id}"):
            assert (await guide.get(base + path)).status_code == 404, base + path
        for path, data in (
            ("/attendance", {"registration_id": theirs.id, "status": "attended"}),
            ("/walk-in", {"name": "X", "seats": "1"}),
            ("/add", {"name": "X", "phone": "0625 1234", "locale": "de", "seats": "1"}),
            ("/capacity", {"capacity": "50"}),
            (f"/cancel/{theirs.id}", {}),
        ):
            answer = await guide.post(base + path, data={"_csrf_token": token, **data})
            assert answer.status_code == 404, base + path
    # Their registration through my own list: not on it.
    own_list = f"/guide/sessions/{own.id}/doors"
    assert (await guide.get(f"{own_list}/cancel/{theirs.id}")).status_code == 404
    for path, data in (
        ("/attendance", {"registration_id": theirs.id, "status": "attended"}),
        (f"/cancel/{theirs.id}", {}),
    ):
        answer = await guide.post(own_list + path, data={"_csrf_token": token, **data})
        assert answer.status_code == 404, path
    # Ids past 2^63 name nothing.
    assert (await guide.get(f"/guide/sessions/{2**63}/doors")).status_code == 404
    assert (await guide.get(f"{own_list}/cancel/{2**64}")).status_code == 404
    theirs_now = await Registration.objects().where(Registration.id == theirs.id).first()
    assert theirs_now is not None
    assert theirs_now.status == "confirmed"
    assert await Attendance.count() == 0
    assert await Registration.count() == 2
    assert mine.status == "confirmed"


async def test_forms_without_the_csrf_token_are_refused(
    guide: httpx.AsyncClient, bensheim: Any
) -> None:
    session = await drop_in(bensheim)
    amina = await by_guide(session, "Amina")
    url = f"/guide/sessions/{session.id}/doors"
    await guide.get(url)
    for path, data in (
        ("/attendance", {"registration_id": amina.id, "status": "attended"}),
        ("/walk-in", {"name": "X", "seats": "1"}),
        ("/capacity", {"capacity": "9"}),
        (f"/cancel/{amina.id}", {}),
    ):
        assert (await guide.post(url + path, data=data)).status_code == 403, path
    forged = await guide.post(
        f"{url}/attendance",
        data={"registration_id": amina.id, "status": "attended"},
        headers={"X-CSRFToken": "forged", "Accept": "application/json"},
    )
    assert forged.status_code == 403
    assert await Attendance.count() == 0
    assert await Registration.count() == 1
