"""The PWA in Chromium under the server's Content-Security-Policy: no violation on the pages people use,
including the service worker, photo previews and the live-progress WebSocket. Needs `pwa/dist` built."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e import support
from tests.e2e.conftest import browser, running_api  # noqa: F401 - the e2e browser fixture, reused
from tests.e2e.support import DEMO_PHONE, VIEWPORT, Server, photo_bytes, sign_in, wait_for_service_worker

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


async def _violations(p: Page, console: list[str]) -> list[str]:
    return [*await p.evaluate("window.__csp"), *console]


@pytest.fixture(scope="module")
def csp_server() -> Iterator[Server]:
    """A server of this module's own: its demo applicant signs in afresh, whatever other modules did."""
    kept = dict(support._sessions)  # sign_in caches sessions by phone: leave other modules theirs
    with running_api() as running:
        yield running
    support._sessions.clear()
    support._sessions.update(kept)


@pytest.fixture
async def csp_page(browser: Browser, csp_server: Server) -> AsyncIterator[Page]:  # noqa: F811
    context = await browser.new_context(base_url=csp_server.url, viewport=VIEWPORT, locale="zh-CN",
                                        timezone_id="Asia/Shanghai", has_touch=True, is_mobile=True,
                                        service_workers="allow")
    errors: list[str] = []
    page = await context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    await context.close()
    assert errors == []


async def test_the_pwa_runs_under_the_policy(csp_page: Page, csp_server: Server):
    page, server = csp_page, csp_server
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    await page.add_init_script(WATCH)

    response = await page.goto("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    await wait_for_service_worker(page)
    await sign_in(page, server, DEMO_PHONE, through_ui=True)
    await expect(page.get_by_text("您好，李秀英")).to_be_visible()
    await page.goto("/items/dibao")
    await expect(page.get_by_role("heading", name="最低生活保障")).to_be_visible()
    await page.goto("/apply/linshi")
    visited = [await _violations(page, console)]

    # a photo chosen for a material is uploaded and previewed from a blob: URL
    await page.get_by_test_id("next").click()
    await expect(page.get_by_test_id("step-title")).to_have_text("申请信息")
    await page.get_by_role("radio", name="突发重病").click()
    await page.locator('fieldset:has-text("是否需要马上帮助")').get_by_role("radio", name="否").click()
    await page.locator("#item-field-reason").fill("突发脑梗住院，医药费负担重")
    await page.get_by_test_id("next").click()
    await page.get_by_test_id("album-id_card").set_input_files(
        files=[{"name": "id.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes(seed=7)}])
    await expect(page.locator('[data-kind="id_card"] .file[data-state="uploaded"]')).to_have_count(1, timeout=20_000)
    visited.append(await _violations(page, console))

    # a case page subscribes to live progress over the WebSocket
    await page.goto("/cases")
    await page.wait_for_timeout(1000)
    visited.append(await _violations(page, console))

    assert visited == [[], [], []]
