"""The workspace's home, "This week" (`/guide/`): the coming sessions with how full each
is, who waits, who has not confirmed, what people need, and what looks wrong; each
leads to its door list, its event and a message to its people.

Thin: the figures and warnings come from registrations/week.py (three queries).
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import groupby
from typing import Annotated, Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Response

from treffpunkt.accounts.dependencies import Tenant
from treffpunkt.i18n import DEFAULT_LOCALE
from treffpunkt.registrations.week import MAX_DAYS, WeekSession, WeekWarning, coming_sessions
from treffpunkt.translations import N_, languages_named_in, translator
from treffpunkt.web.pages import page_route, reader_locale
from treffpunkt.web.workspace import workspace_page

WEEK, MORE = 7, 28
WARNINGS = {
    WeekWarning.no_venue: N_("No venue yet."),
    WeekWarning.long_waitlist: N_("Full, with a long waitlist: another date or a larger room?"),
    WeekWarning.nobody_tomorrow: N_("Tomorrow, and nobody has registered."),
    WeekWarning.unpublished: N_("Not published yet."),
    WeekWarning.registration_not_open: N_("Registration has not opened yet."),
}
DaysChoice = Annotated[int | None, QueryParameter(name="days", ge=1, le=MAX_DAYS)]


@page_route("/")
async def this_week(
    request: Request[Any, Any, Any], tenant: NamedDependency[Tenant], days: DaysChoice = None
) -> Response[Any]:
    """The coming sessions, by day: today and the next seven days, or `?days=`."""
    locale = reader_locale(request, DEFAULT_LOCALE)  # German unless the guide chose
    said = translator(locale)
    week = await coming_sessions(tenant.municipality_id, locale, days or WEEK)
    by_day: list[tuple[date, list[WeekSession]]] = [
        (day, list(sessions)) for day, sessions in groupby(week.sessions, _day)
    ]
    return await workspace_page(
        request,
        "guide/week.html",
        tenant,
        section="week",
        week=week,
        by_day=by_day,
        warning_texts={code: said.gettext(text) for code, text in WARNINGS.items()},
        language_names=languages_named_in(locale),
        last_day=(week.ends - timedelta(days=1)).date(),
        more_days=MORE if week.days < MORE else None,
    )


def _day(session: WeekSession) -> date:
    return session.first_day or session.starts_at.date()


ROUTES = [this_week]
