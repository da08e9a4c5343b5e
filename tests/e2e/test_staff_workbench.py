"""The staff side in the browser: sign-in with the forced first password change and the lockout, the
work queue with its live badge, and a 低保 case taken from acceptance to approval by each role while a
second browser (a supervisor at a desk) watches every step arrive; a return for supplement that names
the missing materials."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.e2e.support import DESKTOP, MEASURE_JS, STAFF_PASSWORD, XINQIAO, Server, id_number, photo_bytes, screenshot

TENS, UNITS = "春夏秋", "甲乙丙丁戊己庚辛壬癸"
OTHER_VILLAGE = "511703007001"  # a sample village of another township
DIBAO_FORM = {"householdSize": 2, "monthlyIncome": 600, "housingType": "own", "hasVehicle": False,
              "reason": "老伴常年生病，家里只有一点土地收入"}
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def _ok(data: dict, name: str, success: str) -> dict:
    payload = data[name]
    assert payload["__typename"] == success, payload
    return payload


def proxy_case(server: Server, name: str, birth: date, seq: int) -> dict:
    """The 新桥村 worker registers someone, uploads their documents (photos and a PDF) and applies for 低保."""
    token = server.staff_token("cun-xinqiao")
    number = id_number(birth, seq)
    applicant = _ok(server.gql(
        "mutation($i: ProfileInput!) { applicantRegister(input: $i) { __typename "
        "... on ApplicantSuccess { applicant { id } } ... on Error { code message } } }",
        {"i": {"name": name, "idNumber": number, "address": "翠屏街道新桥村2组7号", "regionCode": XINQIAO}},
        token), "applicantRegister", "ApplicantSuccess")["applicant"]
    _ok(server.gql(
        "mutation($a: ID!, $m: [HouseholdMemberInput!]!) { householdSet(applicantId: $a, members: $m) { __typename "
        "... on Error { code message } } }",
        {"a": applicant["id"], "m": [{"name": "陈玉芬", "relation": "配偶", "idNumber": id_number(date(1962, 4, 2), 24),
                                      "monthlyIncome": "0", "health": "慢性病"}]}, token), "householdSet", "ApplicantSuccess")
    ids = []
    for kind, (filename, body, mime) in {"id_card": ("id.jpg", photo_bytes(900, 600, seed=3), "image/jpeg"),
                                         "hukou": ("hukou.jpg", photo_bytes(700, 900, seed=9), "image/jpeg"),
                                         "authorization": ("authorization.pdf", PDF, "application/pdf"),
                                         "proxy_consent": ("consent.jpg", photo_bytes(600, 400, seed=4), "image/jpeg"),
                                         }.items():
        r = httpx.post(f"{server.url}/api/materials", headers={"Authorization": f"Bearer {token}"},
                       data={"kind": kind, "applicantId": applicant["id"]}, files={"file": (filename, body, mime)},
                       timeout=30)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    case = _ok(server.gql(
        "mutation($i: CaseSubmitInput!) { caseSubmit(input: $i) { __typename "
        "... on CaseSuccess { case { id number status channel } } ... on Error { code message } } }",
        {"i": {"itemCode": "dibao", "submissionKey": uuid.uuid4().hex, "form": DIBAO_FORM, "materialIds": ids,
               "applicantId": applicant["id"]}}, token), "caseSubmit", "CaseSuccess")["case"]
    assert case["channel"] == "PROXY"
    return case


def jiuye_case(server: Server, token: str, name: str, seq: int) -> dict:
    """A quick application on someone's behalf: 就业救助 asks for one document and one answer."""
    applicant = _ok(server.gql(
        "mutation($i: ProfileInput!) { applicantRegister(input: $i) { __typename "
        "... on ApplicantSuccess { applicant { id } } ... on Error { code message } } }",
        {"i": {"name": name, "idNumber": id_number(date(1980, 1, 1) + timedelta(days=seq), 100 + 2 * seq),
               "address": "翠屏街道新桥村4组", "regionCode": XINQIAO}}, token), "applicantRegister", "ApplicantSuccess")
    ids = []
    for kind in ("id_card", "proxy_consent"):  # the document, and the person's signed consent
        r = httpx.post(f"{server.url}/api/materials", headers={"Authorization": f"Bearer {token}"},
                       data={"kind": kind, "applicantId": applicant["applicant"]["id"]},
                       files={"file": (f"{kind}.jpg", photo_bytes(300, 200, seed=seq), "image/jpeg")}, timeout=30)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return _ok(server.gql(
        "mutation($i: CaseSubmitInput!) { caseSubmit(input: $i) { __typename "
        "... on CaseSuccess { case { id number } } ... on Error { code message } } }",
        {"i": {"itemCode": "jiuye", "submissionKey": uuid.uuid4().hex, "form": {"helpWanted": "training"},
               "materialIds": ids, "applicantId": applicant["applicant"]["id"]}}, token),
        "caseSubmit", "CaseSuccess")["case"]


