"""长辈版 on the application wizard meets the MIIT elder-friendly numbers: body text at least 18 px
(ours 20), headings larger, line height at least 1.3, contrast at least 4.5:1, tap targets at least
60×60, nothing popping up over the task; the choice is remembered; the case status can be read aloud."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.e2e.support import DEMO_PHONE, MEASURE_JS, Server, photo_bytes, sign_in, submit_case

SPEECH_STUB = """
window.__spoken = []
Object.defineProperty(window, 'speechSynthesis', { value: {
  speak: (u) => { window.__spoken.push({ text: u.text, lang: u.lang }); setTimeout(() => u.onend && u.onend(), 10) },
  cancel: () => {}, getVoices: () => [], speaking: false,
} })
"""


async def assert_elder_friendly(page: Page, where: str) -> None:
    m = await page.evaluate(MEASURE_JS)
    assert m["body"] == 20, f"{where}: body text is {m['body']}px"
    small = [t for t in m["texts"] if t["size"] < 18]
    assert small == [], f"{where}: text under 18px: {small}"
    tight = [t for t in m["texts"] if t["lineHeight"] < 1.3 * t["size"] - 0.5]
    assert tight == [], f"{where}: line height under 1.3: {tight}"
    faint = [t for t in m["texts"] if t["contrast"] < 4.5]
    assert faint == [], f"{where}: contrast under 4.5:1: {faint}"
    tiny = [t for t in m["targets"] if t["width"] < 60 or t["height"] < 60]
    assert tiny == [], f"{where}: tap targets under 60×60: {tiny}"
    assert m["headings"] and all(h["size"] > m["body"] for h in m["headings"]), f"{where}: headings {m['headings']}"
    assert m["overlays"] == 0, f"{where}: something pops up over the task"
    assert len(m["texts"]) > 5 and len(m["targets"]) > 2, f"{where}: measured too little: {m}"


async def test_elder_mode_on_the_wizard_meets_the_elder_friendly_numbers(page: Page, server: Server):
    await page.add_init_script(SPEECH_STUB)
    token = await sign_in(page, server, DEMO_PHONE)
    case = submit_case(server, token, "shouzai", {"disasterType": "flood", "occurredOn": "2026-07-02",
                                                  "houseDamage": "severe", "reason": "暴雨冲垮了厨房和猪圈"})
    await page.goto("/")
    switch = page.get_by_test_id("elder-switch")
    await expect(switch).to_have_attribute("aria-checked", "false")
    await switch.click()
    await expect(switch).to_have_attribute("aria-checked", "true")
    await page.reload()
    await expect(page.locator("html")).to_have_class("elder")  # remembered
    await assert_elder_friendly(page, "home")

    await page.goto("/apply/yiliao")
    await expect(page.get_by_test_id("step-title")).to_have_text("您的身份信息")
    await assert_elder_friendly(page, "identity")
    await page.get_by_test_id("next").click()
    await expect(page.get_by_test_id("step-title")).to_have_text("家庭成员")
    await page.get_by_test_id("next").click()
    await expect(page.get_by_test_id("step-title")).to_have_text("申请信息")
    await page.get_by_test_id("next").click()  # with the messages next to the empty fields
    await expect(page.get_by_text("请填写“就诊医院”")).to_be_visible()
    await assert_elder_friendly(page, "form with errors")
    await page.locator("#item-field-hospital").fill("达州市中心医院")
    await page.locator("#item-field-totalCost").fill("8600")
    await page.locator("#item-field-selfPaid").fill("3200")
    await page.get_by_test_id("next").click()
    await expect(page.get_by_test_id("step-title")).to_have_text("上传材料")
    await page.get_by_test_id("album-id_card").set_input_files(
        files=[{"name": "id.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes(seed=11)}])
    await expect(page.locator('[data-kind="id_card"] .file[data-state="uploaded"]')).to_have_count(1, timeout=20_000)
    await assert_elder_friendly(page, "materials")
    await page.goto("/apply/yiliao?step=review")
    await expect(page.get_by_test_id("step-title")).to_have_text("核对并提交")
    await assert_elder_friendly(page, "review")

    await page.goto("/apply/dibao?step=household")
    await expect(page.get_by_test_id("step-title")).to_have_text("家庭成员")
    await page.get_by_role("button", name="添加一位家庭成员").click()
    await page.locator("#member-0-id-number").fill("51170319650101")
    await assert_elder_friendly(page, "household")

    # the case status, read aloud in Chinese
    await page.goto(f"/cases/{case['id']}")
    await expect(page.get_by_test_id("case-status")).to_be_visible()
    await assert_elder_friendly(page, "case")
    await page.get_by_test_id("read-aloud").click()
    spoken = await page.evaluate("window.__spoken")
    assert spoken and spoken[0]["lang"] == "zh-CN" and "申请编号" in spoken[0]["text"], spoken
