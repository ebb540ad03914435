"""The A4 poster of an event (web/poster.py): a PDF that opens, says the event in German
and its languages (Arabic shaped right to left), and whose QR code leads to the page."""

from __future__ import annotations

from typing import Any

import pypdfium2
import zxingcpp

from tests.factories import make_published_event, make_venue


async def test_the_poster_opens_and_its_qr_code_leads_to_the_event_page(
    client: Any, bensheim: Any
) -> None:
    venue = await make_venue(bensheim)
    event = await make_published_event(
        bensheim,
        venue_id=venue.id,
        languages=["de", "ar", "uk"],
        texts={
            "de": {"title": "Dialogrunde Ankommen"},
            "ar": {"title": "جلسة حوار"},
            "uk": {"title": "Діалогова зустріч"},
        },
    )
    answer = await client.get(f"/m/bensheim/events/{event.id}/poster.pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert "public" in answer.headers["cache-control"]
    pdf = pypdfium2.PdfDocument(answer.content)
    page = pdf[0]
    width, height = page.get_size()
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = page.get_textpage().get_text_range()
    assert "Dialogrunde Ankommen" in text
    assert "Hauptstraße 53" in text
    assert "Діалогова зустріч" in text
    # Shaped Arabic: the letters are there (in presentation forms or as written).
    assert "جلسة" in text or "ﺟﻠﺴﺔ" in text or "ﺔﺴﻠﺟ" in text, text
    image = page.render(scale=3).to_pil()
    [code] = zxingcpp.read_barcodes(image)
    assert code.text == f"http://testserver/m/bensheim/events/{event.id}"


async def test_no_poster_for_a_draft_or_another_towns_event(client: Any, bensheim: Any) -> None:
    from tests.factories import make_event, make_municipality

    draft = await make_event(bensheim)
    foreign = await make_published_event(await make_municipality("butzbach", "Stadt Butzbach"))
    for event in (draft, foreign):
        answer = await client.get(f"/m/bensheim/events/{event.id}/poster.pdf")
        assert answer.status_code == 404


async def test_atom_feeds_keep_their_default_namespace_after_a_poster(
    client: Any, bensheim: Any
) -> None:
    # WeasyPrint registers XML prefixes process-wide (ElementTree.register_namespace).
    event = await make_published_event(bensheim)
    assert (await client.get(f"/m/bensheim/events/{event.id}/poster.pdf")).status_code == 200
    feed = await client.get("/m/bensheim/events.atom?locale=de")
    declaration, root = feed.text.split("\n", 1)
    assert declaration.startswith("<?xml")
    assert root.startswith('<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="de">')
    assert "ns0" not in feed.text


async def test_a_poster_is_rendered_once_until_its_event_changes(
    client: Any, bensheim: Any, monkeypatch: Any
) -> None:
    from treffpunkt.events.schemas import EventUpdate
    from treffpunkt.events.service import update_event
    from treffpunkt.web import poster

    renders: list[str] = []
    real = poster._pdf

    def counting(html: str) -> bytes:
        renders.append(html)
        return real(html)

    monkeypatch.setattr(poster, "_pdf", counting)
    event = await make_published_event(bensheim, texts={"de": {"title": "Sommerfest"}})
    path = f"/m/bensheim/events/{event.id}/poster.pdf"
    first = await client.get(path)
    second = await client.get(path)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert len(renders) == 1
    await update_event(
        bensheim.id,
        event.id,
        EventUpdate.model_validate({"texts": {"de": {"title": "Herbstfest"}}}),
    )
    changed = await client.get(path)
    assert len(renders) == 2
    assert "Herbstfest" in pypdfium2.PdfDocument(changed.content)[0].get_textpage().get_text_range()
