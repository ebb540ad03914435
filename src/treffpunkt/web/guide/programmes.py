"""The guide's programmes (/guide/programmes…): list, create and edit (dates, texts per
language, the last day for proposals, partner organisations), the programme's events,
its public page, feeds and posters; and its partner submissions: the queue
(/guide/programmes/{id}/submissions), one submission (/guide/submissions/{id}) to edit,
approve (a published event of the programme) or decline with a message.

Thin handlers: the forms' values become the services' inputs (events.programmes,
submissions.service, the same as the JSON API's); what fails is named next to its
field, the typed values kept (422); after success, 303 to the page that shows it.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.response import Template
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_422_UNPROCESSABLE_ENTITY
from pydantic import ValidationError

from treffpunkt.accounts.dependencies import Tenant
from treffpunkt.errors import Conflict, InvalidInput
from treffpunkt.events import programmes, venues
from treffpunkt.events.schemas import ProgrammeCreate, ProgrammeUpdate
from treffpunkt.i18n import DEFAULT_LOCALE, LOCALES, translated
from treffpunkt.links import event_page_path, event_poster_path, feed_links, programme_poster_path
from treffpunkt.municipalities.service import get_municipality_by_id
from treffpunkt.partners.service import list_partners
from treffpunkt.schemas import PathId
from treffpunkt.submissions import service as submissions
from treffpunkt.submissions.schemas import SubmissionDecline, SubmissionOut, SubmissionUpdate
from treffpunkt.translations import N_, translator
from treffpunkt.web import submissions as form_of
from treffpunkt.web.pages import AUTONYMS, page_route, reader_locale
from treffpunkt.web.workspace import see_other, workspace_page

SECTION = "programmes"
PROGRAMME_FIELDS = ("slug", "starts_on", "ends_on", "submissions_until")
PROGRAMME_MESSAGES = {
    "slug": N_(
        "Enter a short web address name of small letters, digits and hyphens,"
        " for example interkulturelle-woche-2027."
    ),
    "slug_taken": N_("Another programme has this web address name."),
    "title": N_("Enter a title of at most 200 characters."),
    "texts": N_("Enter a title in German."),
    "description": N_("Please write at most 20,000 characters."),
    "starts_on": N_("Enter the first day, for example 2027-09-26."),
    "ends_on": N_("Enter the last day: not before the first."),
    "submissions_until": N_("Enter a day, for example 2027-08-15, or leave it empty."),
}
EVENT_STATUSES = {
    "draft": N_("Draft"),
    "published": N_("Published"),
    "cancelled": N_("Cancelled"),
}
DECIDE_MESSAGES = {
    "message": N_("Write a message to the organisation (at most 5000 characters)."),
    "texts": N_("Add a title in German before approving."),
}


def _locale(request: Request[Any, Any, Any]) -> str:
    return reader_locale(request, DEFAULT_LOCALE)


def _title(texts: dict[str, Any], locale: str) -> str:
    return str(translated(texts, locale, DEFAULT_LOCALE)[1].get("title", ""))


# --- programmes -------------------------------------------------------------------------------


def _programme_values(form: Any) -> dict[str, str]:
    values = {name: str(form.get(name) or "").strip() for name in PROGRAMME_FIELDS}
    for locale in LOCALES:
        values[f"title_{locale}"] = str(form.get(f"title_{locale}") or "").strip()
        values[f"description_{locale}"] = str(form.get(f"description_{locale}") or "").strip()
    return values


def _programme_form_of(row: dict[str, Any]) -> dict[str, str]:
    values = {
        "slug": row["slug"],
        "starts_on": str(row["starts_on"]),
        "ends_on": str(row["ends_on"]),
        "submissions_until": str(row["submissions_until"] or ""),
    }
    for locale, text in row["texts"].items():
        values[f"title_{locale}"] = text.get("title", "")
        values[f"description_{locale}"] = text.get("description", "")
    return values


def _programme_body(values: dict[str, str], *, create: bool) -> dict[str, Any]:
    texts = {
        locale: {
            "title": values[f"title_{locale}"],
            "description": values[f"description_{locale}"],
        }
        for locale in LOCALES
        if values[f"title_{locale}"] or values[f"description_{locale}"]
    }
    body: dict[str, Any] = {
        "texts": texts,
        "starts_on": values["starts_on"],
        "ends_on": values["ends_on"],
        "submissions_until": values["submissions_until"] or None,
    }
    if create:
        body["slug"] = values["slug"]
    return body


def _programme_failures(error: ValidationError) -> dict[str, str]:
    failed: dict[str, str] = {}
    for item in error.errors():
        loc = item["loc"]
        if loc[0] == "texts":
            if len(loc) >= 3 and loc[1] in LOCALES:
                failed.setdefault(f"{loc[2]}_{loc[1]}", str(loc[2]))
            else:
                failed.setdefault("title_de", "texts")
        elif loc[0] in PROGRAMME_FIELDS:
            failed.setdefault(str(loc[0]), str(loc[0]))
    return failed


async def _programme_form_page(
    request: Request[Any, Any, Any],
    tenant: NamedDependency[Tenant],
    *,
    programme: dict[str, Any] | None,
    values: dict[str, str],
    failed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    t = translator(_locale(request))
    errors = {name: t.gettext(PROGRAMME_MESSAGES[key]) for name, key in (failed or {}).items()}
    return await workspace_page(
        request,
        "guide/programme_form.html",
        tenant,
        section=SECTION,
        status_code=status_code,
        programme=programme,
        form=values,
        errors=errors,
        text_languages=[form_of.Choice(code, AUTONYMS[code], code) for code in LOCALES],
    )


@page_route("/programmes")
async def programme_list(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
) -> Template:
    """The town's programmes, the latest first, with their waiting submissions."""
    locale = _locale(request)
    municipality = await get_municipality_by_id(tenant.municipality_id)
    today = submissions.local_today(municipality, submissions.now())
    waiting = await submissions.count_waiting(tenant.municipality_id)
    rows = await programmes.list_programmes(tenant.municipality_id)
    items = [
        {
            **row,
            "title": _title(row["texts"], locale),
            "waiting": waiting.get(row["id"], 0),
            "open": row["submissions_until"] is not None and today <= row["submissions_until"],
        }
        for row in reversed(rows)
    ]
    return await workspace_page(
        request, "guide/programmes.html", tenant, section=SECTION, programmes=items
    )


