"""Stylesheets and other files the pages load, all from this site (no CDN, no fonts
from elsewhere), under addresses that change with their content so that browsers may
keep them for a year.

- `/assets/pico-<version>/…`: Pico CSS, as npm installed it into `node_modules/`
  (`make install` runs `npm ci` with the root `package.json`; the Dockerfile copies it).
  Nothing of it is copied into the repository.
- `/assets/<digest>/…`: our own files in `web/static/` (the digest is of their content).
- `/static/…`: the API page's assets (openapi.py), kept an hour as before.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from litestar.datastructures import CacheControlHeader
from litestar.router import Router
from litestar.static_files import create_static_files_router

from treffpunkt.openapi import SWAGGER_UI

STATIC = Path(__file__).parent / "static"
# node_modules/ sits at the repository root, beside src/ (editable install; Dockerfile).
NODE_MODULES = Path(__file__).resolve().parents[3] / "node_modules"
PICO = NODE_MODULES / "@picocss" / "pico"
A_YEAR = 365 * 24 * 3600


class AssetsMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class Assets:
    """Where the pages find their stylesheets."""

    pico_prefix: str
    own_prefix: str

    @property
    def stylesheets(self) -> list[str]:
        """Every page's stylesheets, in cascade order (the town's own colour follows)."""
        return [f"{self.pico_prefix}/pico.min.css", f"{self.own_prefix}/site.css"]


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def assets() -> Assets:
    manifest = PICO / "package.json"
    if not (PICO / "css" / "pico.min.css").is_file() or not manifest.is_file():
        raise AssetsMissing(
            f"Pico CSS is not installed in {NODE_MODULES}: run `make install` (npm ci)."
        )
    version = json.loads(manifest.read_text("utf-8"))["version"]
    return Assets(pico_prefix=f"/assets/pico-{version}", own_prefix=f"/assets/{_digest(STATIC)}")


def asset_routers() -> list[Router]:
    found = assets()
    forever = CacheControlHeader(public=True, max_age=A_YEAR, immutable=True)
    return [
        create_static_files_router(
            found.pico_prefix,
            directories=[PICO / "css"],
            cache_control=forever,
            include_in_schema=False,
            name="pico",
        ),
        create_static_files_router(
            found.own_prefix,
            directories=[STATIC],
            cache_control=forever,
            include_in_schema=False,
            name="own-assets",
        ),
        # The API page's files (openapi.py names them under /static).
        create_static_files_router(
            "/static",
            directories=[STATIC, SWAGGER_UI],
            cache_control=CacheControlHeader(public=True, max_age=3600),
            include_in_schema=False,
        ),
    ]
