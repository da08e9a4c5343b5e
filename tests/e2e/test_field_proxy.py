"""帮办代办 on the staff side: a village worker registers an 85-year-old with no phone (and his wife as a
household member), applies for 高龄津贴 on his behalf with a signature drawn on the screen, and follows the
case in 我代办的 as the township accepts it and the province decides — without reloading."""

from __future__ import annotations

import time
from datetime import date

from playwright.async_api import BrowserContext, Page, expect

from tests.e2e.support import (
    CUIPING,
    VILLAGE_WORKER,
    XINQIAO,
    Server,
    eventually,
    id_number,
    photo_bytes,
    screenshot,
    staff_session,
)

NAME = "赵德明"
ID_NUMBER = id_number(date(1941, 2, 10), seq=3)  # a man, 85 in 2026
WIFE_ID = id_number(date(1943, 7, 1), seq=4)
DRAFT_STEP = """async (key) => {
    const db = await new Promise((ok, fail) => { const r = indexedDB.open('dachuan-aid'); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error) });
    const found = await new Promise((ok) => { const r = db.transaction('drafts').objectStore('drafts').getAll(); r.onsuccess = () => ok(r.result) });
    db.close(); const d = found.find((d) => d.itemCode === key); return d ? d.step : null }"""
BLANK = """(c) => { const e = document.createElement('canvas'); e.width = c.width; e.height = c.height;
    return c.toDataURL() === e.toDataURL() }"""



async def draw_signature(page: Page, context: BrowserContext) -> None:
    """Draws a stroke on the signature pad with touch events, as a finger would."""
    canvas = page.locator(".van-signature canvas")
    await expect(canvas).to_be_visible()
    box = await canvas.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100, box
    cdp = await context.new_cdp_session(page)
    x0, y0 = box["x"] + 30, box["y"] + box["height"] / 2
    await cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y0}]})
    for i in range(1, 25):
        x = x0 + i * 10
        y = y0 + (25 if i % 4 < 2 else -25)
        await cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    await cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    await cdp.detach()


