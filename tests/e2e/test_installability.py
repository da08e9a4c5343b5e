"""The app is installable (Chrome's own check over the DevTools protocol), and the check can fail."""

from __future__ import annotations

import asyncio
import json

import httpx
from playwright.async_api import Browser, BrowserContext, Page

from tests.e2e.support import VIEWPORT, Server, wait_for_service_worker


async def installability_errors(context: BrowserContext, page: Page) -> list[str]:
    cdp = await context.new_cdp_session(page)
    result = await cdp.send("Page.getInstallabilityErrors")
    return [e["errorId"] for e in result["installabilityErrors"]]


async def test_chrome_finds_nothing_against_installing_it_but_the_incognito_profile(
        context: BrowserContext, page: Page, server: Server):
    await page.goto("/")
    await wait_for_service_worker(page)
    assert await installability_errors(context, page) == ["in-incognito"]

    cdp = await context.new_cdp_session(page)
    manifest = await cdp.send("Page.getAppManifest")
    assert manifest["errors"] == []
    data = json.loads(manifest["data"])
    assert (data["id"], data["name"], data["short_name"], data["start_url"], data["scope"], data["display"]) == (
        "/", "达川救助", "达川救助", "/", "/", "standalone")
    assert data["theme_color"] == "#1d4ed8"
    icons = {(i["sizes"], i.get("purpose", "any")) for i in data["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= icons
    for icon in data["icons"]:
        response = await page.request.get(icon["src"])
        assert response.headers["content-type"] == "image/png"


async def test_a_manifest_without_icons_is_reported_as_not_installable(browser: Browser, server: Server):
    manifest = (await asyncio.to_thread(httpx.get, f"{server.url}/manifest.webmanifest")).json()
    del manifest["icons"]
    # no service worker here, so the page's own requests are the ones intercepted
    ctx = await browser.new_context(base_url=server.url, viewport=VIEWPORT, service_workers="block")
    try:
        page = await ctx.new_page()
        await page.route("**/manifest.webmanifest", lambda route: route.fulfill(
            status=200, content_type="application/manifest+json", body=json.dumps(manifest)))
        await page.goto("/")
        errors = await installability_errors(ctx, page)
        assert any("icon" in e for e in errors), errors
    finally:
        await ctx.close()
