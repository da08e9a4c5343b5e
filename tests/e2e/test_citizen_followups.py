"""What a citizen does after applying: withdraw an application, correct the profile, and take a new
version of the app only when they ask for it (never a reload that could lose what they are typing)."""

from __future__ import annotations

import asyncio
import shutil
from datetime import date
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import DIST, running_api
from tests.e2e.support import (
    PROFILE_SAVE,
    VIEWPORT,
    XINQIAO,
    Server,
    id_number,
    screenshot,
    sign_in,
    submit_case,
    wait_for_service_worker,
)

CASE_STATUS = "query($id: ID!) { case(id: $id) { status events { action } } }"
ME_ADDRESS = "query { me { applicant { address } } }"


async def citizen(page: Page, server: Server, phone: str, name: str, seq: int) -> str:
    """Signs a new person in and saves their real-name profile over the API; returns the token."""
    token = await sign_in(page, server, phone)
    profile = {"name": name, "idNumber": id_number(date(1950, 3, 8), seq=seq), "address": "翠屏街道新桥村3组1号",
               "regionCode": XINQIAO}
    saved = server.gql(PROFILE_SAVE, {"p": profile}, token)["profileSave"]
    assert saved["__typename"] == "ApplicantSuccess", saved
    return token


async def test_an_applicant_withdraws_an_application_before_it_is_accepted(page: Page, server: Server):
    token = await citizen(page, server, "13900000071", "王秀英", seq=2)
    case = submit_case(server, token, "linshi", {"emergencyType": "fire", "isUrgent": False, "reason": "家中失火，急需生活用品"})

    await page.goto(f"/cases/{case['id']}")
    panel = page.get_by_test_id("withdraw")
    await expect(panel).to_be_visible()
    await panel.get_by_role("button").first.click()
    await page.get_by_test_id("withdraw-confirm").click()

    await expect(page.get_by_test_id("withdraw")).to_have_count(0)
    await expect(page.get_by_text("已撤回").first).to_be_visible()
    stored = server.gql(CASE_STATUS, {"id": case["id"]}, token)["case"]
    assert (stored["status"], [e["action"] for e in stored["events"]][-1]) == ("WITHDRAWN", "withdraw")
    await screenshot(page, "case-withdrawn", "standard")


async def test_an_applicant_corrects_the_address_and_it_is_kept(page: Page, server: Server):
    token = await citizen(page, server, "13900000072", "李桂芳", seq=4)
    await page.goto("/profile")
    await page.get_by_role("button", name="修改实名信息").click()
    address = page.locator("#profile-address")
    await address.fill("翠屏街道新桥村5组12号")
    await page.get_by_role("button", name="保存", exact=True).click()
    await expect(page.get_by_text("已保存").first).to_be_visible()

    await page.reload()
    await expect(page.get_by_text("翠屏街道新桥村5组12号")).to_be_visible()
    assert server.gql(ME_ADDRESS, token=token)["me"]["applicant"]["address"] == "翠屏街道新桥村5组12号"


async def test_a_new_version_waits_for_the_person_and_what_they_typed_stays(browser: Browser, tmp_path: Path):
    # its own server, serving a copy of the built app that the test can "deploy" a new version into
    dist = tmp_path / "dist"
    shutil.copytree(DIST, dist)
    with running_api(PWA_DIST=str(dist)) as own:
        context = await browser.new_context(base_url=own.url, viewport=VIEWPORT, locale="zh-CN",
                                            timezone_id="Asia/Shanghai", service_workers="allow")
        try:
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto("/signin")
            await wait_for_service_worker(page)
            old_assets = set(await page.evaluate("caches.keys().then(ks => Promise.all(ks.map(k => caches.open(k)"
                                                 ".then(c => c.keys())))).then(rs => rs.flat().map(r => r.url))"))

            # a new release: the service worker changes (workbox compares it byte for byte)
            sw = dist / "sw.js"
            sw.write_text(sw.read_text(encoding="utf-8") + "\n// next release\n", encoding="utf-8")
            for precompressed in dist.glob("sw.js.*"):  # the build writes .br/.gz beside it; this release has none
                precompressed.unlink()
            await page.locator("#phone").fill("1390000")
            await page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")

            prompt = page.get_by_test_id("update-prompt")
            await expect(prompt).to_be_visible(timeout=30_000)
            await asyncio.sleep(1.5)  # nothing reloads by itself: the half-typed phone number is still there
            await expect(page.locator("#phone")).to_have_value("1390000")
            await screenshot(page, "update-prompt", "standard")

            await prompt.get_by_role("button").first.click()  # 立即更新
            await expect(page.get_by_test_id("update-prompt")).to_have_count(0)
            await page.wait_for_function("navigator.serviceWorker.controller !== null")
            registration = await page.evaluate("navigator.serviceWorker.getRegistration().then(r => "
                                               "({waiting: !!r.waiting, active: r.active && r.active.state}))")
            assert (registration, errors, bool(old_assets)) == ({"waiting": False, "active": "activated"}, [], True)
        finally:
            await context.close()
