"""An 80-year-old applies for 高龄津贴 on her phone with a photo and watches the provincial decision
arrive on the case page without reloading."""

from __future__ import annotations

import re
from datetime import date

from playwright.async_api import Page, expect

from tests.e2e.support import (
    CUIPING,
    XINQIAO,
    Server,
    id_number,
    photo_bytes,
    screenshot,
    sign_in,
    wrong_check_character,
)

PHONE = "13900000080"
NAME = "张桂兰"
ID_NUMBER = id_number(date(1940, 6, 15), seq=2)  # a woman born 1940


async def test_applicant_applies_for_gaoling_with_a_photo_and_sees_the_provincial_decision_live(page: Page, server: Server):
    await sign_in(page, server, PHONE)

    await page.locator('[data-code="gaoling"]').click()
    await expect(page.get_by_role("heading", name="高龄津贴")).to_be_visible()
    await page.get_by_test_id("apply").click()

    # identity: a wrong check character is named as such; the right number gives birth date, sex and age
    await expect(page.get_by_test_id("step-title")).to_have_text("您的身份信息")
    await page.locator("#profile-name input, input#profile-name").first.fill(NAME)
    id_input = page.locator("#profile-id-number")
    await id_input.fill(wrong_check_character(ID_NUMBER))
    await expect(page.get_by_text("身份证号码最后一位（校验码）不对，请逐位核对")).to_be_visible()
    await id_input.fill(ID_NUMBER)
    await expect(page.get_by_test_id("derived")).to_contain_text("1940年6月15日出生，女")
    await expect(page.get_by_test_id("age-check")).to_contain_text("可以申请高龄津贴")
    await page.locator("#profile-address").fill("翠屏街道新桥村5组8号")
    await page.locator("#profile-township").select_option(CUIPING)
    await page.locator("#profile-village").select_option(XINQIAO)
    await page.get_by_test_id("next").click()

    # the item's own form, rendered from its schema
    await expect(page.get_by_test_id("step-title")).to_have_text("申请信息")
    await page.get_by_role("radio", name="独自居住").click()
    await page.get_by_test_id("next").click()

    # materials: photos are compressed on the phone and uploaded with progress
    await expect(page.get_by_test_id("step-title")).to_have_text("上传材料")
    big = photo_bytes()
    await page.get_by_test_id("album-id_card").set_input_files(
        files=[{"name": "id-card.jpg", "mimeType": "image/jpeg", "buffer": big}])
    await page.get_by_test_id("album-bank_card").set_input_files(
        files=[{"name": "bank-card.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes(seed=7)}])
    await expect(page.locator('[data-kind="id_card"] .file[data-state="uploaded"]')).to_have_count(1, timeout=20_000)
    await expect(page.locator('[data-kind="bank_card"] .file[data-state="uploaded"]')).to_have_count(1, timeout=20_000)
    await page.get_by_test_id("next").click()

    # review, consent, submit
    await expect(page.get_by_test_id("step-title")).to_have_text("核对并提交")
    await page.get_by_test_id("submit").click()
    await expect(page.get_by_text("请先勾选同意，才能提交").first).to_be_visible()
    await page.get_by_test_id("consent").click()
    await page.get_by_test_id("submit").click()

    # confirmation: the case number and the expected steps with dates
    number = page.get_by_test_id("case-number")
    await expect(number).to_have_text(re.compile(r"^DC\d{4}-\d{6}$"), timeout=20_000)
    await expect(page.get_by_test_id("planned-steps")).to_contain_text("预计")
    await screenshot(page, "submitted", "standard")
    await page.get_by_test_id("view-case").click()

    await expect(page.get_by_test_id("case-status")).to_have_text("已提交，待受理")
    await expect(page.get_by_test_id("live-indicator")).to_have_attribute("data-state", "live", timeout=15_000)
    case_id = page.url.rsplit("/", 1)[1]
    await page.evaluate("window.__notReloaded = true")

    # the township accepts; the province decides ~2 s later; the page shows each step as it comes
    server.act("caseAccept", case_id)
    await expect(page.locator('[data-action="accept"]')).to_be_visible(timeout=15_000)
    await expect(page.locator('[data-action="province_decide"]')).to_be_visible(timeout=60_000)
    await expect(page.get_by_test_id("case-status")).to_have_text("审批通过", timeout=15_000)
    assert await page.evaluate("window.__notReloaded === true"), "the page was reloaded"
    await expect(page.get_by_test_id("decision")).to_contain_text("每月", timeout=15_000)
    await screenshot(page, "case-decided", "standard")

    # once decided, a 1–5 rating with an optional comment
    rating = page.get_by_test_id("rating")
    await rating.get_by_role("radio").nth(4).click()
    await rating.locator("textarea").fill("在手机上就办好了，很方便")
    await page.get_by_test_id("rate-submit").click()
    await expect(rating).to_contain_text("感谢您的评价")

    # the server agrees: one case, decided by the province
    token = await page.evaluate("JSON.parse(localStorage.getItem('dachuan.session')).token")
    cases = server.gql("{ cases { edges { node { id status events { action } satisfaction { rating comment } } } } }",
                       token=token)["cases"]["edges"]
    assert [c["node"]["status"] for c in cases] == ["APPROVED"]
    assert cases[0]["node"]["satisfaction"] == {"rating": 5, "comment": "在手机上就办好了，很方便"}
    assert "province_decide" in [e["action"] for e in cases[0]["node"]["events"]]
