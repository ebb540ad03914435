"""A programme's public submission form through HTTP (web/submissions.py): what it
stores, how it names what is wrong and keeps what was typed, the trap for bots, the
deadline, the rate limit, CSRF, and another town's programme."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.factories import BERLIN, future_day
from tests.pages import csrf_token, submit
from tests.submissions.factories import make_programme
from treffpunkt.outbox import OutboxMessage
from treffpunkt.submissions.tables import Submission

DAY = str(future_day(32))
FORM = {
    "organisation": "Deutsch-Syrischer Kulturverein",
    "contact_name": "Rania Khalil",
    "email": "rania@kulturverein.example",
    "phone": "06251 98765",
    "locale": "ar",
    "title_de": "Syrischer Abend",
    "description_de": "Musik und Essen aus Aleppo.",
    "title_ar": "أمسية سورية",
    "date_1": DAY,
    "start_1": "18:00",
    "end_1": "21:00",
    "languages": ["de", "ar"],
    "venue_wish": "Unser Vereinsheim",
    "accessibility": "Stufenlos erreichbar",
    "consent": "yes",
}


def form_path(town: Any, programme: dict[str, Any]) -> str:
    return f"/m/{town.slug}/programmes/{programme['slug']}/submit"


async def send(
    client: httpx.AsyncClient, town: Any, programme: dict[str, Any], **fields: Any
) -> httpx.Response:
    path = form_path(town, programme)
    return await submit(client, path, path, {**FORM, **fields})


async def test_a_proposal_is_stored_and_thanked_for(client: Any, bensheim: Any) -> None:
    programme = await make_programme(bensheim)
    programme_page = await client.get(f"/m/bensheim/programmes/{programme['slug']}")
    assert form_path(bensheim, programme) in programme_page.text  # "propose an event"
    answer = await send(client, bensheim, programme, date_2=DAY, start_2="10:00", end_2="12:00")
    assert answer.status_code == 303
    assert answer.headers["location"].endswith(f"/programmes/{programme['slug']}/submitted")
    thanks = await client.get(answer.headers["location"])
    assert thanks.status_code == 200
    assert "Vielen Dank" in thanks.text or "Thank you" in thanks.text
    [row] = await Submission.select().output(load_json=True)
    assert row["organisation"] == "Deutsch-Syrischer Kulturverein"
    assert row["texts"]["ar"] == {"title": "أمسية سورية", "description": ""}
    assert [(d["start"], d["end"]) for d in row["dates"]] == [
        ("18:00", "21:00"),
        ("10:00", "12:00"),
    ]
    assert row["languages"] == ["de", "ar"]
    assert await OutboxMessage.count().where(OutboxMessage.kind == "submission_received") == 1


async def test_errors_are_named_next_to_their_fields_and_the_values_kept(
    client: Any, bensheim: Any
) -> None:
    programme = await make_programme(bensheim)
    answer = await send(
        client,
        bensheim,
        programme,
        organisation="",
        email="not an address",
        title_de="",
        description_de="",
        title_ar="",
        start_1="21:00",
        end_1="18:00",
        languages=[],
        consent="",
        venue_wish="Bitte im <Museum>",
    )
    assert answer.status_code == 422
    page = answer.text
    for field in ("organisation", "email", "title_de", "end_1", "languages", "consent"):
        assert f'href="#field-{field}"' in page, field
    assert 'id="error-email"' in page
    assert 'value="not an address"' in page
    assert "Bitte im &lt;Museum&gt;</textarea>" in page
    assert 'value="Rania Khalil"' in page
    assert await Submission.count() == 0


async def test_a_proposal_without_any_date_or_with_a_broken_one_is_refused(
    client: Any, bensheim: Any
) -> None:
    programme = await make_programme(bensheim)
    none = await send(client, bensheim, programme, date_1="", start_1="", end_1="")
    assert none.status_code == 422
    assert 'href="#field-date_1"' in none.text
    broken = await send(client, bensheim, programme, date_2="2027-02-30", start_2="x", end_2="")
    assert broken.status_code == 422
    assert 'href="#field-date_2"' in broken.text
    assert 'href="#field-start_2"' in broken.text
    assert await Submission.count() == 0


async def test_a_filled_trap_field_stores_nothing_and_answers_as_for_a_person(
    client: Any, bensheim: Any
) -> None:
    programme = await make_programme(bensheim)
    answer = await send(client, bensheim, programme, homepage="http://spam.example")
    assert answer.status_code == 303
    assert await Submission.count() == 0
    assert await OutboxMessage.count() == 0


async def test_after_its_last_day_the_form_is_closed_kindly(client: Any, bensheim: Any) -> None:
    yesterday = datetime.now(BERLIN).date() - timedelta(days=1)
    programme = await make_programme(bensheim, until=yesterday)
    page = await client.get(form_path(bensheim, programme))
    assert page.status_code == 200
    assert 'name="organisation"' not in page.text
    assert f"/m/bensheim/programmes/{programme['slug']}" in page.text
    programme_page = await client.get(f"/m/bensheim/programmes/{programme['slug']}")
    assert form_path(bensheim, programme) not in programme_page.text
    open_one = await make_programme(bensheim, slug="open")
    token = csrf_token(await client.get(form_path(bensheim, open_one)))
    late = await client.post(form_path(bensheim, programme), data={**FORM, "_csrf_token": token})
    assert late.status_code == 409
    assert await Submission.count() == 0


async def test_a_form_without_its_csrf_token_is_refused(client: Any, bensheim: Any) -> None:
    programme = await make_programme(bensheim)
    forged = await client.post(form_path(bensheim, programme), data=FORM)
    assert forged.status_code == 403
    assert await Submission.count() == 0


async def test_another_towns_programme_is_not_found(
    client: Any, bensheim: Any, butzbach: Any
) -> None:
    programme = await make_programme(bensheim)
    elsewhere = f"/m/butzbach/programmes/{programme['slug']}/submit"
    assert (await client.get(elsewhere)).status_code == 404
    token = csrf_token(await client.get(form_path(bensheim, programme)))
    answer = await client.post(
        f"/m/butzbach/programmes/{programme['slug']}/submit", data={**FORM, "_csrf_token": token}
    )
    assert answer.status_code == 404
    assert await Submission.count() == 0


@pytest.mark.counts_to_a_limit
async def test_the_form_keeps_to_its_rate_limit(client: Any, bensheim: Any) -> None:
    programme = await make_programme(bensheim)
    path = form_path(bensheim, programme)
    token = csrf_token(await client.get(path))
    statuses = [
        (
            await client.post(
                path, data={**FORM, "email": f"p{n}@example.org", "_csrf_token": token}
            )
        ).status_code
        for n in range(11)
    ]
    assert statuses[:10] == [303] * 10  # TREFFPUNKT_SUBMISSIONS_PER_CLIENT
    assert statuses[10] == 429
    assert await Submission.count() == 10


@pytest.mark.parametrize("locale", ["de", "en", "uk", "ar", "tr", "fa"])
async def test_the_form_speaks_every_language(client: Any, bensheim: Any, locale: str) -> None:
    programme = await make_programme(bensheim)
    page = await client.get(f"{form_path(bensheim, programme)}?lang={locale}")
    assert page.status_code == 200
    assert f'<html lang="{locale}"' in page.text


async def test_a_date_in_the_past_is_named_by_its_row(client: Any, bensheim: Any) -> None:
    programme = await make_programme(bensheim)
    yesterday = str(datetime.now(BERLIN).date() - timedelta(days=1))
    answer = await send(
        client, bensheim, programme, date_2="", date_3=yesterday, start_3="10:00", end_3="11:00"
    )
    assert answer.status_code == 422
    assert 'href="#field-date_3"' in answer.text
    assert 'href="#field-date_1"' not in answer.text
    assert f'value="{yesterday}"' in answer.text
    assert await Submission.count() == 0