def new_account(server: Server, username: str, region: str = XINQIAO) -> str:
    """The administrator allocates a village worker's account; returns its initial password."""
    created = _ok(server.gql(
        "mutation($i: StaffCreateInput!) { staffCreate(input: $i) { __typename "
        "... on StaffCreateSuccess { credentials { initialPassword account { mustChangePassword } } } "
        "... on Error { code message } } }",
        {"i": {"username": username, "displayName": "村协理员（测试）", "role": "village_worker", "regionCode": region}},
        server.staff_token("admin")), "staffCreate", "StaffCreateSuccess")["credentials"][0]
    assert created["account"]["mustChangePassword"] is True
    return created["initialPassword"]


async def assert_readable(page: Page) -> None:
    """Every visible text at least 14 px with a line height of 1.3 and 4.5:1 contrast; every control 44×44."""
    m = await page.evaluate(MEASURE_JS)
    assert m["texts"] and m["targets"]
    assert [t for t in m["texts"] if t["size"] < 14] == []
    assert [t for t in m["texts"] if t["lineHeight"] < 1.3 * t["size"] - 0.5] == []
    assert [t for t in m["texts"] if t["contrast"] < 4.5] == []
    assert [t for t in m["targets"] if t["width"] < 44 or t["height"] < 44] == []


async def staff_sign_in(page: Page, username: str, password: str = STAFF_PASSWORD) -> None:
    await page.goto("/staff/signin")
    await page.get_by_test_id("staff-account").fill(username)
    await page.get_by_test_id("staff-password").fill(password)
    await page.get_by_test_id("staff-sign-in").click()
    await page.wait_for_url(lambda url: "/staff/signin" not in url)


async def switch_to(page: Page, username: str) -> None:
    await page.get_by_test_id("sign-out").click()
    await page.wait_for_url("**/staff/signin")
    await staff_sign_in(page, username)


async def take(page: Page, action: str) -> None:
    """Opens an action's form (inputs are filled by the caller), sends it and confirms."""
    await page.get_by_test_id("action-submit").click()
    await expect(page.get_by_test_id("confirm-summary")).to_be_visible()
    await page.locator(".van-dialog__confirm").click()
    await expect(page.get_by_test_id("case-fresh")).to_contain_text("已办理", timeout=15_000)


@pytest.fixture
async def desk(browser: Browser, server: Server) -> AsyncIterator[Page]:
    """A second browser: a desktop screen, with the same checks as the phone's page."""
    ctx: BrowserContext = await browser.new_context(base_url=server.url, viewport=DESKTOP, device_scale_factor=1,
                                                    locale="zh-CN", timezone_id="Asia/Shanghai")
    p = await ctx.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    yield p
    await ctx.close()
    assert errors == [], f"uncaught errors in the desktop page: {errors}"


