"""The platform admin's workspace, /admin/…: every handler here runs behind the admin
session guard and gets `account` from the router (web/workspace.py, app.py). Each
module of pages lists its handlers in `ROUTES`; ADMIN_ROUTES gathers them."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.response import Template

from treffpunkt.accounts.service import Principal
from treffpunkt.web.admin import towns
from treffpunkt.web.pages import page_route
from treffpunkt.web.workspace import admin_page


@page_route("/")
async def home(request: Request[Any, Any, Any], account: NamedDependency[Principal]) -> Template:
    return await admin_page(request, "admin/home.html", account)


ADMIN_ROUTES: list[Any] = [home, *towns.ROUTES]
