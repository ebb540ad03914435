"""A programme's public submission form: `/m/{slug}/programmes/{p}/submit`, where an
organisation proposes an event (treffpunkt.submissions), its "thank you" page, and the
kind page once the programme takes no more proposals.

Thin as the API's handlers: the form's values become the service's `SubmissionCreate`;
each field that fails is named next to it, the typed values kept (422). As the
registration form (web/events.py): counted against a rate limit per client before
anything is looked up (TREFFPUNKT_SUBMISSIONS_PER_CLIENT, a 429 page past it), a hidden
field that gives bots away (checked like a person's input, then answered as a person's
and nothing stored), and mails to one address held back past
TREFFPUNKT_REGISTRATIONS_PER_EMAIL (anyone can type anyone's address).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from litestar.status_codes import (
    HTTP_303_SEE_OTHER,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
)
from pydantic import ValidationError

from treffpunkt.errors import Conflict, InvalidInput
from treffpunkt.i18n import LOCALES, translated
from treffpunkt.municipalities.service import get_municipality
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.schemas import PathSlug
from treffpunkt.settings import Settings
from treffpunkt.submissions import service
from treffpunkt.submissions.schemas import MAX_DATES, ProposedDate, SubmissionCreate
from treffpunkt.throttle import Throttle, client_of
from treffpunkt.translations import N_, languages_named_in, translator
from treffpunkt.web.pages import AUTONYMS, page, page_route, reader_locale

HONEYPOT = "homepage"
DATE_ROWS = 5  # empty rows for proposed dates on the public form (up to MAX_DATES count)
# Languages an event may be held in, offered as boxes to tick (names in the reader's).
EVENT_LANGUAGES = (
    *("de", "en", "uk", "ar", "tr", "fa", "prs", "ps", "ru"),
    *("ku", "ti", "so", "fr", "sq", "es", "it", "pl", "ro"),
)
SINGLE = ("organisation", "contact_name", "email", "phone", "locale", "venue_wish")
FIELDS = (*SINGLE, "accessibility", "consent")

MESSAGES = {
    "organisation": N_("Enter the name of your organisation."),
    "contact_name": N_("Enter the name of the contact person."),
    "email": N_("Enter your email address, for example name@example.org."),
    "phone": N_("Enter a phone number of digits (and + ( ) / -), or leave it empty."),
    "locale": N_("Choose a language from the list."),
    "texts": N_("Enter a title in at least one language."),
    "title": N_("Enter a title of at most 200 characters."),
    "description": N_("Please write at most 20,000 characters."),
    "dates": N_("Enter at least one date with its start and end."),
    "date": N_("Enter the date, for example 2027-09-27."),
    "start": N_("Enter the start time, for example 18:00."),
    "end": N_("Enter an end time after the start."),
    "past": N_("Choose a day that is still to come."),
    "languages": N_("Choose at least one language of the event."),
    "venue_wish": N_("Please write at most 2000 characters."),
    "accessibility": N_("Please write at most 2000 characters."),
    "consent": N_("Please agree to the privacy notice; without it we cannot take your proposal."),
}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    locale: str | None = None


def _path(slug: str, programme_slug: str) -> str:
    return f"/m/{slug}/programmes/{programme_slug}"


def _form_values(form: FormMultiDict) -> dict[str, Any]:
    """Every field as typed, as strings (languages: the ticked codes)."""
    values: dict[str, Any] = {name: str(form.get(name) or "") for name in FIELDS}
    for locale in LOCALES:
        for part in ("title", "description"):
            values[f"{part}_{locale}"] = str(form.get(f"{part}_{locale}") or "")
    for n in range(1, MAX_DATES + 1):
        for part in ("date", "start", "end"):
            values[f"{part}_{n}"] = str(form.get(f"{part}_{n}") or "")
    values["languages"] = [str(v) for v in form.getall("languages", [])][:20]
    return values


def _dates(values: dict[str, Any], failed: dict[str, str], rows: list[int]) -> list[dict[str, str]]:
    """The filled rows of proposed dates; a row's failing part is named by its row.
    `rows` gets the row number of each date given (to name a row the service refuses)."""
    dates = []
    for n in range(1, MAX_DATES + 1):
        row = {part: values[f"{part}_{n}"].strip() for part in ("date", "start", "end")}
        if not any(row.values()):
            continue
        body = {"day": row["date"], "start": row["start"], "end": row["end"]}
        try:
            ProposedDate.model_validate(body)
        except ValidationError as error:
            for item in error.errors():
                part = "date" if item["loc"][0] == "day" else str(item["loc"][0])
                failed.setdefault(f"{part}_{n}", part)
            continue
        dates.append(body)
        rows.append(n)
    if not dates and not any(key.startswith(("date_", "start_", "end_")) for key in failed):
        failed.setdefault("date_1", "dates")
    return dates


def parse(
    values: dict[str, Any], rows: list[int] | None = None
) -> tuple[SubmissionCreate | None, dict[str, str]]:
    """The form as the service's input, or the failing fields: {form field: message key}.
    `rows`, when given, gets the form's row number of each date."""
    failed: dict[str, str] = {}
    rows = rows if rows is not None else []
    texts = {}
    for locale in LOCALES:
        title = values[f"title_{locale}"].strip()
        description = values[f"description_{locale}"].strip()
        if title or description:
            texts[locale] = {"title": title, "description": description}
    if not texts:
        failed["title_de"] = "texts"
    dates = _dates(values, failed, rows)
    body = {
        "organisation": values["organisation"].strip(),
        "contact_name": values["contact_name"].strip(),
        "email": values["email"].strip(),
        "phone": values["phone"].strip() or None,
        "locale": values["locale"],
        "texts": texts or {"de": {"title": ""}},
        "dates": dates or [{"day": "2000-01-01", "start": "00:00", "end": "00:01"}],
        "languages": values["languages"],
        "venue_wish": values["venue_wish"].strip(),
        "accessibility": values["accessibility"].strip(),
        "consent": values["consent"] == "yes",
    }
    data = None
    try:
        data = SubmissionCreate.model_validate(body)
    except ValidationError as error:
        for item in error.errors():
            loc = item["loc"]
            if loc[0] == "texts" and texts:
                if len(loc) >= 3 and loc[1] in LOCALES:
                    failed.setdefault(f"{loc[2]}_{loc[1]}", str(loc[2]))
                else:
                    failed.setdefault("title_de", "texts")
            elif loc[0] == "languages":
                failed.setdefault("languages", "languages")
            elif loc[0] in FIELDS:
                failed.setdefault(str(loc[0]), str(loc[0]))
    return (None if failed else data), failed


