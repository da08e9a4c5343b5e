"""Supervision in the browser: the overdue board leading to the filtered queue, the provincial sync board with a
dead push sent again, a case reassigned and found by its new handler; and the issue's acceptance test — a 低保
case taken through every stage by each demo role in its own browser while the applicant's page, open in a
browser of its own, shows each step as it happens without reloading."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import running_api
from tests.e2e.support import (
    CUIPING,
    DESKTOP,
    PROFILE_SAVE,
    VIEWPORT,
    XINQIAO,
    Server,
    eventually,
    id_number,
    photo_bytes,
    screenshot,
    sign_in,
    submit_case,
)
from tests.e2e.test_staff_workbench import (
    _ok,
    assert_readable,
    proxy_case,
    set_clock,
    staff_sign_in,
    take,
)

SIM_ADMIN = {"X-Admin-Token": "dev-province-admin-token"}  # the embedded simulator's development token
SYNCS = "query($s: [String!]) { provinceSyncs(states: $s) { caseId caseNumber state attempts lastError } }"


async def _context(browser: Browser, server: Server, viewport: dict, *, mobile: bool) -> BrowserContext:
    return await browser.new_context(base_url=server.url, viewport=viewport, device_scale_factor=1, locale="zh-CN",
                                     timezone_id="Asia/Shanghai", has_touch=mobile, is_mobile=mobile)


class Browsers:
    """One browser context per person, each page checked for uncaught errors at the end."""

    def __init__(self, browser: Browser, server: Server) -> None:
        self.browser, self.server = browser, server
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    async def page(self, viewport: dict = VIEWPORT) -> Page:
        ctx = await _context(self.browser, self.server, viewport, mobile=viewport is VIEWPORT)
        self.contexts.append(ctx)
        p = await ctx.new_page()
        p.on("pageerror", lambda e: self.errors.append(str(e)))
        return p

    async def close(self) -> None:
        for ctx in self.contexts:
            await ctx.close()


@pytest.fixture
async def people(browser: Browser, server: Server) -> AsyncIterator[Browsers]:
    b = Browsers(browser, server)
    yield b
    await b.close()
    assert b.errors == [], f"uncaught errors in the pages: {b.errors}"


async def test_the_overdue_board_leads_to_the_overdue_cases_of_a_township(people: Browsers, server: Server):
    late = proxy_case(server, "郑国强", date(1956, 6, 6), 51)
    soon = proxy_case(server, "冯桂芳", date(1959, 9, 9), 62)
    set_clock(server, late["id"], warn_at="2026-01-01 00:00:00+00:00", due_at="2026-01-02 00:00:00+00:00")
    set_clock(server, soon["id"], warn_at="2026-01-01 00:00:00+00:00", due_at="2099-01-01 00:00:00+00:00")
    try:
        await _overdue_board(people, server, late, soon)
    finally:  # the session's server is shared: leave no late case behind in the other tests' queues
        for case in (late, soon):
            server.act("caseRefuse", case["id"], {"reason": ("String!", "测试结束")})


async def _overdue_board(people: Browsers, server: Server, late: dict, soon: dict) -> None:
    phone = await people.page()
    await staff_sign_in(phone, "ducha")
    await phone.get_by_test_id("supervision-entries").locator('[data-route="staff-overdue"]').click()
    await phone.wait_for_url("**/staff/overdue")
    township = phone.get_by_test_id("board-township").locator(f'tr[data-key="{CUIPING}"]')
    await expect(township.locator("th")).to_have_text("翠屏街道")
    await expect(township.get_by_test_id("board-overdue")).to_contain_text("件")
    await expect(township.get_by_test_id("board-warning")).to_contain_text("件")
    stage = phone.get_by_test_id("board-stage").locator('tr[data-key="submitted"]')
    await expect(stage.locator("th")).to_have_text("已提交，待受理")
    await expect(phone.get_by_test_id("board-item").locator('tr[data-key="dibao"] th')).to_have_text("低保")
    await screenshot(phone, "staff-overdue-board", "phone")
    await assert_readable(phone)

    # the red count of the township opens the queue with exactly its overdue cases
    await township.get_by_test_id("board-overdue").click()
    await phone.wait_for_url(f"**/staff/queue?*township={CUIPING}*")
    await expect(phone.locator(f'[data-number="{late["number"]}"] [data-testid="clock"]')).to_contain_text("已超期")
    await expect(phone.locator(f'[data-number="{soon["number"]}"]')).to_have_count(0)
    # and the amber count of the stage the ones due soon
    await phone.go_back()
    await phone.get_by_test_id("board-stage").locator('tr[data-key="submitted"]').get_by_test_id("board-warning").click()
    await phone.wait_for_url("**/staff/queue?*status=SUBMITTED*")
    await expect(phone.locator(f'[data-number="{soon["number"]}"] [data-testid="clock"]')).to_contain_text("临近时限")
    await expect(phone.locator(f'[data-number="{late["number"]}"]')).to_have_count(0)

    desk = await people.page(DESKTOP)
    await staff_sign_in(desk, "ducha")
    await screenshot(desk, "staff-home-supervisor", "desktop")
    await desk.goto("/staff/overdue")
    await expect(desk.get_by_test_id("board-township").locator(f'tr[data-key="{CUIPING}"]')).to_be_visible()
    await screenshot(desk, "staff-overdue-board", "desktop")


async def test_a_supervisor_reassigns_a_case_and_each_handler_finds_it_as_theirs(people: Browsers, server: Server):
    case = proxy_case(server, "蒋春梅", date(1961, 2, 3), 72)
    server.act("caseAccept", case["id"])  # the township accepts: the case waits for the home visit

    desk = await people.page(DESKTOP)
    await staff_sign_in(desk, "ducha")
    await desk.goto(f"/staff/cases/{case['id']}")
    panel = desk.get_by_test_id("assign")
    await expect(panel.get_by_test_id("assignee")).to_contain_text("尚未指派经办人")
    await panel.get_by_test_id("assign-open").click()
    # a reason is asked for before anything is sent
    await panel.get_by_test_id("assign-who").select_option(label="新桥村协理员（演示）（村(社区)民政协理员）")
    await panel.get_by_test_id("assign-save").click()
    await expect(panel.get_by_test_id("assign-reason")).to_contain_text("请填写指派的理由")
    await panel.get_by_test_id("assign-reason").locator("textarea").fill("请协理员本周内入户调查")
    await screenshot(desk, "staff-assign", "desktop")
    await panel.get_by_test_id("assign-save").click()
    await expect(desk.get_by_test_id("case-assignee")).to_contain_text("新桥村协理员（演示）", timeout=15_000)
    step = desk.locator('[data-testid="staff-timeline"] [data-action="assign"]')
    await expect(step).to_contain_text("请协理员本周内入户调查")
    await expect(desk.get_by_test_id("case-status")).to_have_text("入户调查")  # status unchanged

    # the village worker, in a browser of their own, finds it under "assigned to me"
    worker = await people.page()
    await staff_sign_in(worker, "cun-xinqiao")
    await worker.get_by_test_id("open-mine").click()
    await worker.wait_for_url("**/staff/queue?mine=1")
    await expect(worker.locator(f'[data-number="{case["number"]}"]')).to_be_visible()
    await expect(worker.locator("[data-number]")).to_have_count(1)
    await expect(worker.get_by_test_id("row-assignee")).to_have_text("经办人：新桥村协理员（演示）")
    await worker.locator(f'[data-number="{case["number"]}"]').click()
    await expect(worker.get_by_test_id("case-assignee")).to_contain_text("新桥村协理员（演示）")
    await screenshot(worker, "staff-queue-mine", "phone")
    await assert_readable(worker)

    # reassigned to the township officer: the worker's list no longer holds it, the officer's does
    await panel.get_by_test_id("assign-open").click()
    await panel.get_by_test_id("assign-who").select_option(label="翠屏街道经办人（演示）（乡镇(街道)经办人）")
    await panel.get_by_test_id("assign-reason").locator("textarea").fill("协理员休假，改由街道经办")
    await panel.get_by_test_id("assign-save").click()
    await expect(desk.get_by_test_id("case-assignee")).to_contain_text("翠屏街道经办人（演示）", timeout=15_000)
    await expect(worker.get_by_test_id("case-assignee")).to_contain_text("翠屏街道经办人（演示）", timeout=15_000)
    await worker.goto("/staff/queue?mine=1")
    await expect(worker.get_by_test_id("queue-empty")).to_be_visible()
    officer = server.gql("{ cases(filter: {assignedToMe: true}) { edges { node { id } } } }",
                         token=server.staff_token("jd-cuiping"))["cases"]["edges"]
    assert [e["node"]["id"] for e in officer] == [case["id"]]


def gaoling_case(server: Server, name: str, seq: int) -> dict:
    """The 新桥村 worker applies for 高龄津贴 for an elderly man (his consent photographed)."""
    token = server.staff_token("cun-xinqiao")
    applicant = _ok(server.gql(
        "mutation($i: ProfileInput!) { applicantRegister(input: $i) { __typename "
        "... on ApplicantSuccess { applicant { id } } ... on Error { code message } } }",
        {"i": {"name": name, "idNumber": id_number(date(1938, 4, 4), seq), "address": "翠屏街道新桥村6组",
               "regionCode": XINQIAO, "bankName": "四川农信", "bankAccount": "6217995555000099881"}}, token),
        "applicantRegister", "ApplicantSuccess")["applicant"]
    ids = []
    for kind in ("id_card", "bank_card", "proxy_consent"):
        r = httpx.post(f"{server.url}/api/materials", headers={"Authorization": f"Bearer {token}"},
                       data={"kind": kind, "applicantId": applicant["id"]},
                       files={"file": (f"{kind}.jpg", photo_bytes(400, 300, seed=seq), "image/jpeg")}, timeout=30)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return _ok(server.gql(
        "mutation($i: CaseSubmitInput!) { caseSubmit(input: $i) { __typename "
        "... on CaseSuccess { case { id number } } ... on Error { code message } } }",
        {"i": {"itemCode": "gaoling", "submissionKey": uuid.uuid4().hex, "form": {}, "materialIds": ids,
               "applicantId": applicant["id"]}}, token), "caseSubmit", "CaseSuccess")["case"]


def set_faults(server: Server, **faults) -> None:
    """Turns the embedded province simulator's fault knobs."""
    r = httpx.post(f"{server.url}/province-sim/admin/faults", json=faults, headers=SIM_ADMIN, timeout=10)
    assert r.status_code == 200, r.text


