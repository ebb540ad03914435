"""The registration rules on both databases: places, queue, opt-in, expiry, mail rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.factories import (
    SECRET,
    make_event,
    make_published_event,
    register_for_session,
    sessions_of,
)
from treffpunkt import db
from treffpunkt.db import OutsideTransaction
from treffpunkt.errors import Conflict, InvalidInput, NotFound
from treffpunkt.events import service as events
from treffpunkt.events.schemas import EventUpdate
from treffpunkt.events.tables import Event, Session
from treffpunkt.outbox import OutboxMessage, enqueue_all, message
from treffpunkt.registrations import service, targets
from treffpunkt.registrations.schemas import GuideRegistrationCreate, RegistrationCreate
from treffpunkt.registrations.tables import Registration
from treffpunkt.tokens import hash_token


async def drop_in(municipality: Any, capacity: int | None = 2, **fields: Any) -> Session:
    event = await make_published_event(
        municipality, registration_mode="per_session", capacity=capacity, **fields
    )
    [session] = await sessions_of(event)
    return session


async def counters(session: Session) -> tuple[int, int]:
    """Seats taken and people waiting; checks on the way that the count of seats held
    by unconfirmed registrations (what the public count leaves out) is right."""
    row = (
        await Session.select(Session.seats_taken, Session.seats_pending, Session.waiting)
        .where(Session.id == session.id)
        .first()
    )
    assert row is not None
    pending = await Registration.select(Registration.seats).where(
        (Registration.session == session.id) & (Registration.status == "pending")
    )
    assert row["seats_pending"] == sum(r["seats"] for r in pending)
    return row["seats_taken"], row["waiting"]


async def reload(registration: Registration) -> Registration:
    fresh = await Registration.objects().where(Registration.id == registration.id).first()
    assert fresh is not None
    return fresh


async def mails(kind: str, registration: Registration | None = None) -> int:
    query = OutboxMessage.count().where(OutboxMessage.kind == f"registration_{kind}")
    if registration is not None:
        query = query.where(OutboxMessage.registration == registration.id)
    return await query


async def test_a_registration_holds_its_seat_until_confirmed(bensheim: Any) -> None:
    session = await drop_in(bensheim)
    registration = await register_for_session(session.id, "Amina@Example.org")
    assert registration.status == "pending"
    assert registration.email == "amina@example.org"
    assert registration.expires_at is not None
    assert registration.expires_at <= session.starts_at
    assert await counters(session) == (1, 0)
    assert await mails("confirm_request", registration) == 1
    confirmed = await service.confirm_registration(registration.id)
    assert confirmed.status == "confirmed"
    assert await mails("confirmed", registration) == 1
    assert await counters(session) == (1, 0)


async def test_the_same_email_never_holds_two_places(bensheim: Any) -> None:
    session = await drop_in(bensheim)
    first = await register_for_session(session.id, "amina@example.org")
    again = await register_for_session(session.id, "AMINA@example.org")
    third = await register_for_session(session.id, "amina@example.org")
    assert again.id == first.id == third.id
    assert await counters(session) == (1, 0)
    # The first mail, and one repeat within the resend window: not one per attempt.
    assert await mails("confirm_request", first) == 2


async def test_full_session_waitlists_in_arrival_order(bensheim: Any) -> None:
    session = await drop_in(bensheim, capacity=2)
    holders = [await register_for_session(session.id, f"h{i}@example.org") for i in range(2)]
    queue = [await register_for_session(session.id, f"w{i}@example.org") for i in range(3)]
    assert [r.status for r in holders] == ["pending", "pending"]
    assert [r.status for r in queue] == ["waitlisted"] * 3
    assert [await targets.position_of(r) for r in queue] == [1, 2, 3]
    assert await counters(session) == (2, 3)
    assert await mails("waitlisted") == 3


async def test_a_freed_seat_goes_to_the_first_in_line_at_once(bensheim: Any) -> None:
    session = await drop_in(bensheim, capacity=1)
    holder = await register_for_session(session.id, "holder@example.org")
    first = await register_for_session(session.id, "first@example.org")
    second = await register_for_session(session.id, "second@example.org")
    await service.confirm_registration(first.id)  # confirmed email, still waiting

    await service.cancel_registration(holder.id)

    assert (await reload(holder)).status == "cancelled"
    promoted = await reload(first)
    assert promoted.status == "confirmed"  # email already confirmed: no second opt-in
    assert await targets.position_of(await reload(second)) == 1
    assert await counters(session) == (1, 1)
    assert await mails("promoted", first) == 1
    assert await mails("cancelled", holder) == 1


async def test_an_unconfirmed_promotion_is_held_like_a_new_registration(bensheim: Any) -> None:
    session = await drop_in(bensheim, capacity=1)
    holder = await register_for_session(session.id, "holder@example.org")
    waiting = await register_for_session(session.id, "waiting@example.org")
    await service.cancel_registration(holder.id)
    promoted = await reload(waiting)
    assert promoted.status == "pending"
    assert promoted.expires_at is not None
    assert await counters(session) == (1, 0)


async def test_promotion_serves_the_earliest_that_fit(bensheim: Any) -> None:
    session = await drop_in(bensheim, capacity=3, max_seats_per_registration=3)
    holder = await register_for_session(session.id, "holder@example.org", seats=1)
    await register_for_session(session.id, "rest@example.org", seats=2)
    family = await register_for_session(session.id, "family@example.org", seats=3)
    single = await register_for_session(session.id, "single@example.org", seats=1)

    await service.cancel_registration(holder.id)  # one seat free: the family does not fit

    assert (await reload(family)).status == "waitlisted"
    assert (await reload(single)).status == "pending"
    assert await targets.position_of(await reload(family)) == 1
    assert await counters(session) == (3, 1)


async def test_newcomers_queue_behind_people_waiting(bensheim: Any) -> None:
    session = await drop_in(bensheim, capacity=2, max_seats_per_registration=2)
    holder = await register_for_session(session.id, "holder@example.org", seats=1)
    await register_for_session(session.id, "other@example.org", seats=1)
    await register_for_session(session.id, "pair@example.org", seats=2)
    await service.cancel_registration(holder.id)  # one seat free, the pair waits for two
    newcomer = await register_for_session(session.id, "new@example.org")
    assert newcomer.status == "waitlisted"
    assert await targets.position_of(newcomer) == 2


async def test_without_a_waitlist_a_full_session_says_so(bensheim: Any) -> None:
    session = await drop_in(bensheim, capacity=1, waitlist=False)
    await register_for_session(session.id, "holder@example.org")
    with pytest.raises(Conflict) as error:
        await register_for_session(session.id, "late@example.org")
    assert error.value.fields == {"seats": "fully booked"}
    assert await counters(session) == (1, 0)
    assert await Registration.count() == 1


async def test_unconfirmed_registrations_expire_and_free_their_seats(bensheim: Any) -> None:
    session = await drop_in(bensheim, capacity=1)
    holder = await register_for_session(session.id, "holder@example.org")
    waiting = await register_for_session(session.id, "waiting@example.org")
    await service.confirm_registration(waiting.id)
    await Registration.update(
        {Registration.expires_at: datetime.now(UTC) - timedelta(seconds=1)}
    ).where(Registration.id == holder.id)

    assert await service.expire_overdue() == 1

    assert (await reload(holder)).status == "expired"
    assert (await reload(waiting)).status == "confirmed"
    assert await counters(session) == (1, 0)
    assert await mails("expired", holder) == 1
    assert await service.expire_overdue() == 0  # nothing twice


async def test_raising_capacity_promotes_at_once(bensheim: Any) -> None:
    session = await drop_in(bensheim, capacity=1)
    await register_for_session(session.id, "holder@example.org")
    waiting = [await register_for_session(session.id, f"w{i}@example.org") for i in range(3)]
    target = await targets.session_target(session.id, bensheim.id)
    promoted = await service.set_capacity(target, 3)
    assert [r.id for r in promoted] == [waiting[0].id, waiting[1].id]
    assert await counters(session) == (3, 1)


async def test_raising_the_event_capacity_promotes_on_its_sessions(bensheim: Any) -> None:
    session = await drop_in(bensheim, capacity=1)
    await register_for_session(session.id, "holder@example.org")
    waiting = await register_for_session(session.id, "waiting@example.org")
    await events.update_event(bensheim.id, session.event, EventUpdate(capacity=5))
    assert (await reload(waiting)).status == "pending"
    assert await counters(session) == (2, 0)


async def test_a_session_keeps_the_capacity_a_guide_set_on_it(bensheim: Any) -> None:
    event = await make_published_event(
        bensheim,
        registration_mode="per_session",
        capacity=2,
        sessions=[
            {
                "starts_at": (datetime.now(UTC) + timedelta(days=d)).isoformat(),
                "ends_at": (datetime.now(UTC) + timedelta(days=d, hours=2)).isoformat(),
            }
            for d in (7, 14)
        ],
    )
    own, follows = await sessions_of(event)
    await service.set_capacity(await targets.session_target(own.id, bensheim.id), 8)
    await events.update_event(bensheim.id, event.id, EventUpdate(capacity=5))
    rows = await Session.select(Session.id, Session.capacity, Session.own_capacity).where(
        Session.event == event.id
    )
    assert {r["id"]: (r["capacity"], r["own_capacity"]) for r in rows} == {
        own.id: (8, True),
        follows.id: (5, False),
    }


async def test_no_capacity_falls_below_the_places_taken(bensheim: Any) -> None:
    session = await drop_in(bensheim, capacity=3)
    for i in range(3):
        await register_for_session(session.id, f"p{i}@example.org")
    target = await targets.session_target(session.id, bensheim.id)
    with pytest.raises(Conflict) as refused:
        await service.set_capacity(target, 2)
    assert refused.value.fields == {"capacity": "at least 3: places taken"}
    with pytest.raises(Conflict):
        await events.update_event(bensheim.id, session.event, EventUpdate(capacity=1))
    assert (await Session.select(Session.capacity).where(Session.id == session.id).first()) == {
        "capacity": 3
    }


async def test_more_room_is_served_in_the_transaction_that_makes_it(bensheim: Any) -> None:
    """The waitlist rules refuse to run on their own: they belong to the change's
    transaction, and take the target's lock, which only a transaction holds."""
    session = await drop_in(bensheim, capacity=1)
    target = await targets.session_target(session.id, bensheim.id)
    with pytest.raises(OutsideTransaction):
        await targets.lock(target)
    with pytest.raises(OutsideTransaction):
        await service.capacity_changed(session.event, [session.id])
    await register_for_session(session.id, "holder@example.org")
    waiting = await register_for_session(session.id, "waiting@example.org")
    with pytest.raises(RuntimeError):
        async with db.write_transaction():
            await events.update_event(bensheim.id, session.event, EventUpdate(capacity=5))
            assert (await reload(waiting)).status == "pending"  # promoted inside …
            raise RuntimeError("… and the whole change rolls back")
    assert (await reload(waiting)).status == "waitlisted"
    assert await counters(session) == (1, 1)


