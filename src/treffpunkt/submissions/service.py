"""Partner submissions: the rules.

- A programme takes proposals while `submissions_until` is set and not past (the day
  inclusive, in the municipality's zone); a proposal after it is refused (409).
- A submission waits (`received`) until a guide approves or declines it; only then
  can it be edited, and it is decided once (a second decision is a 409).
- Approving makes, in one transaction, the published event of the programme (kind
  programme item, the texts, languages and proposed dates as sessions, the venue the
  guide chose) with the organisation as its organiser — found among the town's
  partners by email, then by name, or added — and queues the mail that says so.
- Every mail goes to the contact in the language they chose: `submission_received`,
  `submission_approved` (with the event's page), `submission_declined` (the guide's
  message).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from treffpunkt.db import lock_rows, write_transaction
from treffpunkt.errors import Conflict, InvalidInput, NotFound
from treffpunkt.events import service as events
from treffpunkt.events.programmes import add_partner, get_programme, get_programme_by_slug
from treffpunkt.events.schemas import EventCreate
from treffpunkt.events.tables import EventKind, Venue
from treffpunkt.i18n import translated
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.outbox import OutboxMessage, OutboxStatus, enqueue_all, message
from treffpunkt.submissions import partners
from treffpunkt.submissions.schemas import (
    SubmissionCreate,
    SubmissionDecline,
    SubmissionOut,
    SubmissionUpdate,
)
from treffpunkt.submissions.tables import Submission, SubmissionStatus
from treffpunkt.tenancy import owned

RECEIVED, APPROVED, DECLINED = "submission_received", "submission_approved", "submission_declined"
MAIL_KINDS = (RECEIVED, APPROVED, DECLINED)
# Why a mail was written but not sent: anyone can type anyone's address into the form.
HELD_BACK = "held back: too many submissions for this address lately"


def now() -> datetime:
    return datetime.now(UTC)


async def _municipality(municipality_id: int) -> Municipality:
    found = await Municipality.objects().where(Municipality.id == municipality_id).first()
    if found is None:
        raise NotFound("No such municipality.")
    return found


def local_today(municipality: Municipality, at: datetime) -> date:
    return at.astimezone(ZoneInfo(municipality.time_zone)).date()


def accepts_submissions(
    programme: dict[str, Any], municipality: Municipality, at: datetime
) -> bool:
    """Whether the programme's form is open now: its last day not past, in the town's zone."""
    until = programme.get("submissions_until")
    return until is not None and local_today(municipality, at) <= until


async def programme_for_form(municipality: Municipality, programme_slug: str) -> dict[str, Any]:
    """The programme behind a public form (404 when the town has none of this slug)."""
    return await get_programme_by_slug(municipality.id, programme_slug)


# --- mails ----------------------------------------------------------------------------------


def _town(municipality: Municipality) -> dict[str, Any]:
    return {
        "slug": municipality.slug,
        "name": municipality.name,
        "default_locale": municipality.default_locale,
        "contact_email": municipality.contact_email,
        "sender_name": municipality.sender_name,
        "sender_email": municipality.sender_email,
        "website": municipality.website,
        "privacy_url": municipality.privacy_url,
        "time_zone": municipality.time_zone,
    }


def _mail(
    kind: str,
    submission: dict[str, Any],
    municipality: Municipality,
    programme: dict[str, Any],
    **more: Any,
) -> OutboxMessage:
    """The mail to the submission's contact, in their language; what it says is fixed
    now, only the event's link is added when it is sent (it needs the site's address)."""
    locale, default = submission["locale"], municipality.default_locale
    return message(
        municipality_id=municipality.id,
        kind=kind,
        locale=locale,
        recipient_email=submission["email"],
        recipient_name=submission["contact_name"],
        dedupe_key=f"submission:{submission['id']}:{kind.removeprefix('submission_')}",
        context={
            "municipality": _town(municipality),
            "submission_id": submission["id"],
            "name": submission["contact_name"],
            "organisation": submission["organisation"],
            "programme_title": translated(programme["texts"], locale, default)[1]["title"],
            "event_title": translated(submission["texts"], locale, default)[1]["title"],
            "dates": [
                {"day": str(d["day"]), "start": str(d["start"]), "end": str(d["end"])}
                for d in submission["dates"]
            ],
            **more,
        },
    )


def hold_back(row: OutboxMessage) -> OutboxMessage:
    row.status = OutboxStatus.skipped
    row.last_error = HELD_BACK
    return row


# --- the public form ------------------------------------------------------------------------


async def submit(
    municipality: Municipality,
    programme_slug: str,
    data: SubmissionCreate,
    *,
    mail: bool = True,
    at: datetime | None = None,
) -> int:
    """Store a proposal and queue its `submission_received` mail (written but held back
    when `mail` is False: the address had too many lately). Returns its id."""
    at = at or now()
    programme = await programme_for_form(municipality, programme_slug)
    if not accepts_submissions(programme, municipality, at):
        raise Conflict(
            "This programme takes no proposals now.", {"programme": "submissions closed"}
        )
    today = local_today(municipality, at)
    past = [n for n, proposed in enumerate(data.dates) if proposed.day < today]
    if past:
        raise InvalidInput(
            "A proposed date lies in the past.", {f"dates.{n}.day": "in the past" for n in past}
        )
    values = data.model_dump(mode="json", exclude={"consent"})
    async with write_transaction():
        submission = Submission(
            municipality=municipality.id,
            programme=programme["id"],
            privacy_version=municipality.privacy_version,
            created_at=at,
            updated_at=at,
            **values,
        )
        await submission.save()
        row = _mail(RECEIVED, {**values, "id": submission.id}, municipality, programme)
        await enqueue_all([row if mail else hold_back(row)])
    return int(submission.id)


# --- what guides see and do --------------------------------------------------------------------


def _out(row: dict[str, Any]) -> SubmissionOut:
    return SubmissionOut.model_validate(
        {
            **row,
            "programme_id": row["programme"],
            "venue_id": row["venue"],
            "event_id": row["event"],
            "partner_id": row.get("partner"),
        }
    )


async def _row(municipality_id: int, submission_id: int) -> dict[str, Any]:
    row = (
        await Submission.select()
        .where(owned(Submission, municipality_id, submission_id))
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound("No such submission.")
    return row


async def list_submissions(
    municipality_id: int, programme_id: int, status: SubmissionStatus | None = None
) -> list[SubmissionOut]:
    """A programme's submissions, the oldest first (404 for another town's programme)."""
    await get_programme(municipality_id, programme_id)
    query = Submission.select().where(
        owned(Submission, municipality_id) & (Submission.programme == programme_id)
    )
    if status is not None:
        query = query.where(Submission.status == status)
    rows = await query.order_by(Submission.id).output(load_json=True)
    return [_out(row) for row in rows]


async def count_waiting(municipality_id: int) -> dict[int, int]:
    """Waiting submissions by programme."""
    rows = await Submission.select(Submission.programme).where(
        owned(Submission, municipality_id) & (Submission.status == SubmissionStatus.received)
    )
    counts: dict[int, int] = {}
    for row in rows:
        counts[row["programme"]] = counts.get(row["programme"], 0) + 1
    return counts


async def get_submission(municipality_id: int, submission_id: int) -> SubmissionOut:
    return _out(await _row(municipality_id, submission_id))


async def _waiting(municipality_id: int, submission_id: int) -> dict[str, Any]:
    """The submission under its row lock; refused unless it still waits for a decision."""
    await _row(municipality_id, submission_id)  # 404 before any lock
    await lock_rows(Submission, submission_id)
    row = await _row(municipality_id, submission_id)
    if row["status"] != SubmissionStatus.received:
        raise Conflict(f"This submission was {row['status']} already.", {"status": row["status"]})
    return row


async def update_submission(
    municipality_id: int, submission_id: int, data: SubmissionUpdate
) -> SubmissionOut:
    """Change a waiting submission; only the fields sent change."""
    values: dict[Any, Any] = data.model_dump(mode="json", exclude_unset=True)
    async with write_transaction():
        await _waiting(municipality_id, submission_id)
        if "venue_id" in values:
            venue = values.pop("venue_id")
            if venue is not None and not await Venue.exists().where(
                owned(Venue, municipality_id, venue)
            ):
                raise InvalidInput("Unknown venue.", {"venue_id": "no such venue"})
            values["venue"] = venue
        values["updated_at"] = now()
        await Submission.update(values).where(Submission.id == submission_id)
    return await get_submission(municipality_id, submission_id)


def event_data(submission: dict[str, Any], municipality: Municipality) -> EventCreate:
    """The event a submission becomes: its dates as sessions in the town's zone."""
    zone = ZoneInfo(municipality.time_zone)

    def instant(day: str, wall: str) -> str:
        return datetime.fromisoformat(f"{day}T{wall}").replace(tzinfo=zone).isoformat()

    return EventCreate.model_validate(
        {
            "kind": EventKind.programme_item,
            "programme_id": submission["programme"],
            "venue_id": submission["venue"],
            "texts": {
                locale: {"title": text["title"], "description": text.get("description", "")}
                for locale, text in submission["texts"].items()
            },
            "languages": submission["languages"],
            # The contact's address is theirs to give: the event page shows none of it
            # unless a guide adds it to the event.
            "organiser": {"name": submission["organisation"]},
            "sessions": [
                {
                    "starts_at": instant(d["day"], d["start"]),
                    "ends_at": instant(d["day"], d["end"]),
                }
                for d in sorted(submission["dates"], key=lambda d: (d["day"], d["start"]))
            ],
        }
    )


