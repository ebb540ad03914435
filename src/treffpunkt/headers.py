"""Security headers on every answer, set in one place: Litestar's `before_send` hook,
which sees every response — of a route, of an error handler, or a 404 for no route.

- `Content-Security-Policy`: pages load styles only from this site and run no script
  at all (templates have no inline styles or scripts); nobody may frame a page.
- `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` (a registration
  page's address holds its token; no link on it may pass that on).
- `Cache-Control: no-store` unless the handler chose its own: answers behind a token
  (registration links, everything of guides and admins, exports, logins) must not stay
  in any cache, and a new route is private until it says otherwise. Public feeds and
  static files say `public`; personal feeds `private`: the person's own calendar app may
  keep its copy and ask again with its ETag, no shared cache may keep it.

Per route (handler or router `opt`): `embeddable=True` allows framing by any site (for
pages meant to be embedded in a town's website); `csp="…"` replaces the policy.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

# `data:` images: Pico CSS draws its checkbox ticks and select arrows as inline SVGs.
PAGE_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
ALWAYS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def docs_policy(asset_urls: Sequence[str]) -> str:
    """The API documentation page: its renderer's script and styles (which it partly
    writes inline at run time), and the schema from this site."""
    origins = sorted({f"{u.scheme}://{u.netloc}" for u in map(urlsplit, asset_urls) if u.netloc})
    sources = " ".join(["'self'", *origins])
    return (
        f"default-src 'self'; script-src {sources}; style-src {sources} 'unsafe-inline'; "
        f"img-src {sources} data:; font-src {sources} data:; connect-src 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


def security_headers(
    docs_path: str, docs_assets: Sequence[str]
) -> Callable[[Message, Scope], Awaitable[None]]:
    """The hook; `docs_path` (the OpenAPI router's) gets `docs_policy(docs_assets)`."""
    docs = docs_policy(docs_assets)

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        handler = scope.get("route_handler")
        opt = handler.opt if handler is not None else {}
        policy = opt.get("csp") or (docs if scope["path"].startswith(docs_path) else PAGE_POLICY)
        if opt.get("embeddable"):
            policy = policy.replace("frame-ancestors 'none'", "frame-ancestors *")
        else:
            headers["X-Frame-Options"] = "DENY"
        headers["Content-Security-Policy"] = policy
        for name, value in ALWAYS.items():
            headers[name] = value
        if "cache-control" not in headers:
            headers["Cache-Control"] = "no-store"

    return add_headers