async def test_whole_course_registration_counts_on_the_event(bensheim: Any) -> None:
    course = await make_published_event(
        bensheim, kind="training", registration_mode="whole_event", capacity=1
    )
    target = await targets.event_target(course.id)
    data = RegistrationCreate(name="A", email="a@example.org", consent=True)
    first = (await service.register(target, data, SECRET)).registration
    second = (
        await service.register(target, data.model_copy(update={"email": "b@example.org"}), SECRET)
    ).registration
    assert (first.status, second.status) == ("pending", "waitlisted")
    row = await Event.select(Event.seats_taken, Event.waiting).where(Event.id == course.id).first()
    assert row == {"seats_taken": 1, "waiting": 1}
    with pytest.raises(Conflict):
        await targets.session_target((await sessions_of(course))[0].id)


async def test_guides_register_walk_ins_confirmed_without_opt_in_mail(bensheim: Any) -> None:
    session = await drop_in(bensheim, capacity=5)
    target = await targets.session_target(session.id, bensheim.id)
    outcome = await service.register(
        target, GuideRegistrationCreate(name="Herr K.", phone="06251 1234"), SECRET
    )
    assert outcome.created
    registration = outcome.registration
    assert registration.status == "confirmed"
    assert registration.source == "guide"
    assert await OutboxMessage.count() == 0  # no email, no mail


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [
        ({"status": "cancelled"}, Conflict, "event"),
        ({"registration_mode": "none"}, Conflict, "event"),
        ({"registration_closes_at": datetime.now(UTC) - timedelta(hours=1)}, Conflict, None),
        ({"registration_opens_at": datetime.now(UTC) + timedelta(days=1)}, Conflict, None),
    ],
)
async def test_closed_registrations_are_refused(
    bensheim: Any, change: dict[str, Any], error: type[Exception], field: str | None
) -> None:
    session = await drop_in(bensheim)
    await Event.update(change).where(Event.id == session.event)
    with pytest.raises(error) as raised:
        await register_for_session(session.id, "a@example.org")
    if field:
        assert field in raised.value.fields  # type: ignore[attr-defined]
    assert await Registration.count() == 0