@page_route("/programmes/new")
async def programme_new(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
) -> Template:
    return await _programme_form_page(request, tenant, programme=None, values={})


@post("/programmes/new")
async def programme_create(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]
) -> Response[Any]:
    """Create it (303 to its page), or the form again naming what is wrong (422)."""
    values = _programme_values(await request.form())
    try:
        data = ProgrammeCreate.model_validate(_programme_body(values, create=True))
        if "de" not in data.texts:
            raise InvalidInput("A German title is needed.", {"texts.de": "required"})
        row = await programmes.create_programme(tenant.municipality_id, data)
    except ValidationError as error:
        failed = _programme_failures(error)
    except InvalidInput:
        failed = {"title_de": "texts"}
    except Conflict:
        failed = {"slug": "slug_taken"}
    else:
        return see_other(f"/guide/programmes/{row['id']}")
    return await _programme_form_page(
        request,
        tenant,
        programme=None,
        values=values,
        failed=failed,
        status_code=HTTP_422_UNPROCESSABLE_ENTITY,
    )


@page_route("/programmes/{programme_id:int}")
async def programme_show(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], programme_id: PathId
) -> Template:
    """A programme: dates, texts, submissions, partners, events, public page and feeds."""
    locale = _locale(request)
    municipality = await get_municipality_by_id(tenant.municipality_id)
    row = await programmes.get_programme(tenant.municipality_id, programme_id)
    base_url = request.app.state["settings"].base_url
    public_path = f"/m/{municipality.slug}/programmes/{row['slug']}"
    zone = ZoneInfo(municipality.time_zone)
    t = translator(locale)
    events = [
        {
            **event,
            "title": _title(event["texts"], locale),
            "first_start": event["first_start"].astimezone(zone) if event["first_start"] else None,
            "status_name": t.gettext(EVENT_STATUSES.get(event["status"], event["status"])),
            "poster_url": event_poster_path(municipality.slug, event["id"])
            if event["status"] != "draft"
            else None,
            "page_url": event_page_path(municipality.slug, event["id"])
            if event["status"] != "draft"
            else None,
        }
        for event in await programmes.programme_events(tenant.municipality_id, programme_id)
    ]
    members = await programmes.programme_partners(tenant.municipality_id, programme_id)
    member_ids = {p["id"] for p in members}
    others = [p for p in await list_partners(tenant.municipality_id) if p.id not in member_ids]
    queue = await submissions.list_submissions(tenant.municipality_id, programme_id)
    return await workspace_page(
        request,
        "guide/programme.html",
        tenant,
        section=SECTION,
        programme=row,
        title=_title(row["texts"], locale),
        texts=[
            (code, AUTONYMS[code], row["texts"][code]) for code in LOCALES if code in row["texts"]
        ],
        accepts=submissions.accepts_submissions(row, municipality, submissions.now()),
        waiting=sum(1 for s in queue if s.status == "received"),
        decided=sum(1 for s in queue if s.status != "received"),
        events=events,
        partners=members,
        other_partners=others,
        public_url=public_path,
        submit_url=f"{public_path}/submit",
        calendar=feed_links(base_url, f"{public_path}/calendar.ics"),
        atom_url=f"{base_url}{public_path}/events.atom",
        poster_url=f"{programme_poster_path(municipality.slug, row['slug'])}?lang={locale}",
    )


