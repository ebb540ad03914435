"""The guide's programme and submission pages through HTTP (web/guide/programmes.py):
programmes made and changed by form, their events, partners and feeds; the queue of
proposals, editing, approving and declining one; CSRF; another town's objects."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import future_day, make_event, make_venue
from tests.pages import csrf_token, submit
from tests.submissions.factories import make_programme, make_submission
from tests.web.workspace import log_in_client
from treffpunkt.events.tables import Event, Programme
from treffpunkt.outbox import OutboxMessage
from treffpunkt.submissions.tables import Submission

NEW = {
    "slug": "interkulturelle-woche-2027",
    "title_de": "Interkulturelle Woche 2027",
    "description_de": "Eine Woche Begegnung.",
    "title_ar": "الأسبوع الثقافي 2027",
    "starts_on": str(future_day(30)),
    "ends_on": str(future_day(37)),
    "submissions_until": str(future_day(20)),
}


async def guide_of(client: httpx.AsyncClient, guide: dict[str, Any]) -> httpx.AsyncClient:
    await log_in_client(client, guide["email"])
    return client


async def test_a_guide_creates_and_edits_a_programme(
    client: Any, bensheim: Any, bensheim_guide: Any
) -> None:
    guide = await guide_of(client, bensheim_guide)
    assert (await guide.get("/guide/programmes")).status_code == 200
    wrong = await submit(
        guide,
        "/guide/programmes/new",
        "/guide/programmes/new",
        {**NEW, "slug": "Nicht gut!", "title_de": "", "ends_on": str(future_day(1))},
    )
    assert wrong.status_code == 422
    for field in ("slug", "title_de", "ends_on"):
        assert f'href="#field-{field}"' in wrong.text, field
    assert "الأسبوع الثقافي 2027" in wrong.text  # what was typed stays
    assert await Programme.count() == 0
    made = await submit(guide, "/guide/programmes/new", "/guide/programmes/new", NEW)
    assert made.status_code == 303
    [programme] = await Programme.objects()
    assert made.headers["location"] == f"/guide/programmes/{programme.id}"
    shown = await guide.get(made.headers["location"])
    assert "Interkulturelle Woche 2027" in shown.text
    slug = NEW["slug"]
    assert f"/m/bensheim/programmes/{slug}/submit" in shown.text  # the open form
    assert f"webcal://testserver/m/bensheim/programmes/{slug}/calendar.ics" in shown.text
    assert f"/m/bensheim/programmes/{slug}/events.atom" in shown.text
    taken = await submit(guide, "/guide/programmes/new", "/guide/programmes/new", NEW)
    assert taken.status_code == 422
    assert 'href="#field-slug"' in taken.text
    edit = f"/guide/programmes/{programme.id}/edit"
    changed = await submit(
        guide, edit, edit, {**NEW, "title_de": "IKW 2027", "submissions_until": ""}
    )
    assert changed.status_code == 303
    [programme] = await Programme.objects().output(load_json=True)
    assert programme.texts["de"]["title"] == "IKW 2027"
    assert programme.submissions_until is None
    listed = await guide.get("/guide/programmes")
    assert "IKW 2027" in listed.text


async def test_the_programme_page_shows_its_events_with_posters(
    client: Any, bensheim: Any, bensheim_guide: Any
) -> None:
    programme = await make_programme(bensheim)
    event = await make_event(
        bensheim, programme_id=programme["id"], texts={"de": {"title": "Kochabend"}}
    )
    guide = await guide_of(client, bensheim_guide)
    page = await guide.get(f"/guide/programmes/{programme['id']}")
    assert page.status_code == 200
    assert f'href="/guide/events/{event.id}"' in page.text
    assert "Kochabend" in page.text
    assert f"/m/bensheim/events/{event.id}/poster.pdf" not in page.text  # a draft has none


async def test_a_guide_edits_and_approves_a_proposal(
    client: Any, bensheim: Any, bensheim_guide: Any
) -> None:
    programme = await make_programme(bensheim)
    venue = await make_venue(bensheim, "Stadtbibliothek")
    submission = await make_submission(bensheim, programme)
    guide = await guide_of(client, bensheim_guide)
    queue = await guide.get(f"/guide/programmes/{programme['id']}/submissions")
    assert f'href="/guide/submissions/{submission}"' in queue.text
    path = f"/guide/submissions/{submission}"
    page = await guide.get(path)
    assert 'value="Deutsch-Syrischer Kulturverein"' in page.text
    form = {
        "organisation": "Deutsch-Syrischer Kulturverein e. V.",
        "contact_name": "Rania Khalil",
        "email": "kein@",
        "locale": "ar",
        "title_de": "Syrischer Abend",
        "date_1": str(future_day(32)),
        "start_1": "18:00",
        "end_1": "21:00",
        "languages": ["de", "ar"],
        "venue": str(venue.id),
    }
    wrong = await submit(guide, path, path, form)
    assert wrong.status_code == 422
    assert 'href="#field-email"' in wrong.text
    assert 'value="Deutsch-Syrischer Kulturverein e. V."' in wrong.text
    saved = await submit(guide, path, path, {**form, "email": "rania@kulturverein.example"})
    assert saved.status_code == 303
    [row] = await Submission.objects()
    assert (row.organisation, row.venue) == ("Deutsch-Syrischer Kulturverein e. V.", venue.id)
    approved = await submit(guide, path, f"{path}/approve")
    assert approved.status_code == 303
    [row] = await Submission.objects()
    assert row.status == "approved"
    [event] = await Event.objects()
    assert (event.status, event.venue, event.programme) == ("published", venue.id, programme["id"])
    assert f'href="/guide/events/{event.id}"' in (await guide.get(path)).text
    again = await submit(guide, f"/guide/programmes/{programme['id']}", f"{path}/approve")
    assert again.status_code == 409
    assert await Event.count() == 1


async def test_a_guide_declines_with_a_message(
    client: Any, bensheim: Any, bensheim_guide: Any
) -> None:
    programme = await make_programme(bensheim)
    submission = await make_submission(bensheim, programme)
    guide = await guide_of(client, bensheim_guide)
    path = f"/guide/submissions/{submission}"
    empty = await submit(guide, path, f"{path}/decline", {"message": "  "})
    assert empty.status_code == 422
    assert 'href="#field-message"' in empty.text
    declined = await submit(guide, path, f"{path}/decline", {"message": "Leider <voll>."})
    assert declined.status_code == 303
    page = await guide.get(path)
    assert "Leider &lt;voll&gt;." in page.text
    [mail] = await OutboxMessage.select().where(OutboxMessage.kind == "submission_declined")
    assert mail["locale"] == "ar"


async def test_forms_without_a_csrf_token_are_refused(
    client: Any, bensheim: Any, bensheim_guide: Any
) -> None:
    programme = await make_programme(bensheim)
    submission = await make_submission(bensheim, programme)
    guide = await guide_of(client, bensheim_guide)
    for action in (
        "/guide/programmes/new",
        f"/guide/programmes/{programme['id']}/edit",
        f"/guide/submissions/{submission}/approve",
        f"/guide/submissions/{submission}/decline",
    ):
        answer = await guide.post(action, data={**NEW, "message": "x"})
        assert answer.status_code == 403, action
    assert await Event.count() == 0
    assert (await Submission.objects())[0].status == "received"


async def test_another_towns_programmes_and_proposals_are_not_found(
    client: Any, bensheim: Any, butzbach_guide: Any
) -> None:
    programme = await make_programme(bensheim)
    submission = await make_submission(bensheim, programme)
    guide = await guide_of(client, butzbach_guide)
    token = csrf_token(await guide.get("/guide/programmes"))
    for path in (
        f"/guide/programmes/{programme['id']}",
        f"/guide/programmes/{programme['id']}/edit",
        f"/guide/programmes/{programme['id']}/submissions",
        f"/guide/submissions/{submission}",
        f"/guide/submissions/{2**63}",
    ):
        assert (await guide.get(path)).status_code == 404, path
    for path in (
        f"/guide/programmes/{programme['id']}/edit",
        f"/guide/submissions/{submission}",
        f"/guide/submissions/{submission}/approve",
        f"/guide/submissions/{submission}/decline",
    ):
        answer = await guide.post(path, data={**NEW, "message": "x", "_csrf_token": token})
        assert answer.status_code == 404, path
    assert await Event.count() == 0
    assert (await Submission.objects())[0].status == "received"


async def test_a_guide_adds_and_removes_partners_of_the_programme(
    client: Any, bensheim: Any, butzbach: Any, bensheim_guide: Any
) -> None:
    from treffpunkt.events.programmes import programme_partners
    from treffpunkt.partners.schemas import PartnerCreate
    from treffpunkt.partners.service import create_partner

    programme = await make_programme(bensheim)
    caritas = await create_partner(bensheim.id, PartnerCreate(name="Caritas Bensheim"))
    elsewhere = await create_partner(butzbach.id, PartnerCreate(name="Caritas Butzbach"))
    guide = await guide_of(client, bensheim_guide)
    path = f"/guide/programmes/{programme['id']}"
    page = await guide.get(path)
    assert "Caritas Bensheim" in page.text
    assert "Caritas Butzbach" not in page.text
    added = await submit(guide, path, f"{path}/partners", {"partner": str(caritas.id)})
    assert added.status_code == 303
    again = await submit(guide, path, f"{path}/partners", {"partner": str(caritas.id)})
    assert again.status_code == 303
    assert [p["id"] for p in await programme_partners(bensheim.id, programme["id"])] == [caritas.id]
    foreign = await submit(guide, path, f"{path}/partners", {"partner": str(elsewhere.id)})
    assert foreign.status_code == 404
    for wrong in ("", "x", str(2**63)):
        refused = await submit(guide, path, f"{path}/partners", {"partner": wrong})
        assert refused.status_code == 422, wrong
    removed = await submit(guide, path, f"{path}/partners/{caritas.id}/remove")
    assert removed.status_code == 303
    assert await programme_partners(bensheim.id, programme["id"]) == []
