"""End-to-end set-up: the real API (serving the built PWA at `/`) as a subprocess with a fresh database,
and Debian's Chromium driven by Playwright.

The PWA must be built first (`make test` does; by hand: `cd pwa && npm run build`)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from tests.e2e.support import CHROMIUM, CHROMIUM_ARGS, ROOT, VIEWPORT, Server
from tests.harness.pg import free_port

DIST = ROOT / "pwa" / "dist"


def _wait_healthy(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the API exited during start-up:\n{proc.stdout.read() if proc.stdout else ''}"
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("the API did not become healthy within 60 s")


@contextmanager
def running_api(**extra_env: str) -> Iterator[Server]:
    """The API as a subprocess on a free port with a fresh SQLite database, serving the built PWA."""
    tmp = Path(tempfile.mkdtemp(prefix="dachuan-e2e-"))
    port = free_port()
    env = {**os.environ, "PORT": str(port), "DATABASE_URL": f"sqlite://{tmp / 'e2e.sqlite3'}",
           "STORAGE_ROOT": str(tmp / "materials"), "DEMO_NOTICE_SECONDS": "2", "ENVIRONMENT": "development",
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "PROVINCE_URL": f"http://127.0.0.1:{port}/province-sim",
           **extra_env}
    log = open(tmp / "api.log", "w", encoding="utf-8")  # noqa: SIM115 - closed after the process ends
    proc = subprocess.Popen([sys.executable, "-m", "api"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc)
        yield Server(url=url, inbox=tmp / "sms-inbox.txt", log=tmp / "api.log")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    """The API on a free port with a fresh SQLite database; it serves pwa/dist at `/`."""
    if not (DIST / "index.html").is_file():
        pytest.fail(f"{DIST}/index.html is missing: build the PWA first (make test does; by hand: cd pwa && npm ci && npm run build)")
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium and fonts-wqy-microhei (scripts/install-system-deps.sh)")
    with running_api() as running:
        yield running


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        await b.close()


@pytest.fixture
async def context(browser: Browser, server: Server) -> AsyncIterator[BrowserContext]:
    """A fresh phone: 390×844, Chinese, Beijing time, nothing stored."""
    ctx = await browser.new_context(base_url=server.url, viewport=VIEWPORT, device_scale_factor=1, locale="zh-CN",
                                    timezone_id="Asia/Shanghai", has_touch=True, is_mobile=True,
                                    service_workers="allow")
    yield ctx
    await ctx.close()


@pytest.fixture
async def page(context: BrowserContext, server: Server) -> AsyncIterator[Page]:
    """A page that must raise no uncaught error and ask no host but our own (no CDN, ever)."""
    p = await context.new_page()
    errors: list[str] = []
    elsewhere: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    context.on("request", lambda r: None if r.url.startswith((server.url, "data:", "blob:")) else elsewhere.append(r.url))
    yield p
    assert errors == [], f"uncaught errors in the page: {errors}"
    assert elsewhere == [], f"requests to other hosts: {elsewhere}"
