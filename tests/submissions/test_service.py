"""Partner submissions (submissions/service.py): a proposal while the programme takes
them, its mail, the guide's edits, and approving or declining once, each town alone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest

from tests.factories import BERLIN, future_day, make_venue
from tests.submissions.factories import make_programme, make_submission, proposal
from treffpunkt.errors import Conflict, InvalidInput, NotFound
from treffpunkt.events.service import guide_event
from treffpunkt.outbox import OutboxMessage, OutboxStatus
from treffpunkt.submissions import service
from treffpunkt.submissions.schemas import SubmissionCreate, SubmissionDecline, SubmissionUpdate
from treffpunkt.submissions.tables import Submission


async def mails(kind: str) -> list[dict[str, Any]]:
    return (
        await OutboxMessage.select()
        .where(OutboxMessage.kind == kind)
        .order_by(OutboxMessage.id)
        .output(load_json=True)
    )


async def test_a_proposal_is_stored_and_its_contact_told_in_their_language(
    bensheim: Any,
) -> None:
    programme = await make_programme(bensheim)
    submission_id = await make_submission(bensheim, programme)
    found = await service.get_submission(bensheim.id, submission_id)
    assert found.status == "received"
    assert found.organisation == "Deutsch-Syrischer Kulturverein"
    assert [d.start for d in found.dates] == [time(18), time(15)]
    [mail] = await mails(service.RECEIVED)
    assert (mail["recipient_email"], mail["locale"]) == ("rania@kulturverein.example", "ar")
    assert mail["context"]["event_title"] == "أمسية سورية"
    assert mail["context"]["programme_title"] == "Interkulturelle Woche 2027"  # no Arabic


async def test_the_form_closes_after_its_last_day_in_the_towns_zone(bensheim: Any) -> None:
    today = datetime.now(BERLIN).date()
    programme = await make_programme(bensheim, until=today)
    data = SubmissionCreate.model_validate(proposal())
    assert service.accepts_submissions(programme, bensheim, service.now())
    tomorrow = datetime.combine(today + timedelta(days=1), time(0, 1), BERLIN)
    with pytest.raises(Conflict):
        await service.submit(bensheim, programme["slug"], data, at=tomorrow)
    closed = await make_programme(bensheim, slug="closed", submissions_until=None)
    with pytest.raises(Conflict):
        await service.submit(bensheim, closed["slug"], data)
    assert await Submission.count() == 0
    assert await OutboxMessage.count() == 0


async def test_a_date_in_the_past_is_refused_naming_it(bensheim: Any) -> None:
    programme = await make_programme(bensheim)
    yesterday = datetime.now(BERLIN).date() - timedelta(days=1)
    dates = [
        {"day": str(future_day(32)), "start": "18:00", "end": "20:00"},
        {"day": str(yesterday), "start": "18:00", "end": "20:00"},
    ]
    data = SubmissionCreate.model_validate(proposal(dates=dates))
    with pytest.raises(InvalidInput) as refused:
        await service.submit(bensheim, programme["slug"], data)
    assert list(refused.value.fields) == ["dates.1.day"]
    assert await Submission.count() == 0


async def test_a_held_back_mail_is_written_but_never_sent(bensheim: Any) -> None:
    programme = await make_programme(bensheim)
    data = SubmissionCreate.model_validate(proposal())
    await service.submit(bensheim, programme["slug"], data, mail=False)
    [mail] = await mails(service.RECEIVED)
    assert mail["status"] == OutboxStatus.skipped


async def test_approving_makes_a_published_event_of_the_programme(bensheim: Any) -> None:
    programme = await make_programme(bensheim)
    venue = await make_venue(bensheim, "Museum Bensheim")
    submission_id = await make_submission(bensheim, programme)
    await service.update_submission(bensheim.id, submission_id, SubmissionUpdate(venue_id=venue.id))
    approved = await service.approve(bensheim.id, submission_id)
    assert approved.status == "approved"
    assert approved.event_id is not None
    event = await guide_event(bensheim.id, approved.event_id)
    assert event.status == "published"
    assert event.kind == "programme_item"
    assert event.programme_id == programme["id"]
    assert event.venue_id == venue.id
    assert event.texts["ar"].title == "أمسية سورية"
    assert event.languages == ["de", "ar"]
    assert event.organiser is not None
    assert event.organiser.name == "Deutsch-Syrischer Kulturverein"
    day = future_day(32)
    assert [s.starts_at for s in event.sessions] == [
        datetime.combine(day, time(18), BERLIN),
        datetime.combine(day + timedelta(days=2), time(15), BERLIN),
    ]
    [mail] = await mails(service.APPROVED)
    assert mail["context"]["event_id"] == event.id
    with pytest.raises(Conflict):  # decided once
        await service.decline(bensheim.id, submission_id, SubmissionDecline(message="Nein"))


async def test_a_submission_without_the_towns_language_waits_for_its_translation(
    bensheim: Any,
) -> None:
    programme = await make_programme(bensheim)
    submission_id = await make_submission(
        bensheim, programme, texts={"en": {"title": "Syrian evening"}}
    )
    with pytest.raises(InvalidInput) as refused:
        await service.approve(bensheim.id, submission_id)
    assert "texts.de" in refused.value.fields
    assert (await service.get_submission(bensheim.id, submission_id)).status == "received"
    texts = {"en": {"title": "Syrian evening"}, "de": {"title": "Syrischer Abend"}}
    await service.update_submission(
        bensheim.id, submission_id, SubmissionUpdate.model_validate({"texts": texts})
    )
    assert (await service.approve(bensheim.id, submission_id)).status == "approved"


async def test_declining_tells_the_contact_the_guides_message(bensheim: Any) -> None:
    programme = await make_programme(bensheim)
    submission_id = await make_submission(bensheim, programme, locale="tr")
    message = "Leider ist die Woche voll.\n\nNächstes Jahr gern wieder!"
    declined = await service.decline(bensheim.id, submission_id, SubmissionDecline(message=message))
    assert (declined.status, declined.decline_message) == ("declined", message)
    [mail] = await mails(service.DECLINED)
    assert (mail["locale"], mail["context"]["message"]) == ("tr", message)
    with pytest.raises(Conflict):
        await service.update_submission(
            bensheim.id, submission_id, SubmissionUpdate(organisation="X")
        )


async def test_another_towns_submissions_are_not_found(bensheim: Any, butzbach: Any) -> None:
    programme = await make_programme(bensheim)
    submission_id = await make_submission(bensheim, programme)
    other_venue = await make_venue(butzbach)
    for attempt in (
        service.get_submission(butzbach.id, submission_id),
        service.approve(butzbach.id, submission_id),
        service.decline(butzbach.id, submission_id, SubmissionDecline(message="x")),
        service.update_submission(butzbach.id, submission_id, SubmissionUpdate(phone=None)),
        service.list_submissions(butzbach.id, programme["id"]),
    ):
        with pytest.raises(NotFound):
            await attempt
    with pytest.raises(InvalidInput):  # the venue must be the town's own
        await service.update_submission(
            bensheim.id, submission_id, SubmissionUpdate(venue_id=other_venue.id)
        )
    assert (await service.get_submission(bensheim.id, submission_id)).status == "received"


async def test_the_organisation_becomes_a_partner_of_the_programme_once(bensheim: Any) -> None:
    from treffpunkt.events.programmes import programme_partners
    from treffpunkt.partners.schemas import PartnerCreate
    from treffpunkt.partners.service import create_partner
    from treffpunkt.partners.tables import Partner

    programme = await make_programme(bensheim)
    known = await create_partner(
        bensheim.id,
        PartnerCreate(name="Deutsch-Syrischer  kulturverein", notes="seit 2019 dabei"),
    )
    first = await make_submission(bensheim, programme)
    second = await make_submission(bensheim, programme, email="vorstand@kulturverein.example")
    other = await make_submission(
        bensheim, programme, organisation="Moscheegemeinde", email="rania@kulturverein.example"
    )
    for submission_id in (first, second, other):
        await service.approve(bensheim.id, submission_id)
    # Found by name (case and spaces aside), then by the address it gained.
    assert await Partner.count() == 1
    [partner] = await Partner.objects()
    assert (partner.id, partner.name, partner.notes) == (
        known.id,
        "Deutsch-Syrischer  kulturverein",
        "seit 2019 dabei",
    )
    assert (partner.email, partner.contact_name) == ("rania@kulturverein.example", "Rania Khalil")
    assert [p["id"] for p in await programme_partners(bensheim.id, programme["id"])] == [known.id]
    approved = await service.get_submission(bensheim.id, other)
    assert approved.partner_id == known.id


async def test_a_new_organisation_is_added_as_a_partner(bensheim: Any, butzbach: Any) -> None:
    from treffpunkt.partners.schemas import PartnerCreate
    from treffpunkt.partners.service import create_partner
    from treffpunkt.partners.tables import Partner

    await create_partner(  # the same name in another town is another organisation
        butzbach.id, PartnerCreate(name="Deutsch-Syrischer Kulturverein")
    )
    programme = await make_programme(bensheim)
    approved = await service.approve(bensheim.id, await make_submission(bensheim, programme))
    partner = await Partner.objects().where(Partner.id == approved.partner_id).first()
    assert partner is not None
    assert (partner.municipality, partner.name, partner.locale) == (
        bensheim.id,
        "Deutsch-Syrischer Kulturverein",
        "ar",
    )