def _messages(failed: dict[str, str], locale: str) -> dict[str, str]:
    t = translator(locale)
    return {field: t.gettext(MESSAGES[key]) for field, key in failed.items()}


def _context(
    municipality: Municipality,
    programme: dict[str, Any],
    locale: str,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    rows: int = DATE_ROWS,
) -> dict[str, Any]:
    names = languages_named_in(locale)
    form = {"locale": locale, "languages": [], **(form or {})}
    codes = [*EVENT_LANGUAGES, *(c for c in form["languages"] if c not in EVENT_LANGUAGES)]
    title_locale, text = translated(programme["texts"], locale, municipality.default_locale)
    return {
        "programme": programme,
        "programme_title": text["title"],
        "programme_locale": title_locale,
        "programme_url": _path(municipality.slug, programme["slug"]),
        "action": _path(municipality.slug, programme["slug"]) + "/submit",
        "text_languages": [Choice(code, AUTONYMS[code], code) for code in LOCALES],
        "mail_languages": [Choice(code, AUTONYMS[code], code) for code in LOCALES],
        "event_languages": [Choice(code, names.get(code, code)) for code in codes],
        "date_rows": range(1, min(MAX_DATES, rows) + 1),
        "form": form,
        "errors": errors or {},
        "honeypot": HONEYPOT,
    }