async def test_a_village_worker_applies_for_gaoling_on_behalf_of_an_elderly_man_without_a_phone(
        page: Page, context: BrowserContext, server: Server):
    token = await staff_session(page, server, VILLAGE_WORKER, "village_worker")
    await page.goto("/staff/proxy/new")

    # nobody by that name yet in the village: register him, with no phone, and his wife
    await page.get_by_test_id("applicant-search").locator("input").fill(NAME)
    await expect(page.get_by_text("本辖区没有找到此人")).to_be_visible()
    await screenshot(page, "field-proxy-find", "standard")
    await page.get_by_test_id("register-new").click()
    await expect(page.locator("#profile-name")).to_have_value(NAME)
    await page.locator("#profile-id-number").fill(ID_NUMBER)
    await expect(page.get_by_test_id("derived")).to_contain_text("1941年2月10日出生，男")
    await page.locator("#profile-address").fill("翠屏街道新桥村7组2号")
    await page.locator("#profile-township").select_option(CUIPING)
    await page.locator("#profile-village").select_option(XINQIAO)
    await page.get_by_role("button", name="添加一位家庭成员").click()
    await page.locator("#member-0-name").fill("钱秀兰")
    await page.locator("#member-0-relation").select_option("配偶")
    await page.locator("#member-0-id-number").fill(WIFE_ID)
    await screenshot(page, "field-proxy-register", "standard")
    await page.get_by_test_id("register-save").click()

    chosen = page.get_by_test_id("chosen-applicant")
    await expect(chosen).to_contain_text(NAME)
    await expect(chosen).to_contain_text("85岁")
    await expect(chosen).to_contain_text("无手机")
    await expect(chosen).to_contain_text("家庭成员1人")
    await chosen.locator('[data-code="gaoling"]').click()

    # the citizens' wizard steps, for him
    await expect(page.get_by_test_id("for-whom")).to_contain_text(NAME)
    await expect(page.get_by_test_id("step-title")).to_have_text("申请信息")
    await page.get_by_role("radio", name="独自居住").click()
    await page.get_by_test_id("next").click()
    await expect(page.get_by_test_id("step-title")).to_have_text("上传材料")
    await page.get_by_test_id("album-id_card").set_input_files(
        files=[{"name": "id-card.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes(seed=3)}])
    await page.get_by_test_id("album-bank_card").set_input_files(
        files=[{"name": "bank-card.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes(seed=5)}])
    await expect(page.locator('[data-kind="id_card"] .file[data-state="uploaded"]')).to_have_count(1, timeout=20_000)
    await expect(page.locator('[data-kind="bank_card"] .file[data-state="uploaded"]')).to_have_count(1, timeout=20_000)
    await page.get_by_test_id("next").click()

    # consent: nothing signed yet is refused; then he signs on the screen
    await expect(page.get_by_test_id("step-title")).to_have_text("申请人同意")
    await page.get_by_test_id("next").click()
    await expect(page.get_by_test_id("page-error")).to_contain_text("请取得申请人同意")
    # on a desktop a mouse draws too (Vant's pad follows touch only; the page passes the mouse through)
    canvas = page.locator(".van-signature canvas")
    box = await canvas.bounding_box()
    assert box
    await page.mouse.move(box["x"] + 40, box["y"] + 40)
    await page.mouse.down()
    await page.mouse.move(box["x"] + 200, box["y"] + 120, steps=8)
    await page.mouse.up()
    assert not await canvas.evaluate(BLANK), "the mouse drew nothing"
    await page.get_by_role("button", name="重写").click()
    assert await canvas.evaluate(BLANK)
    await draw_signature(page, context)
    assert not await canvas.evaluate(BLANK), "the finger drew nothing"
    await screenshot(page, "field-proxy-signature", "standard")
    await page.get_by_role("button", name="确认签名").click()
    await expect(page.get_by_test_id("consent-kept")).to_have_attribute("data-state", "uploaded", timeout=20_000)
    await page.get_by_test_id("next").click()

    await expect(page.get_by_test_id("step-title")).to_have_text("核对并提交")
    await page.get_by_test_id("submit").click()
    await expect(page.get_by_test_id("page-error")).to_contain_text("请先勾选确认")
    await page.get_by_test_id("consent").click()
    await page.get_by_test_id("submit").click()

    # 我代办的: the new case, followed live
    await expect(page.get_by_test_id("created")).to_contain_text("已代为提交", timeout=20_000)
    row = page.get_by_test_id("proxy-cases").locator("li").filter(has_text=NAME)
    await expect(row).to_have_count(1)
    await expect(row.get_by_test_id("proxy-status")).to_have_text("已提交，待受理")
    await expect(page.get_by_test_id("proxy-live")).to_have_attribute("data-live", "true", timeout=15_000)
    number = await row.get_attribute("data-number")
    await screenshot(page, "field-proxy-list", "standard")

    # the server agrees: a proxy case for him, with the signature as a consent material, and he has no phone
    data = server.gql("query($q: String) { applicants(query: $q) { id name phone claimed members { relation } } "
                      "cases(filter: {proxyByMe: true}) { edges { node { id number channel status proxyByName "
                      "applicant { name } materials { kind contentType } } } } }", {"q": NAME}, token)
    assert [(a["name"], a["phone"], a["claimed"]) for a in data["applicants"]] == [(NAME, None, False)]
    assert [m["relation"] for m in data["applicants"][0]["members"]] == ["配偶"]
    cases = [e["node"] for e in data["cases"]["edges"] if e["node"]["number"] == number]
    assert len(cases) == 1, data
    case = cases[0]
    assert case["channel"] == "PROXY" and case["status"] == "SUBMITTED" and case["applicant"]["name"] == NAME
    assert sorted(m["kind"] for m in case["materials"]) == ["bank_card", "id_card", "proxy_consent"]
    assert {m["contentType"] for m in case["materials"] if m["kind"] == "proxy_consent"} == {"image/png"}

    # the township accepts; the province decides; the list shows each step without a reload
    await page.evaluate("window.__notReloaded = true")
    server.act("caseAccept", case["id"])
    await expect(row.get_by_test_id("proxy-status")).not_to_have_text("已提交，待受理", timeout=15_000)
    await expect(row.get_by_test_id("proxy-status")).to_have_text("审批通过", timeout=60_000)
    assert await page.evaluate("window.__notReloaded === true"), "the page was reloaded"

    # the same list on a desktop
    await page.set_viewport_size({"width": 1366, "height": 768})
    await screenshot(page, "field-proxy-list", "desktop")

    # the draft is gone from the phone once submitted
    drafts = await page.evaluate("""async () => {
        const db = await new Promise((ok, fail) => { const r = indexedDB.open('dachuan-aid'); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error) });
        const all = await new Promise((ok) => { const r = db.transaction('drafts').objectStore('drafts').getAll(); r.onsuccess = () => ok(r.result) });
        db.close(); return all.map((d) => d.itemCode) }""")
    assert drafts == [], drafts


async def test_the_proxy_pages_are_for_village_and_township_staff_only(page: Page, server: Server):
    await staff_session(page, server, "caiwu", "finance")
    await page.goto("/staff/proxy/new")
    await page.wait_for_url(lambda url: "/staff/proxy" not in url, timeout=10_000)
    # and the API refuses a proxy application from finance, with a message
    token = server.staff_token("caiwu")
    d = server.gql("mutation($i: CaseSubmitInput!) { caseSubmit(input: $i) { __typename ... on Error { code message } } }",
                   {"i": {"itemCode": "gaoling", "submissionKey": f"k{int(time.time() * 1000)}x", "applicantId": "1"}},
                   token)["caseSubmit"]
    assert d["__typename"] == "NotAllowedError" and d["message"], d


async def test_the_proxy_wizard_steps_back_and_forth_keeps_its_draft_and_clears_it_only_when_confirmed(
        page: Page, server: Server):
    token = await staff_session(page, server, VILLAGE_WORKER, "village_worker")
    registered = server.gql(
        "mutation($i: ProfileInput!) { applicantRegister(input: $i) { __typename "
        "... on ApplicantSuccess { applicant { id } } ... on Error { code message } } }",
        {"i": {"name": "孙永福", "idNumber": id_number(date(1939, 5, 5), seq=57), "address": "翠屏街道新桥村5组",
               "regionCode": XINQIAO}}, token)["applicantRegister"]
    assert registered["__typename"] == "ApplicantSuccess", registered
    applicant = registered["applicant"]["id"]
    wizard = f"/staff/proxy/apply/{applicant}/gaoling"
    alone = page.get_by_role("radio", name="独自居住")

    await page.goto(wizard)
    await expect(page.get_by_test_id("step-title")).to_have_text("申请信息")
    await expect(page.get_by_test_id("previous")).to_have_count(0)
    await alone.click()
    await page.get_by_test_id("next").click()
    await expect(page.get_by_test_id("step-title")).to_have_text("上传材料")
    await page.get_by_test_id("previous").click()
    await expect(page.get_by_test_id("step-title")).to_have_text("申请信息")
    await expect(alone).to_have_attribute("aria-checked", "true")

    # the draft, with its step, is kept on the phone: a reload comes back to it
    await page.get_by_test_id("next").click()

    async def stored_at_materials() -> bool:
        return await page.evaluate(DRAFT_STEP, f"proxy-{applicant}-gaoling") == "materials"

    await eventually(stored_at_materials)
    await page.reload()
    await expect(page.get_by_test_id("step-title")).to_have_text("上传材料")
    await page.get_by_test_id("previous").click()
    await expect(alone).to_have_attribute("aria-checked", "true")

    # clearing asks first; cancelling keeps everything
    await page.get_by_test_id("discard").click()
    await expect(page.get_by_text("确定清空这份草稿吗？清空后不能恢复。")).to_be_visible()
    await page.get_by_test_id("discard-no").click()
    await expect(page.get_by_test_id("discard-yes")).to_have_count(0)
    await expect(alone).to_have_attribute("aria-checked", "true")
    # confirmed, the draft is gone and the worker is back at the applicant
    await page.get_by_test_id("discard").click()
    await page.get_by_test_id("discard-yes").click()
    await page.wait_for_url(f"**/staff/proxy/new?applicant={applicant}")
    assert await page.evaluate(DRAFT_STEP, f"proxy-{applicant}-gaoling") is None
    await page.goto(wizard)
    await expect(page.get_by_test_id("step-title")).to_have_text("申请信息")
    await expect(alone).to_have_attribute("aria-checked", "false")