async def test_first_sign_in_forces_a_new_password_and_wrong_passwords_lock_the_account(page: Page, server: Server):
    initial = new_account(server, "cun-xinqiao-2")

    # the citizens' sign-in page leads staff to theirs
    await page.goto("/signin")
    await page.get_by_test_id("staff-signin-link").click()
    await page.wait_for_url("**/staff/signin")
    await page.get_by_test_id("staff-sign-in").click()
    await expect(page.get_by_text("请输入账号")).to_be_visible()
    await screenshot(page, "staff-signin", "phone")

    # a wrong password says how many tries are left
    await page.get_by_test_id("staff-account").fill("cun-xinqiao-2")
    await page.get_by_test_id("staff-password").fill("wrong-password-1")
    await page.get_by_test_id("staff-sign-in").click()
    await expect(page.get_by_test_id("signin-error")).to_have_text("用户名或密码不正确，再错4次账号将被锁定")

    # the initial password works once, and only to change it
    await page.get_by_test_id("staff-password").fill(initial)
    await page.get_by_test_id("staff-sign-in").click()
    await page.wait_for_url("**/staff/password**")
    await expect(page.get_by_test_id("password-forced")).to_contain_text("第一次登录")
    await page.goto("/staff/queue")  # nothing else opens before the change
    await page.wait_for_url("**/staff/password**")
    await screenshot(page, "staff-password", "phone")

    await page.locator("#old-password").fill(initial)
    await page.locator("#new-password").fill("short1")
    await page.get_by_test_id("password-save").click()
    await expect(page.get_by_text("新密码至少8位")).to_be_visible()
    await page.locator("#new-password").fill("Xinqiao2026a")
    await page.locator("#repeat-password").fill("Xinqiao2026b")
    await page.get_by_test_id("password-save").click()
    await expect(page.get_by_text("两次输入的新密码不一样")).to_be_visible()
    await page.locator("#repeat-password").fill("Xinqiao2026a")
    await page.get_by_test_id("password-save").click()
    # on to the page that was asked for, with word that it is done
    await expect(page.get_by_test_id("password-changed")).to_be_visible(timeout=15_000)
    await page.wait_for_url("**/staff/queue?passwordChanged=1")
    await expect(page.get_by_test_id("filters")).to_be_visible()

    # signed out, the new password is the one that works
    await page.get_by_test_id("sign-out").click()
    await page.wait_for_url("**/staff/signin")
    assert await page.evaluate("localStorage.getItem('dachuan.session')") is None
    await staff_sign_in(page, "cun-xinqiao-2", "Xinqiao2026a")
    await expect(page.get_by_test_id("role")).to_have_text("村(社区)民政协理员")
    await expect(page.get_by_test_id("queue-counts")).to_be_visible()
    await page.get_by_test_id("sign-out").click()
    await page.wait_for_url("**/staff/signin")

    # five wrong passwords lock the account, and the message says for how long
    await page.get_by_test_id("staff-account").fill("cun-xinqiao-2")
    for attempt in range(5):
        await page.get_by_test_id("staff-password").fill(f"wrong-{attempt}-pass")
        await page.get_by_test_id("staff-sign-in").click()
        await expect(page.get_by_test_id("signin-error")).to_contain_text("再错" if attempt < 4 else "锁定")
    await expect(page.get_by_test_id("signin-error")).to_have_text("密码错误次数过多，账号已锁定15分钟")
    await page.get_by_test_id("staff-password").fill("Xinqiao2026a")
    await page.get_by_test_id("staff-sign-in").click()
    await expect(page.get_by_test_id("signin-error")).to_have_text("密码错误次数过多，账号已锁定，请在15分钟后再试")
    await screenshot(page, "staff-signin-locked", "phone")
    await page.set_viewport_size(DESKTOP)
    await screenshot(page, "staff-signin-locked", "desktop")


