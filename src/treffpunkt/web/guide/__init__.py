"""The guide's workspace, /guide/…: every handler here runs behind the session guard
and gets `tenant` (the guide's town) from the router (web/workspace.py, app.py). Each
module of pages lists its handlers in `ROUTES`; GUIDE_ROUTES gathers them."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.response import Template

from treffpunkt.accounts.dependencies import Tenant
from treffpunkt.web.guide import dates, programmes
from treffpunkt.web.pages import page_route
from treffpunkt.web.workspace import workspace_page


@page_route("/")
async def home(request: Request[Any, Any, Any], tenant: NamedDependency[Tenant]) -> Template:
    return await workspace_page(request, "guide/home.html", tenant, section="week")


GUIDE_ROUTES: list[Any] = [home, *dates.ROUTES, *programmes.ROUTES]