@page_route("/programmes/{programme_id:int}/edit")
async def programme_edit(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], programme_id: PathId
) -> Template:
    row = await programmes.get_programme(tenant.municipality_id, programme_id)
    return await _programme_form_page(
        request, tenant, programme=row, values=_programme_form_of(row)
    )


@post("/programmes/{programme_id:int}/edit")
async def programme_update(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], programme_id: PathId
) -> Response[Any]:
    row = await programmes.get_programme(tenant.municipality_id, programme_id)
    values = {**_programme_values(await request.form()), "slug": row["slug"]}
    try:
        data = ProgrammeUpdate.model_validate(_programme_body(values, create=False))
        if data.texts is None or "de" not in data.texts:
            raise InvalidInput("A German title is needed.", {"texts.de": "required"})
        await programmes.update_programme(tenant.municipality_id, programme_id, data)
    except ValidationError as error:
        failed = _programme_failures(error)
    except InvalidInput as error:
        failed = {"ends_on": "ends_on"} if "ends_on" in error.fields else {"title_de": "texts"}
    else:
        return see_other(f"/guide/programmes/{programme_id}")
    return await _programme_form_page(
        request,
        tenant,
        programme=row,
        values=values,
        failed=failed,
        status_code=HTTP_422_UNPROCESSABLE_ENTITY,
    )


@post("/programmes/{programme_id:int}/partners")
async def programme_partner_add(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], programme_id: PathId
) -> Response[Any]:
    """Add one of the town's partners to the programme (another town's is not found)."""
    await programmes.get_programme(tenant.municipality_id, programme_id)  # 404 first
    form = await request.form()
    raw = str(form.get("partner") or "")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 2**31 - 1:
        raise InvalidInput("Choose a partner.", {"partner": "choose one of the list"})
    await programmes.add_partner(tenant.municipality_id, programme_id, int(raw))
    return see_other(f"/guide/programmes/{programme_id}#partners")


@post("/programmes/{programme_id:int}/partners/{partner_id:int}/remove")
async def programme_partner_remove(
    tenant: NamedDependency[Tenant], programme_id: PathId, partner_id: PathId
) -> Response[Any]:
    await programmes.remove_partner(tenant.municipality_id, programme_id, partner_id)
    return see_other(f"/guide/programmes/{programme_id}#partners")


# --- submissions ------------------------------------------------------------------------------


@page_route("/programmes/{programme_id:int}/submissions")
async def submission_queue(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], programme_id: PathId
) -> Template:
    """What partners proposed: those waiting first (oldest first), then those decided."""
    locale = _locale(request)
    row = await programmes.get_programme(tenant.municipality_id, programme_id)
    found = await submissions.list_submissions(tenant.municipality_id, programme_id)
    items = [(s, _title(s.model_dump()["texts"], locale)) for s in found]
    return await workspace_page(
        request,
        "guide/submissions.html",
        tenant,
        section=SECTION,
        programme=row,
        title=_title(row["texts"], locale),
        waiting=[{"submission": s, "title": t} for s, t in items if s.status == "received"],
        decided=[{"submission": s, "title": t} for s, t in items if s.status != "received"],
    )


def _submission_form_of(submission: SubmissionOut) -> dict[str, Any]:
    values: dict[str, Any] = {
        "organisation": submission.organisation,
        "contact_name": submission.contact_name,
        "email": submission.email,
        "phone": submission.phone or "",
        "locale": submission.locale,
        "venue_wish": submission.venue_wish,
        "accessibility": submission.accessibility,
        "languages": submission.languages,
        "venue": str(submission.venue_id or ""),
    }
    for locale, text in submission.texts.items():
        values[f"title_{locale}"] = text.title
        values[f"description_{locale}"] = text.description
    for n, proposed in enumerate(submission.dates, start=1):
        values[f"date_{n}"] = str(proposed.day)
        values[f"start_{n}"] = proposed.start.strftime("%H:%M")
        values[f"end_{n}"] = proposed.end.strftime("%H:%M")
    return values