async def test_a_dibao_case_goes_from_acceptance_to_approval_while_a_supervisor_watches_live(
        page: Page, desk: Page, server: Server):
    # the township officer's home is open when the village worker applies on someone's behalf
    await staff_sign_in(page, "jd-cuiping")
    await expect(page.get_by_test_id("queue-live")).to_have_attribute("data-state", "live", timeout=15_000)
    case = proxy_case(server, "陈德华", date(1958, 9, 20), 13)
    await expect(page.get_by_test_id("new-work")).to_contain_text("有 1 件新待办", timeout=15_000)
    submitted = page.locator('[data-status="SUBMITTED"] [data-testid="count-total"]')
    await expect(submitted).not_to_have_text("0 件")
    await screenshot(page, "staff-home", "phone")

    # a supervisor at a desk opens the same case beside the queue and leaves it open
    await desk.set_viewport_size(DESKTOP)
    await staff_sign_in(desk, "ducha")
    await desk.goto(f"/staff/queue?case={case['id']}")
    await expect(desk.get_by_test_id("case-number")).to_have_text(case["number"])
    await expect(desk.get_by_test_id("live-indicator")).to_have_attribute("data-state", "live", timeout=15_000)
    await expect(desk.get_by_test_id("no-actions")).to_be_visible()  # a supervisor reads; handlers act
    async with desk.context.expect_page() as popup:  # the PDF opens in the browser's own viewer
        await desk.get_by_test_id("material-pdf").click()
    pdf = await popup.value
    assert pdf.url.startswith("blob:")
    await pdf.close()
    await desk.evaluate("window.__notReloaded = true")

    # the officer follows the badge to the queue, filters by village, and opens the case
    await page.get_by_test_id("new-work").get_by_role("link").click()
    await page.wait_for_url("**/staff/queue")
    await page.get_by_test_id("filter-village").select_option(XINQIAO)
    row = page.locator(f'[data-number="{case["number"]}"]')
    await expect(row).to_be_visible()
    await expect(row).to_contain_text("陈德华")
    await screenshot(page, "staff-queue", "phone")
    await row.click()
    await page.wait_for_url(f"**/staff/cases/{case['id']}")

    # everything a handler needs: the applicant masked as the server returns, household, answers, materials
    await expect(page.get_by_test_id("applicant-name")).to_have_text("陈德华")
    await expect(page.get_by_test_id("members")).to_contain_text("陈玉芬")
    await expect(page.get_by_test_id("form-answers")).to_contain_text("自有住房")
    await expect(page.get_by_test_id("material-image")).to_have_count(3)  # ID card, hukou, signed consent
    await expect(page.locator('[data-testid="material-image"] img')).to_have_count(3, timeout=15_000)
    await expect(page.get_by_test_id("material-pdf")).to_have_count(1, timeout=15_000)
    await expect(page.locator('[data-kind="proxy_consent"]')).to_contain_text("申请人同意代办")  # named, not coded
    await page.get_by_test_id("material-image").first.click()
    await expect(page.locator(".van-image-preview")).to_be_visible()
    await screenshot(page, "staff-material-zoom", "phone")
    await page.locator(".van-image-preview__close-icon").click()
    await expect(page.locator(".van-image-preview")).to_be_hidden()

    # exactly what the township may do with a new application made on someone's behalf, no more
    actions = page.get_by_test_id("actions").locator("[data-action]")
    await expect(actions).to_have_count(4)
    assert [await a.get_attribute("data-action") for a in await actions.all()] == [
        "accept", "return", "refuse", "withdraw"]
    await screenshot(page, "staff-case", "phone")
    await page.locator('[data-action="accept"]').click()
    await page.get_by_test_id("input-comment").locator("textarea").fill("材料齐全，予以受理")
    await take(page, "accept")
    await expect(page.get_by_test_id("case-status")).to_have_text("入户调查")
    await expect(desk.locator('[data-testid="staff-timeline"] [data-action="accept"]')).to_be_visible(timeout=15_000)
    await expect(desk.get_by_test_id("case-status")).to_have_text("入户调查")
    await expect(desk.get_by_test_id("case-fresh")).to_contain_text("受理")

    # the home visit links to the field form; its record arrives from the visit (over the API here)
    await page.locator('[data-action="investigate"]').click()
    await expect(page.get_by_test_id("action-form")).to_contain_text("两名工作人员")
    await expect(page.get_by_test_id("go-visit")).to_have_attribute("href", f"/staff/visits/{case['id']}")
    server.act("caseInvestigate", case["id"], {"input": ("InvestigationInput!", {
        "investigators": ["张晓明", "李建国"], "visitedAt": "2026-01-05T10:00:00+08:00",
        "conclusion": "家中确实困难，符合低保条件", "place": "新桥村2组7号"})})
    await expect(page.get_by_test_id("case-status")).to_have_text("家庭经济状况核对", timeout=15_000)
    await expect(desk.locator('[data-testid="staff-timeline"] [data-action="investigate"]')).to_contain_text(
        "张晓明", timeout=15_000)

    # the verification office records its result
    await switch_to(page, "hedui")
    await page.goto(f"/staff/cases/{case['id']}")
    await page.locator('[data-action="verify"]').click()
    await page.get_by_test_id("action-submit").click()
    await expect(page.get_by_text("请选择核对结论：符合或不符合")).to_be_visible()
    await page.locator('[data-result="PASS"]').click()
    await page.get_by_test_id("input-income").locator("input").fill("600")
    await take(page, "verify")
    await expect(page.get_by_test_id("case-status")).to_have_text("审核公示")
    # a note for the other staff stays internal, and reaches the supervisor's screen too
    await page.get_by_test_id("note-save").click()
    await expect(page.get_by_test_id("note")).to_contain_text("请先写内部意见")
    await page.get_by_test_id("note-input").locator("textarea").fill("社保和不动产记录已核，无异常")
    await page.get_by_test_id("note-save").click()
    note = desk.locator('[data-testid="staff-timeline"] [data-action="comment"]')
    await expect(note).to_contain_text("社保和不动产记录已核，无异常", timeout=15_000)
    await expect(note).to_contain_text("内部")
    await expect(desk.locator('[data-testid="staff-timeline"] [data-action="verify"]')).to_contain_text(
        "600", timeout=15_000)

    # the township reviews and starts the public notice (2 s in the e2e server)
    await switch_to(page, "jd-cuiping")
    await page.goto(f"/staff/cases/{case['id']}")
    await page.locator('[data-action="review"]').click()
    await page.get_by_test_id("input-opinion").locator("textarea").fill("经审核符合条件，公示")
    await take(page, "review")
    await expect(page.get_by_test_id("case-status")).to_have_text("审批")
    await expect(desk.locator('[data-testid="staff-timeline"] [data-action="review"]')).to_be_visible(timeout=15_000)

    # the approver: an approval without an amount is refused with the field marked
    await switch_to(page, "shenpi")
    await page.wait_for_timeout(2500)  # the public notice ends
    await page.goto(f"/staff/cases/{case['id']}")
    await expect(page.locator('[data-testid="actions"] [data-action]')).to_have_count(3)
    assert [await a.get_attribute("data-action") for a in
            await page.locator('[data-testid="actions"] [data-action]').all()] == ["approve", "extend", "reject"]
    await page.locator('[data-action="approve"]').click()
    await page.get_by_test_id("action-submit").click()
    await expect(page.get_by_test_id("input-amount")).to_contain_text("请填写金额")
    # the server's own refusal lands on the field it names
    await page.get_by_test_id("input-amount").locator("input").fill("2000000")
    await page.get_by_test_id("input-start-month").locator("input").fill("2026-12")
    await page.get_by_test_id("action-submit").click()
    await page.locator(".van-dialog__confirm").click()
    await expect(page.get_by_test_id("input-amount")).to_contain_text("救助金额应大于0且不超过1000000元")
    await expect(page.get_by_test_id("case-status")).to_have_text("审批")
    await page.get_by_test_id("input-amount").locator("input").fill("650")
    await expect(page.get_by_test_id("input-amount")).not_to_contain_text("不超过")
    await screenshot(page, "staff-approve", "phone")
    await page.get_by_test_id("action-submit").click()
    await expect(page.get_by_test_id("confirm-summary")).to_contain_text("金额 650 元，自 2026-12 起")
    await page.locator(".van-dialog__confirm").click()
    await expect(page.get_by_test_id("case-status")).to_have_text("审批通过", timeout=15_000)
    await expect(page.get_by_test_id("decision")).to_contain_text("每月 650.00 元")

    # the supervisor's screen followed every step without reloading
    await expect(desk.get_by_test_id("case-status")).to_have_text("审批通过", timeout=15_000)
    await expect(desk.get_by_test_id("decision")).to_contain_text("650", timeout=15_000)
    steps = desk.locator('[data-testid="staff-timeline"] [data-action]')
    assert [await s.get_attribute("data-action") for s in await steps.all()] == [
        "submit", "accept", "investigate", "verify", "comment", "review", "approve"]
    await expect(desk.locator(f'[data-number="{case["number"]}"] [data-status]')).to_have_text("审批通过")
    assert await desk.evaluate("window.__notReloaded === true"), "the supervisor's page was reloaded"
    await screenshot(desk, "staff-queue-case", "desktop")

    # the server agrees
    status = server.gql("query($id: ID!) { case(id: $id) { status amount startMonth } }", {"id": case["id"]},
                        server.staff_token("ducha"))["case"]
    assert status == {"status": "APPROVED", "amount": "650.00", "startMonth": "2026-12"}


