"""create_app(settings): the one place where treffpunkt is wired together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig

from treffpunkt import __version__, db
from treffpunkt.accounts.dependencies import AUTH_DEPENDENCIES
from treffpunkt.accounts.routes import AdminAccountController, AuthController, GuideTeamController
from treffpunkt.accounts.service import LoginPolicy
from treffpunkt.calendars import invitations, personal
from treffpunkt.calendars.routes import CalendarController, PersonalFeedController
from treffpunkt.calendars.service import FeedCache
from treffpunkt.errors import EXCEPTION_HANDLERS
from treffpunkt.events import hooks
from treffpunkt.events.routes import (
    GuideEventController,
    GuideProgrammeController,
    GuideSessionController,
    GuideVenueController,
    PublicEventController,
)
from treffpunkt.health import health
from treffpunkt.municipalities.routes import MunicipalityController, OwnMunicipalityController
from treffpunkt.notifications.registry import Registry, TimedRule, use_registry
from treffpunkt.notifications.worker import run_forever, stop_worker
from treffpunkt.registrations import kinds, notices
from treffpunkt.registrations import service as registrations
from treffpunkt.registrations.routes import (
    GuideRegistrationController,
    PublicRegistrationController,
)
from treffpunkt.settings import Settings
from treffpunkt.throttle import Throttle
from treffpunkt.web.routes import TEMPLATES, RegistrationPageController


def wire() -> Registry:
    """The one place where the domains' effects on each other are connected: the rules
    events run in their transactions, and what each outbox kind means to the worker.
    The app and `treffpunkt worker` (and every other command) call it."""
    hooks.capacity_changed.connect(registrations.capacity_changed)
    hooks.registered_sessions.connect(registrations.registered_sessions)
    registry = Registry(
        mails=kinds.MAILS,
        tasks=kinds.TASKS,
        links=[kinds.registration_links, personal.calendar_links],
        calendar=invitations.calendar_part,
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
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    engine = db.create_engine(settings.resolved_database_url)
    db.use_engine(engine)
    wire()
    throttle = Throttle(settings.rate_limit_storage)
    secret_key = settings.resolved_secret_key()
    feeds = FeedCache()
    login_policy = LoginPolicy(
        token_ttl=timedelta(hours=settings.token_ttl_hours),
        attempts_per_client=settings.login_attempts_per_client,
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
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="treffpunkt",
            version=__version__,
            description="Events, registrations, calendars and mail for municipal integration work.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
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
