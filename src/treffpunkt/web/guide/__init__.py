"""The guide's workspace, /guide/…: every handler here runs behind the session guard
and gets `tenant` (the guide's town) from the router (web/workspace.py, app.py). Each
module of pages lists its handlers in `ROUTES`; GUIDE_ROUTES gathers them."""

from __future__ import annotations

from typing import Any

from treffpunkt.web.guide import (
    dates,
    doors,
    events,
    invitations,
    messages,
    partners,
    programmes,
    settings,
    venues,
    week,
)

GUIDE_ROUTES: list[Any] = [
    *week.ROUTES,
    *messages.ROUTES,
    *dates.ROUTES,
    *doors.ROUTES,
    *events.ROUTES,
    *venues.ROUTES,
    *partners.ROUTES,
    *programmes.ROUTES,
    *invitations.ROUTES,
    *settings.ROUTES,
]