async def test_a_dead_provincial_push_is_sent_again_from_the_sync_board(browser: Browser):
    # a server of its own: a push is given up after two attempts, and the province refuses every request
    with running_api(OUTBOX_MAX_ATTEMPTS="2") as server:
        set_faults(server, fail_rate=1.0)
        case = gaoling_case(server, "褚德胜", 81)
        server.act("caseAccept", case["id"])
        supervisor = server.staff_token("ducha")

        async def dead() -> list:
            rows = await asyncio.to_thread(server.gql, SYNCS, {"s": ["dead"]}, supervisor)
            return [s for s in rows["provinceSyncs"] if s["caseId"] == case["id"]]

        found = (await eventually(dead, within=30))[0]
        assert found["attempts"] == 2 and found["lastError"] and found["caseNumber"] == case["number"]

        ctx = await _context(browser, server, VIEWPORT, mobile=True)
        errors: list[str] = []
        page = await ctx.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            await staff_sign_in(page, "ducha")
            await page.get_by_test_id("supervision-entries").locator('[data-route="staff-province-sync"]').click()
            await page.wait_for_url("**/staff/province-sync")
            await expect(page.get_by_test_id("sync-count-dead")).to_have_text("1")
            row = page.locator(f'[data-case="{case["id"]}"]')
            await expect(row.get_by_test_id("sync-case")).to_have_text(case["number"])
            await expect(row.get_by_test_id("sync-attempts")).to_have_text("2")
            await expect(row.get_by_test_id("sync-last-error")).not_to_be_empty()
            # the kind of failure in words; the worker's technical text only when unfolded
            await expect(row.get_by_test_id("sync-error-summary")).to_contain_text("省级系统出错（错误代码 500）")
            await expect(row.get_by_text("simulated failure")).not_to_be_visible()
            await screenshot(page, "staff-province-sync", "phone")
            await assert_readable(page)
            await page.set_viewport_size(DESKTOP)
            await screenshot(page, "staff-province-sync", "desktop")
            await page.set_viewport_size(VIEWPORT)

            # the province is back; the supervisor sends the push again and it goes through
            set_faults(server, fail_rate=0.0)
            await row.get_by_test_id("sync-retry").click()
            await expect(page.get_by_test_id("sync-message")).to_contain_text("已重新推送")

            async def gone() -> bool:
                await page.get_by_test_id("sync-refresh").click()
                return (await page.get_by_test_id("sync-count-dead").text_content()) == "0"

            await eventually(gone, within=30, interval=1)
            await expect(page.locator(f'[data-case="{case["id"]}"]')).to_have_count(0)
            # the retried push is back in the outbox; a worker sends it within its poll interval
            async def sent() -> dict | None:
                found = (await asyncio.to_thread(
                    server.gql, "query($id: ID!) { case(id: $id) { status provinceSync { state attempts } } }",
                    {"id": case["id"]}, supervisor))["case"]
                return found if found["provinceSync"]["state"] in ("sent", "decided") else None

            pushed = await eventually(sent, within=30, interval=0.5)
            assert pushed["status"] in ("PROVINCE_REVIEW", "APPROVED", "PAYING"), pushed
        finally:
            await ctx.close()
        assert errors == [], f"uncaught errors in the page: {errors}"


