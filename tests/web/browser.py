"""What browser tests share (the `browser` fixture is in tests/web/conftest.py): Debian's
chromium driven by Playwright, an accessibility check with axe-core (from tests/js,
injected into the page), a check that nothing scrolls sideways, and screenshots kept as
test artefacts under var/test-artifacts/ (git-ignored)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.async_api import Page

CHROMIUM = "/usr/bin/chromium"  # Debian's; `make test` installs it
# Headless on a machine without internet: no background calls home (they fail slowly).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
# A 1280 px window at 200 % zoom: the page lays out in 640 CSS pixels, drawn twice as large.
ZOOMED = {"viewport": {"width": 640, "height": 450}, "device_scale_factor": 2}
AXE = Path(__file__).parents[1] / "js" / "node_modules" / "axe-core" / "axe.min.js"
ARTEFACTS = Path(__file__).parents[2] / "var" / "test-artifacts"


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical findings on the page as it is now (WCAG 2.1 AA
    rules and best practices); each with its rule id, help text and the elements."""
    # The page's CSP forbids inline scripts; Playwright's evaluate is not bound by it,
    # but a <script> tag is: inject the library's source through evaluate.
    await page.evaluate(AXE.read_text("utf-8"))
    result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


async def assert_accessible(page: Page) -> None:
    violations = await serious_violations(page)
    assert not violations, f"{page.url}: {violations}"


# The first elements whose right edge lies beyond the viewport, with that edge.
STICKING_OUT = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth)
  .slice(0, 5)
  .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


async def assert_fits_width(page: Page) -> None:
    """No horizontal scrolling at the page's viewport width."""
    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    if overflow > 0:  # name the elements that stick out, to find the cause
        wide = await page.evaluate(STICKING_OUT)
        raise AssertionError(f"{page.url} scrolls sideways by {overflow} px: {wide}")


async def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot kept for people to look at (not compared)."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def assert_readable_text(page: Page) -> None:
    """Body text is at least 16 CSS pixels (so 32 at 200 % zoom) and no text is cut off
    by a box too small for it (WCAG 1.4.4 and 1.4.10)."""
    size = await page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 16, f"{page.url}: body text is {size} px"
    clipped = await page.evaluate(
        """[...document.querySelectorAll('main *')].filter(e => {
            const s = getComputedStyle(e);
            return e.childElementCount === 0 && e.textContent.trim() &&
                ['hidden', 'clip'].includes(s.overflowX) && e.scrollWidth > e.clientWidth + 1;
        }).map(e => e.outerHTML.slice(0, 80))"""
    )
    assert not clipped, f"{page.url}: text cut off: {clipped}"