async def test_a_return_for_supplement_names_the_missing_materials(page: Page, desk: Page, server: Server):
    case = proxy_case(server, "刘桂芳", date(1960, 2, 14), 22)
    await staff_sign_in(page, "jd-cuiping")
    await page.goto(f"/staff/cases/{case['id']}")
    await page.locator('[data-action="return"]').click()

    # no reason, no return: the field says so and nothing is sent
    await page.get_by_test_id("action-submit").click()
    await expect(page.get_by_test_id("input-reason")).to_contain_text("请填写理由")
    await page.get_by_test_id("input-reason").locator("textarea").fill("户口簿只拍了户主页，请补拍本人页")
    await page.locator('[data-material="hukou"]').click()
    await page.locator('[data-material="income_proof"]').click()
    await screenshot(page, "staff-return", "phone")
    await page.get_by_test_id("action-submit").click()
    await expect(page.get_by_test_id("confirm-summary")).to_contain_text("需补交：户口簿、家庭收入证明")
    await page.locator(".van-dialog__confirm").click()
    await expect(page.get_by_test_id("case-status")).to_have_text("退回补正", timeout=15_000)
    await expect(page.get_by_test_id("requested-materials")).to_have_text("要求补交：户口簿、家庭收入证明")
    # a returned proxy case: the township may resubmit it for the applicant, not accept it again
    assert [await a.get_attribute("data-action") for a in
            await page.locator('[data-testid="actions"] [data-action]').all()] == ["resubmit", "withdraw"]

    events = server.gql("query($id: ID!) { case(id: $id) { status events { action comment requestedMaterials } } }",
                        {"id": case["id"]}, server.staff_token("jd-cuiping"))["case"]
    assert events["status"] == "RETURNED"
    assert events["events"][-1] == {"action": "return", "comment": "户口簿只拍了户主页，请补拍本人页",
                                    "requestedMaterials": ["hukou", "income_proof"]}

    # the desktop queue: the returned case under its stage, the case beside the list
    await desk.set_viewport_size(DESKTOP)
    await staff_sign_in(desk, "jd-cuiping")
    await desk.goto("/staff/queue?status=RETURNED")
    await desk.locator(f'[data-number="{case["number"]}"]').click()
    await expect(desk.get_by_test_id("case-number")).to_have_text(case["number"])
    assert "/staff/queue" in desk.url and f"case={case['id']}" in desk.url
    await expect(desk.get_by_test_id("requested-materials")).to_be_visible()
    await screenshot(desk, "staff-queue-returned", "desktop")
    await desk.goto("/staff")
    await screenshot(desk, "staff-home", "desktop")


