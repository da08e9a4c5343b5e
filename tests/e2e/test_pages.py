"""Every page in both modes, as the demo applicant sees it: screenshots at 390×844 under
var/screenshots/pwa/, and no page wider than the phone."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.e2e.support import DEMO_PHONE, Server, photo_bytes, screenshot, set_elder, sign_in

# each mode applies for a different item, so neither finds the other's case open
SUBMIT_ITEM = {"standard": "linshi", "elder": "jiuye"}


async def no_horizontal_overflow(page: Page) -> None:
    width = await page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width}px wide on a 390px screen"


async def shot(page: Page, name: str, mode: str) -> None:
    await no_horizontal_overflow(page)
    await screenshot(page, name, mode)


@pytest.mark.parametrize("mode", ["standard", "elder"])
async def test_every_page_in_both_modes(page: Page, server: Server, mode: str):
    await page.goto("/")
    await set_elder(page, mode == "elder")
    await page.reload()
    await expect(page.locator("html")).to_have_class("elder" if mode == "elder" else "")
    await shot(page, "home-signed-out", mode)

    await page.goto("/signin")
    await page.locator("#phone").fill(DEMO_PHONE)
    await shot(page, "signin", mode)
    await sign_in(page, server, DEMO_PHONE)
    await expect(page.get_by_text("您好，李秀英")).to_be_visible()
    await shot(page, "home", mode)

    await page.goto("/items/dibao")
    await expect(page.get_by_role("heading", name="最低生活保障")).to_be_visible()
    await shot(page, "item", mode)

    # the wizard for 低保, which asks for household members
    await page.get_by_test_id("apply").click()
    await expect(page.locator("#profile-id-number")).not_to_have_value("")
    await shot(page, "apply-identity", mode)
    await page.get_by_test_id("next").click()
    await expect(page.get_by_test_id("step-title")).to_have_text("家庭成员")
    await page.get_by_role("button", name="添加一位家庭成员").click()
    await page.locator("#member-0-name").fill("王建国")
    await page.locator("#member-0-relation").select_option("配偶")
    await page.locator("#member-0-id-number").fill("51170319650101001")
    await shot(page, "apply-household", mode)
    await page.get_by_role("button", name="删除").click()
    await page.get_by_test_id("next").click()
    await expect(page.get_by_test_id("step-title")).to_have_text("申请信息")
    await page.get_by_test_id("next").click()  # nothing filled: every required field says so
    await expect(page.get_by_text("请填写“家庭人口数”")).to_be_visible()
    await shot(page, "apply-form", mode)
    await page.locator("#item-field-householdSize").fill("3")
    await page.locator("#item-field-monthlyIncome").fill("1200")
    await page.get_by_role("radio", name="租房").click()
    await page.locator('fieldset:has-text("家里是否有机动车")').get_by_role("radio", name="否").click()
    await page.locator("#item-field-reason").fill("老伴生病，家里收入不够生活")
    await page.get_by_test_id("next").click()
    await expect(page.get_by_test_id("step-title")).to_have_text("上传材料")
    await page.get_by_test_id("album-id_card").set_input_files(
        files=[{"name": "id.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}])
    await page.get_by_test_id("album-hukou").set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a photo"}])
    await expect(page.get_by_text("“notes.txt”不是照片或PDF文件，不能上传")).to_be_visible()
    await expect(page.locator('[data-kind="id_card"] .file[data-state="uploaded"]')).to_have_count(1, timeout=20_000)
    await shot(page, "apply-materials", mode)
    await page.get_by_test_id("next").click()
    await expect(page.get_by_text("请上传：家庭经济状况核对授权书")).to_be_visible()
    await page.goto("/apply/dibao?step=review")
    await expect(page.get_by_test_id("step-title")).to_have_text("核对并提交")
    await shot(page, "apply-review", mode)

    # 高龄津贴 for a 58-year-old: told before going further
    await page.goto("/apply/gaoling")
    await expect(page.get_by_test_id("age-check")).to_contain_text("要年满80周岁才能申请")
    await expect(page.get_by_test_id("next")).to_be_disabled()
    await shot(page, "apply-too-young", mode)

    # a real submission, its confirmation, the list and the case
    item = SUBMIT_ITEM[mode]
    await page.goto(f"/apply/{item}")
    await page.get_by_test_id("next").click()
    await expect(page.get_by_test_id("step-title")).to_have_text("申请信息")
    if item == "linshi":
        await page.get_by_role("radio", name="突发重病").click()
        await page.locator('fieldset:has-text("是否需要马上帮助")').get_by_role("radio", name="否").click()
        await page.locator("#item-field-reason").fill("突发脑梗住院，医药费负担重")
    else:
        await page.get_by_role("radio", name="技能培训").click()
    await page.get_by_test_id("next").click()
    await page.get_by_test_id("album-id_card").set_input_files(
        files=[{"name": "id.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes(seed=3)}])
    await expect(page.locator('[data-kind="id_card"] .file[data-state="uploaded"]')).to_have_count(1, timeout=20_000)
    await page.get_by_test_id("next").click()
    await page.get_by_test_id("consent").click()
    await page.get_by_test_id("submit").click()
    await expect(page.get_by_test_id("case-number")).to_be_visible(timeout=20_000)
    await shot(page, "submitted", mode)

    await page.goto("/cases")
    await expect(page.get_by_test_id("on-phone")).to_contain_text("草稿")  # the 低保 draft is kept
    await expect(page.get_by_test_id("cases").locator("a").first).to_be_visible()
    await shot(page, "cases", mode)

    await page.get_by_test_id("cases").locator("a").first.click()
    await expect(page.get_by_test_id("live-indicator")).to_have_attribute("data-state", "live", timeout=15_000)
    await expect(page.get_by_test_id("withdraw")).to_be_visible()
    await shot(page, "case", mode)

    # returned for supplement: the page shows what was asked, live
    case_id = page.url.rsplit("/", 1)[1]
    server.act("caseReturn", case_id, {"reason": ("String!", "请补交户口簿本人页的照片")})
    await expect(page.get_by_test_id("supplement")).to_contain_text("请补交户口簿本人页的照片", timeout=15_000)
    await shot(page, "case-returned", mode)

    await page.goto("/profile")
    await expect(page.get_by_role("heading", name="实名信息")).to_be_visible()
    await shot(page, "profile", mode)
