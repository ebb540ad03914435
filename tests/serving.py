"""Run treffpunkt's own commands as separate processes on the test database."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from tests.smtp import free_port


@asynccontextmanager
async def command(*args: str, env: dict[str, str] | None = None) -> AsyncIterator[None]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "treffpunkt.cli", *args, env={**os.environ, **(env or {})}
    )
    try:
        yield
    finally:
        process.terminate()
        await process.wait()


@asynccontextmanager
async def served(env: dict[str, str] | None = None) -> AsyncIterator[str]:
    """`treffpunkt serve` on a free port; yields its base URL once /health answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"TREFFPUNKT_BASE_URL": url, **(env or {})}  # links point at this server
    async with command("serve", "--port", str(port), env=env):
        async with httpx.AsyncClient() as probe:
            for _ in range(150):
                try:
                    if (await probe.get(f"{url}/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
            else:
                raise RuntimeError("the server did not come up")
        yield url
