"""create_app(settings): the one place where treffpunkt is wired together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any, cast

from litestar import Litestar, Router
from litestar.config.compression import CompressionConfig
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from treffpunkt import __version__, db, inputs, logs
from treffpunkt.accounts import links as account_links
from treffpunkt.accounts.dependencies import BEARER, TENANT, guides_only
from treffpunkt.accounts.routes import AdminAccountController, AuthController, GuideTeamController
from treffpunkt.accounts.service import LoginPolicy
from treffpunkt.calendars import invitations, personal
from treffpunkt.calendars.routes import CalendarController, PersonalFeedController
from treffpunkt.calendars.service import FeedCache
from treffpunkt.errors import ERROR_PAGE, EXCEPTION_HANDLERS
from treffpunkt.events import hooks
from treffpunkt.events.routes import (
    GuideEventController,
    GuideProgrammeController,
    GuideSessionController,
    GuideVenueController,
    PublicEventController,
)
from treffpunkt.headers import security_headers
from treffpunkt.health import health
from treffpunkt.municipalities.routes import (
    MunicipalityController,
    OwnMunicipalityController,
    TownSettingsController,
)
from treffpunkt.notifications.registry import Registry, TimedRule, use_registry
from treffpunkt.notifications.worker import run_forever, stop_worker
from treffpunkt.openapi import ModelReferences, openapi_config
from treffpunkt.registrations import kinds, notices
from treffpunkt.registrations import service as registrations
from treffpunkt.registrations.routes import (
    GuideInvitationController,
    GuideMessageController,
    GuideRegistrationController,
    PublicRegistrationController,
)
from treffpunkt.settings import Settings
from treffpunkt.submissions import kinds as submission_kinds
from treffpunkt.submissions.routes import GuideSubmissionController
from treffpunkt.throttle import Throttle
from treffpunkt.web.account import ACCOUNT_ROUTER
from treffpunkt.web.accounts import PASSWORD_PAGES
from treffpunkt.web.admin import ADMIN_ROUTES
from treffpunkt.web.assets import asset_routers
from treffpunkt.web.errors import error_page
from treffpunkt.web.events import EVENT_PAGES
from treffpunkt.web.guide import GUIDE_ROUTES
from treffpunkt.web.invitations import INVITATION_PAGES
from treffpunkt.web.pages import csrf_config, template_config
from treffpunkt.web.routes import RegistrationPageController
from treffpunkt.web.submissions import SUBMISSION_PAGES
from treffpunkt.web.theme import THEME_ROUTES
from treffpunkt.web.town import TOWN_ROUTES
from treffpunkt.web.workspace import (
    LOGIN_ROUTES,
    LoginRequired,
    login_required,
    workspace_routers,
)

# JSON bodies larger than this are refused (413); the largest real one is an event with
# texts in six languages, far below.
MAX_BODY_BYTES = 1024 * 1024

# Every route here is a guide's, scoped to the guide's municipality: the guard and the
# `tenant` dependency live on the router, so a route cannot be added here unguarded.
guide_api = Router(
    "/api/v1/guide",
    guards=[guides_only],
    dependencies=TENANT,
    security=BEARER,
    route_handlers=[
        GuideTeamController,
        OwnMunicipalityController,
        GuideVenueController,
        GuideProgrammeController,
        GuideEventController,
        GuideSessionController,
        GuideRegistrationController,
        GuideInvitationController,
        TownSettingsController,
        GuideMessageController,
        GuideSubmissionController,
    ],
)


def wire() -> Registry:
    """The one place where the domains' effects on each other are connected: the rules
    events run in their transactions, and what each outbox kind means to the worker.
    The app and `treffpunkt worker` (and every other command) call it."""
    hooks.capacity_changed.connect(registrations.capacity_changed)
    hooks.registered_sessions.connect(registrations.registered_sessions)
    registry = Registry(
        mails={**kinds.MAILS, **account_links.MAILS, **submission_kinds.MAILS},
        tasks=kinds.TASKS,
        links=[
            kinds.registration_links,
            kinds.invitation_links,
            personal.calendar_links,
            account_links.account_links,
            submission_kinds.submission_links,
        ],
        calendar=invitations.calendar_parts,
        timed=[
            TimedRule("expire unconfirmed places", 2.0, registrations.expire_overdue),
            # A minute late is on time, and each look reads every confirmed place in
            # the sessions of the next hours.
            TimedRule("queue reminders", 60.0, notices.queue_reminders),
        ],
    )
    use_registry(registry)
    return registry


def create_app(settings: Settings) -> Litestar:
    logs.install()  # no token or email address in any log line
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    engine = db.engine_for(settings)
    db.use_engine(engine)
    wire()
    throttle = Throttle(settings.rate_limit_storage)
    secret_key = settings.resolved_secret_key()
    feeds = FeedCache(max_bytes=settings.feed_cache_megabytes * 2**20)
    login_policy = LoginPolicy(
        token_ttl=timedelta(hours=settings.token_ttl_hours),
        attempts_per_client=settings.login_attempts_per_client,
        failures_per_account_and_client=settings.login_failures_per_account_and_client,
        failures_per_account=settings.login_failures_per_account,
    )

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await db.open_database(engine, settings.database_pool_size)
        stop = asyncio.Event()
        worker = None
        if settings.worker_in_process:
            worker = asyncio.create_task(run_forever(settings, stop=stop))
        try:
            yield
        finally:
            if worker is not None:
                await stop_worker(worker, stop)  # claimed mails go back to the queue
            await db.close_database(engine)

    app = Litestar(
        route_handlers=[
            health,
            AuthController,
            MunicipalityController,
            PublicEventController,
            PublicRegistrationController,
            RegistrationPageController,
            *TOWN_ROUTES,
            *SUBMISSION_PAGES,
            *EVENT_PAGES,
            *INVITATION_PAGES,
            *THEME_ROUTES,
            *PASSWORD_PAGES,
            ACCOUNT_ROUTER,
            CalendarController,
            PersonalFeedController,
            AdminAccountController,  # admin controllers carry their guard
            guide_api,
            *LOGIN_ROUTES,
            # The workspace's pages: each router carries its session guard.
            *workspace_routers(GUIDE_ROUTES, ADMIN_ROUTES),
            # Styles and the API page's assets are files, never inline (the pages' CSP).
            *asset_routers(),
        ],
        template_config=template_config(),
        csrf_config=csrf_config(settings, secret_key),  # on every form of a page
        # gzip for pages, styles, feeds (Vary: Accept-Encoding). An ETag names the bytes
        # before compression, so If-None-Match works alike with and without gzip.
        compression_config=CompressionConfig(backend="gzip", gzip_compress_level=6),
        dependencies={
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "secret_key": Provide(lambda: secret_key, sync_to_thread=False),
            "feeds": Provide(lambda: feeds, sync_to_thread=False),
            "throttle": Provide(lambda: throttle, sync_to_thread=False),
            "login_policy": Provide(lambda: login_policy, sync_to_thread=False),
        },
        exception_handlers={**EXCEPTION_HANDLERS, LoginRequired: login_required},
        before_send=[security_headers("/schema", [])],
        # The client's address for rate limits: behind the reverse proxies named in
        # TREFFPUNKT_TRUSTED_PROXIES, the right-most X-Forwarded-For entry that none of
        # them is (the left ones are whatever the client sent). uvicorn's middleware
        # does exactly that when given addresses, not "*" (settings refuse "*").
        middleware=[
            DefineMiddleware(
                cast("Any", ProxyHeadersMiddleware),  # plain ASGI, typed by uvicorn
                trusted_hosts=settings.trusted_proxy_list,
            ),
            inputs.refuse_control_characters,
        ],
        lifespan=[lifespan],
        openapi_config=openapi_config(__version__),
        request_class=inputs.TreffpunktRequest,
        type_decoders=inputs.TYPE_DECODERS,
        plugins=[inputs.BodyPlugin(), inputs.DaySchemaPlugin(), ModelReferences()],
        request_max_body_size=MAX_BODY_BYTES,
        debug=False,
    )
    app.state.throttle = throttle
    app.state.settings = settings
    app.state[ERROR_PAGE] = error_page
    return app


def app_from_environment() -> Litestar:
    """The app from TREFFPUNKT_* variables: uvicorn's factory for several worker processes."""
    from treffpunkt.settings import load_settings

    return create_app(load_settings())