async def approve(municipality_id: int, submission_id: int) -> SubmissionOut:
    """The submission becomes a published event of its programme, organised by the
    partner (found by email or name, else added); the contact is told, with its page.
    A submission without a text in the town's language is refused, naming the field
    (`texts.de`): the guide adds the translation first."""
    municipality = await _municipality(municipality_id)
    at = now()
    async with write_transaction():
        row = await _waiting(municipality_id, submission_id)
        if municipality.default_locale not in row["texts"]:
            field = f"texts.{municipality.default_locale}"
            raise InvalidInput(
                "Add a title in the town's language before approving.",
                {field: f"required: the default locale is {municipality.default_locale}"},
            )
        event = await events.create_event(municipality_id, event_data(row, municipality))
        await events.publish_event(municipality_id, event.id)
        partner_id = await partners.find_or_add(
            municipality_id,
            name=row["organisation"],
            contact_name=row["contact_name"],
            email=row["email"],
            phone=row["phone"],
            locale=row["locale"],
        )
        await add_partner(municipality_id, row["programme"], partner_id)
        changes: dict[Any, Any] = {
            Submission.status: SubmissionStatus.approved,
            Submission.event: event.id,
            Submission.decided_at: at,
            Submission.updated_at: at,
        }
        changes.update(partners.submission_columns(partner_id))
        await Submission.update(changes).where(Submission.id == submission_id)
        programme = await get_programme(municipality_id, row["programme"])
        await enqueue_all([_mail(APPROVED, row, municipality, programme, event_id=event.id)])
    return await get_submission(municipality_id, submission_id)


async def decline(
    municipality_id: int, submission_id: int, data: SubmissionDecline
) -> SubmissionOut:
    """Decline with a message to the organisation, sent in their language's mail."""
    municipality = await _municipality(municipality_id)
    at = now()
    async with write_transaction():
        row = await _waiting(municipality_id, submission_id)
        await Submission.update(
            {
                Submission.status: SubmissionStatus.declined,
                Submission.decline_message: data.message,
                Submission.decided_at: at,
                Submission.updated_at: at,
            }
        ).where(Submission.id == submission_id)
        programme = await get_programme(municipality_id, row["programme"])
        await enqueue_all([_mail(DECLINED, row, municipality, programme, message=data.message)])
    return await get_submission(municipality_id, submission_id)
