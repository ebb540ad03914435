"""The A4 poster of a programme (web/poster.py render_programme, web/town.py): a PDF
with the programme's title and dates, its published events by date (as many as fit, then
how many more), its partners, the town's contact, in the language of `?lang=`."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

import pypdfium2

from tests.factories import BERLIN, future_day, make_event, make_published_event, make_venue
from tests.submissions.factories import make_programme
from tests.web.workspace import log_in_client
from treffpunkt.events.programmes import add_partner
from treffpunkt.events.service import cancel_event
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.partners.schemas import PartnerCreate
from treffpunkt.partners.service import create_partner
from treffpunkt.web import poster

PATH = "/m/bensheim/programmes/interkulturelle-woche-2027/poster.pdf"


def text_of(content: bytes) -> str:
    pdf = pypdfium2.PdfDocument(content)
    assert len(pdf) == 1
    page = pdf[0]
    width, height = page.get_size()
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    return str(page.get_textpage().get_text_range())


def session_on(days_ahead: int) -> list[dict[str, str]]:
    day = future_day(days_ahead)
    return [
        {
            "starts_at": datetime.combine(day, time(18), BERLIN).isoformat(),
            "ends_at": datetime.combine(day, time(20), BERLIN).isoformat(),
        }
    ]


async def test_the_programme_poster_lists_its_published_events_and_partners(
    client: Any, bensheim: Any
) -> None:
    programme = await make_programme(bensheim)
    venue = await make_venue(bensheim)
    await make_published_event(
        bensheim,
        programme_id=programme["id"],
        venue_id=venue.id,
        sessions=session_on(31),
        texts={"de": {"title": "Fest der Kulturen"}},
    )
    gone = await make_published_event(  # nor a cancelled one
        bensheim,
        programme_id=programme["id"],
        sessions=session_on(32),
        texts={"de": {"title": "Abgesagter Abend"}},
    )
    await cancel_event(bensheim.id, gone.id)
    await make_event(  # a draft is not on the poster
        bensheim, programme_id=programme["id"], texts={"de": {"title": "Geheimer Entwurf"}}
    )
    partner = await create_partner(bensheim.id, PartnerCreate(name="Deutsch-Syrischer Verein"))
    await add_partner(bensheim.id, programme["id"], partner.id)

    answer = await client.get(PATH)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert "public" in answer.headers["cache-control"]
    text = text_of(answer.content)
    assert "Interkulturelle Woche 2027" in text
    assert "Fest der Kulturen" in text
    assert venue.name in text
    assert "Geheimer Entwurf" not in text
    assert "Abgesagter Abend" not in text
    assert "Deutsch-Syrischer Verein" in text
    assert "integration@bensheim.example" in text
    assert "Veranstaltungen" in text or "Termine" in text


async def test_more_events_than_fit_are_counted(
    client: Any, bensheim: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(poster, "MAX_PROGRAMME_LINES", 2)
    programme = await make_programme(bensheim)
    for number in range(4):
        await make_published_event(
            bensheim,
            programme_id=programme["id"],
            sessions=session_on(31 + number),
            texts={"de": {"title": f"Abend {number}"}},
        )
    answer = await client.get(PATH)
    assert answer.status_code == 200, answer.text
    text = text_of(answer.content)
    assert "Abend 0" in text
    assert "Abend 1" in text
    assert "Abend 2" not in text
    assert "Abend 3" not in text
    assert "2 weitere" in text, text


async def test_an_arabic_poster_renders(client: Any, bensheim: Any) -> None:
    programme = await make_programme(bensheim)
    await make_published_event(bensheim, programme_id=programme["id"], sessions=session_on(31))
    answer = await client.get(f"{PATH}?lang=ar")
    assert answer.status_code == 200
    text = text_of(answer.content)
    assert "Interkulturelle Woche 2027" in text  # no Arabic title: the German one
    assert "Ankommen" in text  # the event's German title (bidi runs may split it)
    assert "الفعاليات" in text or "ﺍﻟﻔﻌﺎﻟﻴﺎﺕ" in text, text  # "Events", shaped
    assert "?lang=ar" in text  # the QR code and address lead to the Arabic page


async def test_no_poster_of_another_towns_or_an_unknown_programme(
    client: Any, bensheim: Any, butzbach: Any
) -> None:
    await make_programme(butzbach, slug="butzbacher-woche")
    for path in (
        "/m/bensheim/programmes/butzbacher-woche/poster.pdf",
        "/m/bensheim/programmes/gibt-es-nicht/poster.pdf",
        "/m/niemandsland/programmes/butzbacher-woche/poster.pdf",
    ):
        assert (await client.get(path)).status_code == 404, path
    assert (await client.get("/m/butzbach/programmes/butzbacher-woche/poster.pdf")).is_success


async def test_no_poster_of_a_deactivated_town(client: Any, butzbach: Any) -> None:
    await make_programme(butzbach, slug="butzbacher-woche")
    await Municipality.update({Municipality.active: False}).where(Municipality.id == butzbach.id)
    path = "/m/butzbach/programmes/butzbacher-woche/poster.pdf"
    assert (await client.get(path)).status_code == 404


async def test_the_programme_pages_link_their_poster(
    client: Any, bensheim: Any, bensheim_guide: Any
) -> None:
    programme = await make_programme(bensheim)
    await log_in_client(client, bensheim_guide["email"])
    page = await client.get(f"/guide/programmes/{programme['id']}")
    assert page.status_code == 200
    assert f'href="{PATH}?lang=de"' in page.text
    assert "Plakat des Programms" in page.text
    page = await client.get("/m/bensheim/programmes/interkulturelle-woche-2027?lang=en")
    assert f'href="{PATH}?lang=en"' in page.text


async def test_a_full_programme_with_long_titles_fits_on_one_page(
    client: Any, bensheim: Any
) -> None:
    programme = await make_programme(bensheim)
    venue = await make_venue(bensheim)
    for number in range(poster.MAX_PROGRAMME_LINES + 3):
        await make_published_event(
            bensheim,
            programme_id=programme["id"],
            venue_id=venue.id,
            sessions=session_on(31 + number % 7),
            texts={"de": {"title": f"Ein recht langer Titel einer Veranstaltung Nummer {number}"}},
        )
    for partner in range(8):
        created = await create_partner(bensheim.id, PartnerCreate(name=f"Verein Nummer {partner}"))
        await add_partner(bensheim.id, programme["id"], created.id)
    answer = await client.get(PATH)
    text = text_of(answer.content)  # one A4 page
    assert "3 weitere Veranstaltungen" in text
