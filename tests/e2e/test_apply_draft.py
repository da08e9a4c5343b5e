"""The citizens' wizard keeps its draft on the phone, and clears it only when the applicant confirms."""

from __future__ import annotations

import asyncio
import re
from datetime import date

from playwright.async_api import Page, Route, expect

from tests.e2e.support import CUIPING, XINQIAO, Server, eventually, id_number, photo_bytes, sign_in

PHONE = "13900000188"
NAME = "邓桂兰"

DRAFT = """async (code) => {
    const db = await new Promise((ok, fail) => { const r = indexedDB.open('dachuan-aid'); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error) });
    const d = await new Promise((ok, fail) => { const r = db.transaction('drafts').objectStore('drafts').get(code); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error) });
    db.close(); return d ? { step: d.step, name: d.profile ? d.profile.name : null } : null }"""


async def test_the_citizens_wizard_keeps_its_draft_and_clears_it_only_when_confirmed(page: Page, server: Server):
    await sign_in(page, server, PHONE)
    await page.goto("/apply/dibao")
    await expect(page.get_by_test_id("step-title")).to_have_text("您的身份信息")
    await expect(page.get_by_test_id("previous")).to_have_count(0)
    await page.locator("#profile-name").fill(NAME)

    async def saved() -> bool:
        draft = await page.evaluate(DRAFT, "dibao")
        return bool(draft) and draft["name"] == NAME

    await eventually(saved)
    await page.reload()
    await expect(page.locator("#profile-name")).to_have_value(NAME)

    # clearing asks first; cancelling keeps everything
    await page.get_by_test_id("discard").click()
    await expect(page.get_by_text("确定清空这份草稿吗？清空后不能恢复。")).to_be_visible()
    await page.get_by_test_id("discard-no").click()
    await expect(page.get_by_test_id("discard-yes")).to_have_count(0)
    await expect(page.locator("#profile-name")).to_have_value(NAME)
    assert (await page.evaluate(DRAFT, "dibao"))["name"] == NAME

    # confirmed, the draft is gone and the applicant is back at the item
    await page.get_by_test_id("discard").click()
    await page.get_by_test_id("discard-yes").click()
    await page.wait_for_url("**/items/dibao")

    async def cleared() -> bool:
        draft = await page.evaluate(DRAFT, "dibao")
        return draft is None or draft["name"] != NAME

    await eventually(cleared)
    await page.goto("/apply/dibao")
    await expect(page.get_by_test_id("step-title")).to_have_text("您的身份信息")
    await expect(page.locator("#profile-name")).not_to_have_value(NAME)


async def test_a_correction_typed_while_the_profile_is_being_saved_reaches_the_server(page: Page, server: Server):
    token = await sign_in(page, server, "13900000189")
    held, release = asyncio.Event(), asyncio.Event()

    async def slow_profile_save(route: Route) -> None:
        if "ProfileSave" in (route.request.post_data or ""):
            held.set()
            await release.wait()
        await route.continue_()

    await page.route("**/graphql", slow_profile_save)
    await page.goto("/apply/gaoling")
    await expect(page.get_by_test_id("step-title")).to_have_text("您的身份信息")
    await page.locator("#profile-name").fill("蒋秀英")
    await page.locator("#profile-id-number").fill(id_number(date(1942, 11, 3), seq=6))
    await page.locator("#profile-address").fill("翠屏街道新桥村2组")
    await page.locator("#profile-township").select_option(CUIPING)
    await page.locator("#profile-village").select_option(XINQIAO)
    await page.get_by_test_id("next").click()

    # a weak signal: while 下一步 still spins, she adds the house number she forgot
    await asyncio.wait_for(held.wait(), timeout=15)
    await page.locator("#profile-address").fill("翠屏街道新桥村2组16号")
    release.set()

    await expect(page.get_by_test_id("step-title")).to_have_text("申请信息")
    await page.get_by_role("radio", name="独自居住").click()
    await page.get_by_test_id("next").click()
    await expect(page.get_by_test_id("step-title")).to_have_text("上传材料")
    await page.get_by_test_id("album-id_card").set_input_files(
        files=[{"name": "id-card.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes(seed=3)}])
    await page.get_by_test_id("album-bank_card").set_input_files(
        files=[{"name": "bank-card.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes(seed=4)}])
    await expect(page.locator(".file")).to_have_count(2, timeout=20_000)
    await page.get_by_test_id("next").click()
    await expect(page.get_by_test_id("step-title")).to_have_text("核对并提交")
    await expect(page.get_by_text("翠屏街道新桥村2组16号")).to_be_visible()
    await page.get_by_test_id("consent").click()
    await page.get_by_test_id("submit").click()
    await expect(page.get_by_test_id("case-number")).to_have_text(re.compile(r"^DC\d{4}-\d{6}$"), timeout=30_000)

    # the case is filed with the address she saw on the review screen
    me = server.gql("{ me { applicant { address } } }", token=token)["me"]
    assert me["applicant"]["address"] == "翠屏街道新桥村2组16号"
