"""The PWA in Chromium under the server's Content-Security-Policy: no violation on the pages people use,
including the service worker, photo previews and the live-progress WebSocket. Needs `pwa/dist` built."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.e2e.conftest import browser, context, page, server  # noqa: F401 - the e2e fixtures, reused
from tests.e2e.support import DEMO_PHONE, Server, photo_bytes, sign_in, wait_for_service_worker

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


async def _violations(p: Page, console: list[str]) -> list[str]:
    return [*await p.evaluate("window.__csp"), *console]


async def test_the_pwa_runs_under_the_policy(page: Page, server: Server):  # noqa: F811
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    await page.add_init_script(WATCH)

    response = await page.goto("/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    await wait_for_service_worker(page)
    await sign_in(page, server, DEMO_PHONE)
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