async def test_a_dibao_case_goes_through_every_stage_with_each_role_in_its_own_browser(
        people: Browsers, server: Server):
    # the applicant signs in, saves her profile and applies; her case page stays open in her own browser
    citizen = await people.page()
    token = await sign_in(citizen, server, "13900000091")
    profile = {"name": "韩秀珍", "idNumber": id_number(date(1966, 6, 16), seq=92), "address": "翠屏街道新桥村8组2号",
               "regionCode": XINQIAO}
    saved = server.gql(PROFILE_SAVE, {"p": profile}, token)["profileSave"]
    assert saved["__typename"] == "ApplicantSuccess", saved
    case = submit_case(server, token, "dibao", {"householdSize": 2, "monthlyIncome": 500, "housingType": "own",
                                                "hasVehicle": False, "reason": "丈夫重病，无力务工"},
                       kinds=("id_card", "hukou", "authorization"))
    await citizen.goto(f"/cases/{case['id']}")
    status = citizen.get_by_test_id("case-status")
    await expect(status).to_have_text("已提交，待受理")
    await expect(citizen.get_by_test_id("live-indicator")).to_have_attribute("data-state", "live", timeout=15_000)
    await citizen.evaluate("window.__notReloaded = true")
    timeline = citizen.get_by_test_id("timeline")

    async def staff(username: str) -> Page:
        p = await people.page()
        await staff_sign_in(p, username)
        await p.goto(f"/staff/cases/{case['id']}")
        await expect(p.get_by_test_id("case-number")).to_have_text(case["number"])
        return p

    # the village worker registers receipt and passes it on (受理)
    worker = await staff("cun-xinqiao")
    await worker.locator('[data-action="accept"]').click()
    await worker.get_by_test_id("input-comment").locator("textarea").fill("材料齐全")
    await take(worker, "accept")
    await expect(status).to_have_text("入户调查", timeout=15_000)
    await expect(timeline.locator('[data-action="accept"]')).to_be_visible()

    # the home visit is recorded by two staff (its offline form has a test of its own): over the API
    server.act("caseInvestigate", case["id"], {"input": ("InvestigationInput!", {
        "investigators": ["张晓明", "李建国"], "visitedAt": "2026-01-05T10:00:00+08:00",
        "conclusion": "家庭困难属实", "place": "新桥村8组2号"})}, staff="cun-xinqiao")
    await expect(status).to_have_text("家庭经济状况核对", timeout=15_000)
    await expect(timeline.locator('[data-action="investigate"]')).to_be_visible()
    await expect(timeline).not_to_contain_text("家庭困难属实")  # the record itself stays internal

    # the verification office
    verifier = await staff("hedui")
    await verifier.locator('[data-action="verify"]').click()
    await verifier.locator('[data-result="PASS"]').click()
    await verifier.get_by_test_id("input-income").locator("input").fill("500")
    await take(verifier, "verify")
    await expect(status).to_have_text("审核公示", timeout=15_000)
    await expect(timeline.locator('[data-action="verify"]')).to_be_visible()

    # the township reviews and starts the public notice (2 s on the e2e server)
    officer = await staff("jd-cuiping")
    await officer.locator('[data-action="review"]').click()
    await officer.get_by_test_id("input-opinion").locator("textarea").fill("经审核符合条件，予以公示")
    await take(officer, "review")
    await expect(status).to_have_text("审批", timeout=15_000)
    await expect(timeline.locator('[data-action="review"]')).to_contain_text("经审核符合条件，予以公示")

    # the district approves once the notice has ended
    approver = await staff("shenpi")
    await approver.wait_for_timeout(2500)
    await approver.reload()
    await approver.locator('[data-action="approve"]').click()
    await approver.get_by_test_id("input-amount").locator("input").fill("650")
    await approver.get_by_test_id("input-start-month").locator("input").fill("2026-12")
    await approver.get_by_test_id("action-submit").click()
    await approver.locator(".van-dialog__confirm").click()
    await expect(approver.get_by_test_id("case-status")).to_have_text("审批通过", timeout=15_000)
    await expect(status).to_have_text("审批通过", timeout=15_000)
    await expect(citizen.get_by_test_id("decision")).to_contain_text("650", timeout=15_000)

    # finance starts the payment and, once paid, closes the case
    finance = await staff("caiwu")
    await finance.locator('[data-action="pay_start"]').click()
    await take(finance, "pay_start")
    await expect(status).to_have_text("资金发放中", timeout=15_000)
    await finance.locator('[data-action="close"]').click()
    await take(finance, "close")
    await expect(status).to_have_text("已办结", timeout=15_000)

    # every public step arrived on the applicant's page, in order, without a reload
    steps = timeline.locator("[data-action]")
    assert [await s.get_attribute("data-action") for s in await steps.all()] == [
        "submit", "accept", "investigate", "verify", "review", "approve", "pay_start", "close"]
    assert await citizen.evaluate("window.__notReloaded === true"), "the applicant's page was reloaded"
    await screenshot(citizen, "case-every-stage", "phone")