async def _programme(
    request: Request[Any, Any, Any], slug: str, programme_slug: str
) -> tuple[Municipality, str, dict[str, Any]]:
    municipality = await get_municipality(slug)
    locale = reader_locale(request, municipality.default_locale)
    programme = await service.programme_for_form(municipality, programme_slug)
    return municipality, locale, programme


def _closed(
    request: Request[Any, Any, Any],
    municipality: Municipality,
    programme: dict[str, Any],
    locale: str,
    status_code: int = 200,
) -> Template:
    return page(
        request,
        "submission_outcome.html",
        municipality=municipality,
        status_code=status_code,
        outcome="closed",
        **_context(municipality, programme, locale),
    )


@page_route("/m/{slug:str}/programmes/{programme_slug:str}/submit")
async def submission_form(
    request: Request[Any, Any, Any], slug: PathSlug, programme_slug: PathSlug
) -> Template:
    """The form, while the programme takes proposals; else a page that says so."""
    municipality, locale, programme = await _programme(request, slug, programme_slug)
    if not service.accepts_submissions(programme, municipality, service.now()):
        return _closed(request, municipality, programme, locale)
    return page(
        request,
        "submission_form.html",
        municipality=municipality,
        until=programme["submissions_until"],
        **_context(municipality, programme, locale),
    )


@post("/m/{slug:str}/programmes/{programme_slug:str}/submit", include_in_schema=False)
async def submit(
    request: Request[Any, Any, Any],
    slug: PathSlug,
    programme_slug: PathSlug,
    settings: NamedDependency[Settings],
    throttle: NamedDependency[Throttle],
) -> Response[Any]:
    """Store the proposal (303 to the thanks page), or the form again with its errors
    (422), or the closed page (409) past the deadline."""
    await throttle.hit(settings.submissions_per_client, "submit-client", client_of(request))
    form = await request.form()
    values = _form_values(form)
    municipality, locale, programme = await _programme(request, slug, programme_slug)
    if not service.accepts_submissions(programme, municipality, service.now()):
        return _closed(request, municipality, programme, locale, HTTP_409_CONFLICT)
    rows: list[int] = []
    data, failed = parse(values, rows)
    if data is None:
        return _again(request, municipality, programme, locale, values, failed)
    done = Redirect(_path(slug, programme_slug) + "/submitted", status_code=HTTP_303_SEE_OTHER)
    if form.get(HONEYPOT):  # a bot: the answer a person would get, nothing stored
        return done
    mail = await throttle.allow(
        settings.registrations_per_email, "submit-email", str(municipality.id), data.email.lower()
    )
    try:
        await service.submit(municipality, programme_slug, data, mail=mail)
    except Conflict:  # closed in between
        return _closed(request, municipality, programme, locale, HTTP_409_CONFLICT)
    except InvalidInput as error:  # a date in the past, named by its row
        past = {
            f"date_{rows[int(field.split('.')[1])]}": "past"
            for field in error.fields
            if field.startswith("dates.")
        }
        return _again(request, municipality, programme, locale, values, past)
    return done


def _again(
    request: Request[Any, Any, Any],
    municipality: Municipality,
    programme: dict[str, Any],
    locale: str,
    values: dict[str, Any],
    failed: dict[str, str],
) -> Template:
    """The form again, each failing field named, what was typed kept (422)."""
    return page(
        request,
        "submission_form.html",
        municipality=municipality,
        status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        until=programme["submissions_until"],
        **_context(municipality, programme, locale, values, _messages(failed, locale)),
    )


@page_route("/m/{slug:str}/programmes/{programme_slug:str}/submitted")
async def submitted(
    request: Request[Any, Any, Any], slug: PathSlug, programme_slug: PathSlug
) -> Template:
    """Thanks, and what happens next."""
    municipality, locale, programme = await _programme(request, slug, programme_slug)
    return page(
        request,
        "submission_outcome.html",
        municipality=municipality,
        outcome="received",
        **_context(municipality, programme, locale),
    )


SUBMISSION_PAGES = [submission_form, submit, submitted]