async def test_past_cancelled_and_draft_sessions_are_refused(bensheim: Any) -> None:
    session = await drop_in(bensheim)
    await Session.update({Session.starts_at: datetime.now(UTC) - timedelta(minutes=5)}).where(
        Session.id == session.id
    )
    with pytest.raises(Conflict):
        await register_for_session(session.id, "a@example.org")
    other = await drop_in(bensheim)
    await events.cancel_session(bensheim.id, other.id)
    with pytest.raises(Conflict):
        await register_for_session(other.id, "a@example.org")
    draft = await make_event(bensheim, registration_mode="per_session")
    [draft_session] = await sessions_of(draft)
    with pytest.raises(NotFound):
        await register_for_session(draft_session.id, "a@example.org")


async def test_more_seats_than_allowed_are_refused(bensheim: Any) -> None:
    session = await drop_in(bensheim, capacity=10, max_seats_per_registration=2)
    with pytest.raises(InvalidInput) as error:
        await register_for_session(session.id, "a@example.org", seats=3)
    assert error.value.fields == {"seats": "at most 2"}


async def test_tokens_are_stored_only_as_hashes_and_die_with_anonymisation(bensheim: Any) -> None:
    session = await drop_in(bensheim)
    registration = await register_for_session(session.id, "a@example.org")
    token = service.registration_token(SECRET, registration.token_salt)
    assert len(token) >= 43  # 256 bits
    stored = await Registration.select().where(Registration.id == registration.id).first()
    assert stored is not None
    assert token not in {str(v) for v in stored.values()}
    assert stored["token_hash"] == hash_token(token)
    assert (await service.by_token(token)).id == registration.id
    await Registration.update({Registration.anonymised_at: datetime.now(UTC)}).where(
        Registration.id == registration.id
    )
    with pytest.raises(NotFound):
        await service.by_token(token)