async def _submission_page(
    request: Request[Any, Any, Any],
    tenant: NamedDependency[Tenant],
    submission: SubmissionOut,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    decline_message: str = "",
    status_code: int = 200,
) -> Template:
    locale = _locale(request)
    municipality = await get_municipality_by_id(tenant.municipality_id)
    programme = await programmes.get_programme(tenant.municipality_id, submission.programme_id)
    values = values if values is not None else _submission_form_of(submission)
    context = form_of._context(
        municipality,
        programme,
        locale,
        values,
        errors or {},
        rows=len(submission.dates) + 2,
    )
    town_venues = await venues.list_venues(tenant.municipality_id)
    return await workspace_page(
        request,
        "guide/submission.html",
        tenant,
        section=SECTION,
        status_code=status_code,
        submission=submission,
        title=_title(submission.model_dump()["texts"], locale),
        venues=town_venues,
        venue_name={v["id"]: v["name"] for v in town_venues},
        decline_message=decline_message,
        for_guide=True,
        event_url=event_page_path(municipality.slug, submission.event_id)
        if submission.event_id
        else None,
        **{k: v for k, v in context.items() if k not in ("action",)},
    )


@page_route("/submissions/{submission_id:int}")
async def submission_show(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], submission_id: PathId
) -> Template:
    submission = await submissions.get_submission(tenant.municipality_id, submission_id)
    return await _submission_page(request, tenant, submission)


def _venue_id(raw: str) -> int | str | None:
    if not raw:
        return None
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 2**31 - 1:
        return int(raw)
    return "bad"


@post("/submissions/{submission_id:int}")
async def submission_update(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], submission_id: PathId
) -> Response[Any]:
    """Save the guide's edits (303 back to it), or the form with what is wrong (422)."""
    submission = await submissions.get_submission(tenant.municipality_id, submission_id)
    form = await request.form()
    values = {**form_of._form_values(form), "consent": "yes"}
    values["venue"] = str(form.get("venue") or "")
    data, failed = form_of.parse(values)
    venue = _venue_id(values["venue"])
    if venue == "bad":
        failed["venue"] = "venue"
    if data is not None and not failed:
        fields = data.model_dump(exclude={"consent"})
        try:
            await submissions.update_submission(
                tenant.municipality_id,
                submission_id,
                SubmissionUpdate.model_validate({**fields, "venue_id": venue}),
            )
        except InvalidInput:
            failed["venue"] = "venue"
        except Conflict:
            return see_other(f"/guide/submissions/{submission_id}")
        else:
            return see_other(f"/guide/submissions/{submission_id}")
    t = translator(_locale(request))
    errors = {
        name: t.gettext(N_("Choose one of the town's venues."))
        if key == "venue"
        else t.gettext(form_of.MESSAGES[key])
        for name, key in failed.items()
    }
    return await _submission_page(
        request,
        tenant,
        submission,
        values=values,
        errors=errors,
        status_code=HTTP_422_UNPROCESSABLE_ENTITY,
    )


@post("/submissions/{submission_id:int}/approve")
async def submission_approve(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], submission_id: PathId
) -> Response[Any]:
    """Approve: the published event of the programme; the organisation gets its mail."""
    try:
        await submissions.approve(tenant.municipality_id, submission_id)
    except InvalidInput:
        submission = await submissions.get_submission(tenant.municipality_id, submission_id)
        t = translator(_locale(request))
        return await _submission_page(
            request,
            tenant,
            submission,
            errors={"title_de": t.gettext(DECIDE_MESSAGES["texts"])},
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    except Conflict:
        submission = await submissions.get_submission(tenant.municipality_id, submission_id)
        return await _submission_page(request, tenant, submission, status_code=HTTP_409_CONFLICT)
    return see_other(f"/guide/submissions/{submission_id}")


@post("/submissions/{submission_id:int}/decline")
async def submission_decline(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], submission_id: PathId
) -> Response[Any]:
    """Decline with a message, which goes to the organisation in their language."""
    form = await request.form()
    message = str(form.get("message") or "")
    try:
        data = SubmissionDecline.model_validate({"message": message})
        await submissions.decline(tenant.municipality_id, submission_id, data)
    except ValidationError:
        submission = await submissions.get_submission(tenant.municipality_id, submission_id)
        t = translator(_locale(request))
        return await _submission_page(
            request,
            tenant,
            submission,
            errors={"message": t.gettext(DECIDE_MESSAGES["message"])},
            decline_message=message,
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    except Conflict:
        submission = await submissions.get_submission(tenant.municipality_id, submission_id)
        return await _submission_page(request, tenant, submission, status_code=HTTP_409_CONFLICT)
    return see_other(f"/guide/submissions/{submission_id}")


ROUTES = [
    programme_list,
    programme_new,
    programme_create,
    programme_show,
    programme_edit,
    programme_update,
    programme_partner_add,
    programme_partner_remove,
    submission_queue,
    submission_show,
    submission_update,
    submission_approve,
    submission_decline,
]