def set_clock(server: Server, case_id: str, **times: str) -> None:
    """Moves a case's stage clock (the e2e server's SQLite file sits beside its SMS inbox)."""
    db = sqlite3.connect(server.inbox.parent / "e2e.sqlite3")
    with db:
        for column, value in times.items():
            db.execute(f"UPDATE aid_case SET {column} = ? WHERE id = ?", (value, int(case_id)))
    db.close()


async def test_cases_due_soon_and_overdue_are_flagged_in_words(page: Page, desk: Page, server: Server):
    late = proxy_case(server, "赵永福", date(1955, 5, 5), 31)
    soon = proxy_case(server, "孙秀兰", date(1957, 7, 7), 42)
    # with the flags the clock scan would raise: otherwise its next round (every 30 s) announces these two cases
    # to the work queues, maybe while a later test counts what arrives in jd-cuiping's queue
    set_clock(server, late["id"], warn_at="2026-01-01 00:00:00+00:00", due_at="2026-01-02 00:00:00+00:00",
              clock_flag="overdue")
    set_clock(server, soon["id"], warn_at="2026-01-01 00:00:00+00:00", due_at="2099-01-01 00:00:00+00:00",
              clock_flag="warning")

    await staff_sign_in(page, "jd-cuiping")
    tile = page.locator('.count[data-status="SUBMITTED"]')
    await expect(tile.get_by_test_id("count-overdue")).to_have_text("已超期 1 件")
    await expect(tile.get_by_test_id("count-warning")).to_have_text("临近时限 1 件")
    await expect(page.get_by_test_id("summary-overdue")).to_contain_text("已超期")
    await screenshot(page, "staff-home-clocks", "phone")
    await assert_readable(page)

    # the red word leads to exactly the overdue cases, each saying so
    await page.get_by_test_id("summary-overdue").click()
    await page.wait_for_url("**/staff/queue?clock=OVERDUE")
    await expect(page.locator(f'[data-number="{late["number"]}"] [data-testid="clock"]')).to_contain_text("已超期")
    await expect(page.locator(f'[data-number="{soon["number"]}"]')).to_have_count(0)
    await page.get_by_test_id("filter-clock").select_option("WARNING")
    await expect(page.locator(f'[data-number="{soon["number"]}"] [data-testid="clock"]')).to_contain_text("临近时限")
    await expect(page.locator(f'[data-number="{late["number"]}"]')).to_have_count(0)

    # on a desktop: both in the list, the overdue one open beside it
    await desk.set_viewport_size(DESKTOP)
    await staff_sign_in(desk, "jd-cuiping")
    await desk.goto(f"/staff/queue?status=SUBMITTED&case={late['id']}")
    await expect(desk.get_by_test_id("case-head").get_by_test_id("clock")).to_contain_text("已超期")
    await expect(desk.locator(f'[data-number="{soon["number"]}"] [data-clock="WARNING"]')).to_be_visible()
    await screenshot(desk, "staff-queue-clocks", "desktop")

    # the case on a page of its own, at both sizes
    await desk.goto(f"/staff/cases/{late['id']}")
    await expect(desk.get_by_test_id("applicant-name")).to_have_text("赵永福")
    await screenshot(desk, "staff-case", "desktop")
    await page.goto(f"/staff/cases/{late['id']}")
    await expect(page.get_by_test_id("case-head").get_by_test_id("clock")).to_contain_text("已超期")
    await screenshot(page, "staff-case-top", "phone")
    await expect(page.locator('[data-testid="material-image"] img')).to_have_count(3, timeout=15_000)
    await assert_readable(page)