async def test_mail_rows_hold_no_token(bensheim: Any) -> None:
    session = await drop_in(bensheim)
    registration = await register_for_session(session.id, "a@example.org")
    token = service.registration_token(SECRET, registration.token_salt)
    rows = await OutboxMessage.select(OutboxMessage.context)
    assert rows
    assert all(token not in str(row["context"]) for row in rows)


async def test_enqueue_refuses_to_run_outside_a_transaction(bensheim: Any) -> None:
    mail = message(
        municipality_id=bensheim.id,
        kind="registration_confirmed",
        locale="de",
        recipient_email="a@example.org",
        recipient_name=None,
        dedupe_key="x",
        context={},
    )
    with pytest.raises(OutsideTransaction):
        await enqueue_all([mail])


async def test_one_cause_gives_one_mail_row(bensheim: Any) -> None:
    arguments = {
        "municipality_id": bensheim.id,
        "kind": "registration_confirmed",
        "locale": "de",
        "recipient_email": "a@example.org",
        "recipient_name": None,
        "dedupe_key": "registration:1:confirmed",
        "context": {},
    }
    async with db.write_transaction():
        assert await enqueue_all([message(**arguments)]) == 1
        assert await enqueue_all([message(**arguments), message(**arguments)]) == 0
    assert await OutboxMessage.count() == 1


async def test_registration_mode_is_fixed_once_people_registered(bensheim: Any) -> None:
    session = await drop_in(bensheim)
    await register_for_session(session.id, "a@example.org")
    with pytest.raises(Conflict) as error:
        await events.update_event(
            bensheim.id, session.event, EventUpdate(registration_mode="whole_event")
        )
    assert "registration_mode" in error.value.fields
