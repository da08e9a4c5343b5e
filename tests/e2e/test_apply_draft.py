"""The citizens' wizard keeps its draft on the phone, and clears it only when the applicant confirms."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.e2e.support import Server, eventually, sign_in

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
