"""The guide API of submissions (submissions/routes.py): the queue, an edit, approving
and declining, each town alone."""

from __future__ import annotations

from typing import Any

from tests.factories import make_venue
from tests.submissions.factories import make_programme, make_submission

API = "/api/v1/guide"


async def test_a_guide_works_through_the_queue(
    client: Any, bensheim: Any, bensheim_headers: dict[str, str]
) -> None:
    programme = await make_programme(bensheim)
    first = await make_submission(bensheim, programme)
    second = await make_submission(bensheim, programme, organisation="Kirchengemeinde St. Georg")
    queue = await client.get(
        f"{API}/programmes/{programme['id']}/submissions?status=received", headers=bensheim_headers
    )
    assert queue.status_code == 200
    assert [s["id"] for s in queue.json()] == [first, second]
    venue = await make_venue(bensheim)
    edited = await client.patch(
        f"{API}/submissions/{first}",
        json={"venue_id": venue.id, "texts": {"de": {"title": "Syrischer Abend mit Musik"}}},
        headers=bensheim_headers,
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["venue_id"] == venue.id
    approved = await client.post(f"{API}/submissions/{first}/approve", headers=bensheim_headers)
    assert approved.status_code == 200, approved.text
    event = await client.get(
        f"{API}/events/{approved.json()['event_id']}", headers=bensheim_headers
    )
    assert event.json()["texts"]["de"]["title"] == "Syrischer Abend mit Musik"
    assert event.json()["status"] == "published"
    again = await client.post(f"{API}/submissions/{first}/approve", headers=bensheim_headers)
    assert again.status_code == 409
    declined = await client.post(
        f"{API}/submissions/{second}/decline",
        json={"message": "Leider schon voll."},
        headers=bensheim_headers,
    )
    assert declined.json()["status"] == "declined"
    empty = await client.post(
        f"{API}/submissions/{first}/decline", json={"message": ""}, headers=bensheim_headers
    )
    assert empty.status_code == 422
    assert "message" in empty.json()["fields"]
    waiting = await client.get(
        f"{API}/programmes/{programme['id']}/submissions?status=received", headers=bensheim_headers
    )
    assert waiting.json() == []


async def test_another_towns_guide_finds_nothing(
    client: Any, bensheim: Any, butzbach_headers: dict[str, str]
) -> None:
    programme = await make_programme(bensheim)
    submission = await make_submission(bensheim, programme)
    for method, path in (
        ("GET", f"{API}/programmes/{programme['id']}/submissions"),
        ("GET", f"{API}/submissions/{submission}"),
        ("POST", f"{API}/submissions/{submission}/approve"),
        ("GET", f"{API}/submissions/{2**63}"),
    ):
        answer = await client.request(method, path, headers=butzbach_headers)
        assert answer.status_code == 404, (method, path, answer.status_code)