async def test_the_queue_pages_through_many_cases_and_takes_in_new_ones_live(page: Page, server: Server):
    token = server.staff_token("cun-xinqiao")
    numbers = [jiuye_case(server, token, f"周{TENS[i // 10]}{UNITS[i % 10]}", i)["number"] for i in range(22)]

    await staff_sign_in(page, "jd-cuiping")
    await page.goto("/staff/queue?item=jiuye&status=SUBMITTED")
    rows = page.get_by_test_id("queue-list").locator("[data-number]")
    await expect(rows).to_have_count(20)
    await expect(rows.first).to_have_attribute("data-number", numbers[-1])  # newest first
    await page.get_by_test_id("more").click()
    await expect(rows).to_have_count(22)
    await expect(page.get_by_test_id("more")).to_have_count(0)
    assert {await r.get_attribute("data-number") for r in await rows.all()} == set(numbers)

    # a case that arrives while the list is open joins it at the top, marked new
    await expect(page.get_by_test_id("queue-live")).to_have_attribute("data-state", "live", timeout=15_000)
    # the server is the session's: what other tests' cases sent to the township's queue meanwhile (a notice the
    # clock scan ended, say) is looked at first, so that the count below is this case's alone
    if await page.get_by_test_id("new-work").count():
        await page.get_by_test_id("mark-seen").click()
        await expect(page.get_by_test_id("new-work")).to_have_count(0)
    late = jiuye_case(server, token, "周晚来", 99)
    await expect(rows.first).to_have_attribute("data-number", late["number"], timeout=15_000)
    await expect(rows.first.get_by_test_id("row-new")).to_have_text("新")
    await expect(page.get_by_test_id("new-work")).to_contain_text("有 1 件新待办")
    await page.get_by_test_id("mark-seen").click()
    await expect(page.get_by_test_id("new-work")).to_have_count(0)
    await expect(rows).to_have_count(23)
    await assert_readable(page)


async def test_a_village_worker_cannot_open_a_case_of_another_village(page: Page, server: Server):
    case = proxy_case(server, "钱国强", date(1952, 3, 3), 51)
    initial = new_account(server, "cun-other", region=OTHER_VILLAGE)
    token = server.gql("mutation($u: String!, $p: String!) { authStaffSignIn(username: $u, password: $p) { "
                       "... on SignInSuccess { token } } }", {"u": "cun-other", "p": initial})["authStaffSignIn"]["token"]
    _ok(server.gql("mutation($o: String!, $n: String!) { passwordChange(oldPassword: $o, newPassword: $n) { __typename "
                   "... on Error { code message } } }", {"o": initial, "n": "Other2026x"}, token),
        "passwordChange", "OkSuccess")

    await staff_sign_in(page, "cun-other", "Other2026x")
    await page.goto("/staff/queue")
    await expect(page.get_by_test_id("queue-empty")).to_be_visible()
    await page.goto(f"/staff/cases/{case['id']}")
    await expect(page.get_by_test_id("case-error")).to_have_text("申请不存在或无权查看")
    await expect(page.get_by_test_id("applicant")).to_have_count(0)
    await expect(page.get_by_test_id("actions")).to_have_count(0)
