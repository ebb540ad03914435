"""create_app(settings): the one place where treffpunkt is wired together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from typing import Any, cast

from litestar import Litestar
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from treffpunkt import __version__, db
from treffpunkt.accounts.dependencies import AUTH_DEPENDENCIES
from treffpunkt.accounts.routes import AdminAccountController, AuthController, GuideTeamController
from treffpunkt.accounts.service import LoginPolicy
from treffpunkt.calendars.routes import CalendarController, PersonalFeedController
from treffpunkt.calendars.service import FeedCache
from treffpunkt.errors import EXCEPTION_HANDLERS
from treffpunkt.events.routes import (
    GuideEventController,
    GuideProgrammeController,
    GuideSessionController,
    GuideVenueController,
    PublicEventController,
)
from treffpunkt.headers import security_headers
from treffpunkt.health import health
from treffpunkt.municipalities.routes import MunicipalityController, OwnMunicipalityController
from treffpunkt.notifications.worker import run_forever
from treffpunkt.registrations.routes import (
    GuideRegistrationController,
    PublicRegistrationController,
)
from treffpunkt.settings import Settings
from treffpunkt.throttle import Throttle
from treffpunkt.web.routes import TEMPLATES, RegistrationPageController, static_files


def create_app(settings: Settings) -> Litestar:
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    engine = db.create_engine(settings.resolved_database_url)
    db.use_engine(engine)
    throttle = Throttle(settings.rate_limit_storage)
    secret_key = settings.resolved_secret_key()
    feeds = FeedCache()
    docs = ScalarRenderPlugin()
    login_policy = LoginPolicy(
        token_ttl=timedelta(hours=settings.token_ttl_hours),
        attempts_per_client=settings.login_attempts_per_client,
        failures_per_account_and_client=settings.login_failures_per_account_and_client,
        failures_per_account=settings.login_failures_per_account,
    )

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await db.open_database(engine, settings.database_pool_size)
        worker = asyncio.create_task(run_forever(settings)) if settings.worker_in_process else None
        try:
            yield
        finally:
            if worker is not None:
                worker.cancel()
                with suppress(asyncio.CancelledError):
                    await worker
            await db.close_database(engine)

    app = Litestar(
        route_handlers=[
            health,
            AuthController,
            AdminAccountController,
            GuideTeamController,
            MunicipalityController,
            OwnMunicipalityController,
            GuideVenueController,
            GuideProgrammeController,
            GuideEventController,
            GuideSessionController,
            PublicEventController,
            PublicRegistrationController,
            GuideRegistrationController,
            RegistrationPageController,
            static_files,
            CalendarController,
            PersonalFeedController,
        ],
        template_config=TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine),
        dependencies={
            **AUTH_DEPENDENCIES,
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "secret_key": Provide(lambda: secret_key, sync_to_thread=False),
            "feeds": Provide(lambda: feeds, sync_to_thread=False),
            "throttle": Provide(lambda: throttle, sync_to_thread=False),
            "login_policy": Provide(lambda: login_policy, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[security_headers("/schema", [docs.js_url, docs.css_url])],
        # The client's address for rate limits: behind the reverse proxies named in
        # TREFFPUNKT_TRUSTED_PROXIES, the right-most X-Forwarded-For entry that none of
        # them is (the left ones are whatever the client sent). uvicorn's middleware
        # does exactly that when given addresses, not "*" (settings refuse "*").
        middleware=[
            DefineMiddleware(
                cast("Any", ProxyHeadersMiddleware),  # plain ASGI, typed by uvicorn
                trusted_hosts=settings.trusted_proxy_list,
            )
        ],
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="treffpunkt",
            version=__version__,
            description="Events, registrations, calendars and mail for municipal integration work.",
            path="/schema",
            render_plugins=[docs],
            components=Components(
                security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}
            ),
            security=[{"bearer": []}],
        ),
        debug=False,
    )
    app.state.throttle = throttle
    return app


def app_from_environment() -> Litestar:
    """The app from TREFFPUNKT_* variables: uvicorn's factory for several worker processes."""
    from treffpunkt.settings import load_settings

    return create_app(load_settings())
