"""What every page shares: its language, the layout's context, and `page()`, which a
page handler returns.

    @page_route("/m/{slug:str}/")
    async def town(request: Request, slug: PathSlug) -> Template:
        municipality = await get_municipality(slug)
        sessions = await list_sessions(...)  # the same service as the API
        return page(request, "town.html", municipality=municipality, sessions=sessions)

The language is chosen in one place (`reader_locale`); the template gets the catalogue
bound to it for this render only (translations.py), and the layout gets the town, the
language switch, the stylesheets and the formatting helpers. See docs/web.md.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from babel import Locale as BabelLocale
from babel.dates import format_date, format_time
from jinja2 import StrictUndefined
from litestar import HttpMethod, Request, route
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import Cookie
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template import TemplateConfig
from markupsafe import Markup

from treffpunkt import i18n
from treffpunkt.i18n import DEFAULT_LOCALE, LOCALES, direction, format_when
from treffpunkt.links import FeedLinks, feed_links
from treffpunkt.municipalities.tables import Municipality
from treffpunkt.settings import Settings
from treffpunkt.tokens import derive_token
from treffpunkt.translations import configure_environment, translator
from treffpunkt.web.assets import STATIC, assets

TEMPLATES = STATIC.parent / "templates"
LANG_PARAMETER = "lang"
LANG_COOKIE = "lang"
LANG_COOKIE_SECONDS = 365 * 24 * 3600
# A page's language depends on these request headers (beside its URL).
VARY = "Cookie, Accept-Language"


def page_route(path: str | list[str], **options: Any) -> Any:
    """The route decorator of every page handler: GET and HEAD (link checkers and
    proxies ask with HEAD; the server sends the GET's headers without the body), and
    no place in the API's schema."""
    return route(
        path,
        http_method=[HttpMethod.GET, HttpMethod.HEAD],
        include_in_schema=False,
        **options,
    )


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja2 for pages: autoescaped, undefined names fail, `{% trans %}` and `_()`."""

    def configure(engine: JinjaTemplateEngine) -> None:
        environment = engine.engine
        environment.undefined = StrictUndefined
        environment.trim_blocks = True
        environment.lstrip_blocks = True
        configure_environment(environment)

    return TemplateConfig(
        directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=configure
    )


def secure_cookies(settings: Settings) -> bool:
    """Cookies only over https, except in development (served on http://127.0.0.1)."""
    return settings.environment != "development"


# Paths without cookie-authenticated forms: no CSRF cookie, no token check. The JSON API
# authenticates with bearer tokens, not cookies; feeds and files are only read; the
# embedded list has no form (and lives in other sites' frames).
CSRF_EXEMPT = [
    "^/api/",
    "^/schema",
    "^/health",
    "^/feeds/",
    "^/static/",
    "^/assets/",
    r"\.(ics|css|atom)$",
    "^/m/[^/]+/embed$",
]


def csrf_config(settings: Settings, secret_key: str) -> CSRFConfig:
    """Every form of a page must carry the token of the visitor's CSRF cookie
    (`csrf_input`, in macros.html `post_form`); a POST without it is a 403 page."""
    secure = secure_cookies(settings)
    return CSRFConfig(
        secret=derive_token(secret_key, "csrf", "pages"),  # not the key itself
        # Over https, `__Host-`: no sibling subdomain can plant a token of its own.
        cookie_name="__Host-csrftoken" if secure else "csrftoken",
        cookie_secure=secure,
        cookie_httponly=True,
        exclude=CSRF_EXEMPT,
    )


def settings_of(request: Request[Any, Any, Any]) -> Settings:
    settings: Settings = request.app.state["settings"]
    return settings


def reader_locale(
    request: Request[Any, Any, Any], default: str = DEFAULT_LOCALE, own: str | None = None
) -> str:
    """The page's language: `?lang=` > the `lang` cookie > `own` (the language the page's
    subject chose, e.g. a registration's) > Accept-Language > `default` (the town's)."""
    return i18n.page_locale(
        chosen=request.query_params.get(LANG_PARAMETER),
        remembered=request.cookies.get(LANG_COOKIE),
        own=own,
        accept_language=request.headers.get("accept-language"),
        default=default,
    )


@dataclass(frozen=True)
class LanguageLink:
    locale: str
    name: str  # in its own language: "Deutsch", "العربية"
    url: str
    current: bool

    @property
    def direction(self) -> str:
        return direction(self.locale)


def _autonym(locale: str) -> str:
    name = BabelLocale.parse(locale).get_display_name(locale) or locale
    return name[:1].upper() + name[1:]


AUTONYMS = {locale: _autonym(locale) for locale in LOCALES}


def language_links(request: Request[Any, Any, Any], current: str) -> list[LanguageLink]:
    """The same page in each language: its path and query, with `lang` set. Choosing one
    remembers it (`remember_choice`)."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != LANG_PARAMETER]
    # One leading slash: "//host/x" (or "/\\host/x") would lead browsers to another site.
    path = "/" + request.url.path.lstrip("/\\")
    return [
        LanguageLink(
            locale=locale,
            name=AUTONYMS[locale],
            url=f"{quote(path)}?{urlencode([*kept, (LANG_PARAMETER, locale)])}",
            current=locale == current,
        )
        for locale in LOCALES
    ]


def remember_choice(request: Request[Any, Any, Any]) -> list[Cookie]:
    """The `lang` cookie when the reader has just picked a language (`?lang=xx`). Never on
    a page other sites frame (route opt `embeddable`): its `?lang=` is the host site's
    choice, not the reader's, and it sets no cookie at all (docs/web.md)."""
    chosen = request.query_params.get(LANG_PARAMETER)
    if chosen not in LOCALES or request.route_handler.opt.get("embeddable"):
        return []
    return [
        Cookie(
            key=LANG_COOKIE,
            value=chosen,
            max_age=LANG_COOKIE_SECONDS,
            path="/",
            samesite="lax",
            httponly=True,
            secure=secure_cookies(settings_of(request)),
        )
    ]


def theme_version(accent_colour: str) -> str:
    """The `v=` of a town's theme.css: a digest of what the stylesheet says, so that its
    address changes exactly when its content does (web/theme.py caches only this one)."""
    return hashlib.sha256(accent_colour.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Town:
    """What the layout shows of a municipality: name, contact, notices, feed, colour."""

    slug: str
    name: str
    contact_email: str
    contact_phone: str | None
    website: str | None
    privacy_url: str | None
    imprint_url: str | None
    calendar: FeedLinks
    stylesheet: str  # its accent colour (web/theme.py)
    logo: str | None = None  # its logo's address (web/theme.py), if it has one
    privacy_version: str = ""  # the privacy notice's version that registrations consent to

    @property
    def phone_uri(self) -> str:
        return "tel:" + re.sub(r"[^0-9+]", "", self.contact_phone or "")

    @classmethod
    def of(cls, municipality: Municipality, base_url: str, locale: str) -> Town:
        """The town for a page in `locale`: its calendar link asks for that language
        (calendar apps send no Accept-Language)."""
        return cls(
            slug=municipality.slug,
            name=municipality.name,
            contact_email=municipality.contact_email,
            contact_phone=municipality.contact_phone,
            website=municipality.website,
            # Its own notice elsewhere, or the text its guides keep here (web/theme.py).
            privacy_url=municipality.privacy_url or f"/m/{municipality.slug}/privacy",
            imprint_url=municipality.imprint_url,
            calendar=feed_links(
                base_url, f"/m/{municipality.slug}/calendar.ics?{urlencode({'locale': locale})}"
            ),
            stylesheet=(
                f"/m/{municipality.slug}/theme.css?v={theme_version(municipality.accent_colour)}"
            ),
            logo=f"/m/{municipality.slug}/logo.png?v={municipality.logo_digest[:12]}"
            if municipality.logo_digest
            else None,
            privacy_version=municipality.privacy_version,
        )


def lang_attributes(page_locale: str) -> Callable[[Any], Markup]:
    """`lang`/`dir` attributes for an element whose text is in another language than the
    page (an event text that fell back to the town's language): `<h1{{ lang_of(title) }}>`
    with an `i18n.Localized`, or a locale code."""

    def attributes(text: Any) -> Markup:
        locale = getattr(text, "locale", text)
        if not locale or locale == page_locale:
            return Markup("")
        return Markup(' lang="{}" dir="{}"').format(locale, direction(locale))

    return attributes


def isolate(text: Any) -> Markup:
    """`<bdi>` around a value put into a sentence (a date, a name, a number), so that
    right-to-left text keeps it in one piece: `_("… until %(until)s", until=bdi(day))`."""
    return Markup("<bdi>{}</bdi>").format(text)


def _formatters(locale: str) -> dict[str, Callable[..., str]]:
    """Dates and times in the reader's language; values are local to the town already."""
    return {
        "format_datetime": lambda value: format_when(value, locale),
        "format_date": lambda value: format_date(value, "full", locale=locale),
        "format_time": lambda value: format_time(value, "short", locale=locale),
    }


def page_context(
    request: Request[Any, Any, Any], locale: str, municipality: Municipality | None
) -> dict[str, Any]:
    """The names base.html and every page may use (docs/web.md lists them)."""
    base_url = settings_of(request).base_url
    town = Town.of(municipality, base_url, locale) if municipality else None
    stylesheets = [*assets().stylesheets, *([town.stylesheet] if town else [])]
    return {
        **translator(locale).template_functions(),
        **_formatters(locale),
        "locale": locale,
        "dir": direction(locale),
        "languages": language_links(request, locale),
        "town": town,
        "stylesheets": stylesheets,
        "lang_of": lang_attributes(locale),
        "bdi": isolate,
    }


def page(
    request: Request[Any, Any, Any],
    template_name: str,
    *,
    municipality: Municipality | None,
    own_locale: str | None = None,
    default_locale: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    cookies: Iterable[Cookie] = (),
    **context: Any,
) -> Template:
    """A page in the layout, in the reader's language (`reader_locale`, the town's
    default language last). `context` is the page's own; it may not shadow the layout's
    names. `default_locale` replaces the town's default language (the workspace's is
    German)."""
    default = default_locale or (municipality.default_locale if municipality else DEFAULT_LOCALE)
    locale = reader_locale(request, default, own_locale)
    shared = page_context(request, locale, municipality)
    clash = shared.keys() & context.keys()
    if clash:
        raise ValueError(f"page context shadows the layout's {sorted(clash)}")
    return Template(
        template_name=template_name,
        context={**shared, **context},
        status_code=status_code,
        headers={"Vary": VARY, **(headers or {})},
        cookies=[*remember_choice(request), *cookies],
    )
