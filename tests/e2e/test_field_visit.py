"""入户调查 offline: a village worker fills in a home visit with two photos and no signal; the record survives
a reload with no network, is sent when the signal returns — recorded exactly once — and a record that arrives
after the case moved on is flagged on the phone, never applied over what happened meanwhile."""

from __future__ import annotations

import uuid
from datetime import date

import httpx
from playwright.async_api import BrowserContext, Page, expect

from tests.e2e.support import (
    SCREENSHOTS,
    VILLAGE_WORKER,
    XINQIAO,
    Server,
    eventually,
    id_number,
    photo_bytes,
    screenshot,
    staff_session,
    wait_for_service_worker,
)

_seq = iter(range(101, 999, 2))

CASE_QUERY = "query($id: ID!) { case(id: $id) { status investigation events { action actorName data } } }"



def dibao_case_at_investigation(server: Server, name: str) -> str:
    """A 低保 case applied for by the village worker and accepted by the township: it waits for a home visit."""
    token = server.staff_token(VILLAGE_WORKER)
    number = id_number(date(1960, 5, 1), seq=next(_seq))
    d = server.gql("mutation($i: ProfileInput!) { applicantRegister(input: $i) { __typename "
                   "... on ApplicantSuccess { applicant { id } } ... on Error { code message } } }",
                   {"i": {"name": name, "idNumber": number, "address": "翠屏街道新桥村2组9号", "regionCode": XINQIAO}},
                   token)["applicantRegister"]
    assert d["__typename"] == "ApplicantSuccess", d
    applicant_id = d["applicant"]["id"]
    ids = []
    for kind in ("id_card", "hukou", "authorization", "proxy_consent"):
        r = httpx.post(f"{server.url}/api/materials", headers={"Authorization": f"Bearer {token}"},
                       data={"kind": kind, "applicantId": applicant_id},
                       files={"file": (f"{kind}.jpg", photo_bytes(600, 400), "image/jpeg")}, timeout=30)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    form = {"householdSize": 1, "monthlyIncome": 300, "housingType": "own", "hasVehicle": False,
            "reason": "独居，没有固定收入"}
    d = server.gql("mutation($i: CaseSubmitInput!) { caseSubmit(input: $i) { __typename "
                   "... on CaseSuccess { case { id } } ... on Error { code message } } }",
                   {"i": {"itemCode": "dibao", "submissionKey": uuid.uuid4().hex, "form": form, "materialIds": ids,
                          "applicantId": applicant_id}}, token)["caseSubmit"]
    assert d["__typename"] == "CaseSuccess", d
    case_id = d["case"]["id"]
    assert server.act("caseAccept", case_id)["status"] == "INVESTIGATING"
    return case_id


async def fill_visit(page: Page, conclusion: str) -> None:
    await expect(page.get_by_test_id("investigator-1").locator("input")).not_to_have_value("")
    await page.get_by_test_id("investigator-2").locator("input").fill("王建国")
    await page.get_by_test_id("living").locator("textarea").fill("砖混平房约40平方米，家电简单，一人独居")
    await page.get_by_test_id("income").locator("input").fill("300")
    await page.get_by_test_id("assets").locator("textarea").fill("无存款，无车辆")
    await page.get_by_test_id("conclusion").locator("textarea").fill(conclusion)


async def test_a_visit_recorded_offline_with_two_photos_survives_a_reload_and_is_sent_exactly_once(
        page: Page, context: BrowserContext, server: Server):
    case_id = dibao_case_at_investigation(server, "孙桂芳")
    token = await staff_session(page, server, VILLAGE_WORKER, "village_worker")
    await page.goto("/staff/visits")
    await wait_for_service_worker(page)
    await page.locator(f'[data-testid="visit-cases"] [data-case="{case_id}"] [data-testid="start-visit"]').click()
    await expect(page.get_by_test_id("visit-case")).to_contain_text("孙桂芳")
    # with the person's consent, the phone's location goes with the record
    await context.grant_permissions(["geolocation"])
    await context.set_geolocation({"latitude": 31.20863, "longitude": 107.50725, "accuracy": 12})
    await page.get_by_test_id("locate").click()
    await expect(page.get_by_test_id("location")).to_contain_text("31.20863, 107.50725")

    # the signal goes: everything is filled in and saved on the phone
    await context.set_offline(True)
    await fill_visit(page, "情况属实，建议纳入低保")
    await page.get_by_test_id("visit-photo-input").set_input_files(files=[
        {"name": "house.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes(seed=11)},
        {"name": "kitchen.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes(seed=12)},
    ])
    await expect(page.get_by_test_id("visit-photos").locator("li")).to_have_count(2, timeout=20_000)
    # one investigator only is refused on the phone, with the field marked
    await page.get_by_test_id("investigator-2").locator("input").fill("")
    await page.get_by_test_id("visit-submit").click()
    await expect(page.get_by_text("入户调查须由两名工作人员共同进行")).to_be_visible()
    await page.get_by_test_id("investigator-2").locator("input").fill("王建国")
    await screenshot(page, "field-visit-offline", "standard")
    await page.screenshot(path=str(SCREENSHOTS / "field-visit-form-full-standard.png"), full_page=True)
    await page.get_by_test_id("visit-submit").click()

    record = page.locator(f'[data-testid="visit-records"] [data-case="{case_id}"]')
    await expect(record).to_have_attribute("data-state", "queued")
    await expect(record).to_contain_text("待上传")
    await expect(record).to_contain_text("2 张照片")

    # a reload with no network: the service worker opens the app, IndexedDB gives the record back
    await page.reload()
    await expect(record).to_have_attribute("data-state", "queued", timeout=15_000)
    await expect(record).to_contain_text("2 张照片")
    await screenshot(page, "field-visits-waiting", "standard")
    assert server.gql(CASE_QUERY, {"id": case_id}, token)["case"]["status"] == "INVESTIGATING"

    # the signal returns: sent, once
    await context.set_offline(False)
    await expect(record).to_have_attribute("data-state", "sent", timeout=30_000)
    await expect(record).to_contain_text("已提交")
    case = server.gql(CASE_QUERY, {"id": case_id}, token)["case"]
    assert case["status"] == "VERIFYING"
    visits = [e for e in case["events"] if e["action"] == "investigate"]
    assert len(visits) == 1, visits
    assert len(case["investigation"]["material_ids"]) == 2
    assert case["investigation"]["investigators"][1] == "王建国"
    assert "300" in case["investigation"]["findings"]
    assert "31.20863,107.50725" in case["investigation"]["place"]
    assert case["investigation"]["conclusion"] == "情况属实，建议纳入低保"

    await page.set_viewport_size({"width": 1366, "height": 768})
    await screenshot(page, "field-visits", "desktop")
    await page.set_viewport_size({"width": 390, "height": 844})

    # another reload and another trigger change nothing on the server
    await page.reload()
    await expect(record).to_have_attribute("data-state", "sent", timeout=15_000)
    await page.evaluate("window.dispatchEvent(new Event('online'))")
    await page.wait_for_timeout(1500)
    case = server.gql(CASE_QUERY, {"id": case_id}, token)["case"]
    assert [e["action"] for e in case["events"]].count("investigate") == 1


async def test_a_visit_that_arrives_after_the_case_moved_on_is_flagged_not_applied(
        page: Page, context: BrowserContext, server: Server):
    case_id = dibao_case_at_investigation(server, "周玉珍")
    token = await staff_session(page, server, VILLAGE_WORKER, "village_worker")
    await page.goto(f"/staff/visits/{case_id}")
    await wait_for_service_worker(page)  # every page's code on the phone, as an installed app has it
    await expect(page.get_by_test_id("visit-case")).to_contain_text("周玉珍")
    await context.set_offline(True)
    await fill_visit(page, "建议纳入")
    await page.get_by_test_id("visit-submit").click()
    record = page.locator(f'[data-testid="visit-records"] [data-case="{case_id}"]')
    await expect(record).to_have_attribute("data-state", "queued")

    # meanwhile the township records its own visit online
    d = server.gql("mutation($id: ID!, $i: InvestigationInput!) { caseInvestigate(caseId: $id, input: $i) { __typename "
                   "... on Error { code message } } }",
                   {"id": case_id, "i": {"investigators": ["李娜", "陈刚"], "visitedAt": "2026-01-05T10:00:00+08:00",
                                         "conclusion": "不符合条件"}}, server.staff_token("jd-cuiping"))
    assert d["caseInvestigate"]["__typename"] == "CaseSuccess", d

    await context.set_offline(False)
    await expect(record).to_have_attribute("data-state", "conflict", timeout=30_000)
    await expect(record.get_by_test_id("record-error")).to_contain_text("这条离线记录未提交")
    # the server kept the township's record: nothing was overwritten
    case = server.gql(CASE_QUERY, {"id": case_id}, token)["case"]
    assert [e["action"] for e in case["events"]].count("investigate") == 1
    assert case["investigation"]["conclusion"] == "不符合条件"

    # the worker opens it, sees why, and resolves it
    await record.get_by_test_id("open-record").click()
    await expect(page.get_by_test_id("visit-conflict")).to_contain_text("冲突")
    await expect(page.get_by_test_id("visit-conflict")).to_contain_text("没有覆盖任何办理结果")
    await screenshot(page, "field-visit-conflict", "standard")
    await page.get_by_test_id("visit-discard").click()
    await page.get_by_test_id("visit-discard-yes").click()
    await expect(page.locator(f'[data-testid="visit-records"] [data-case="{case_id}"]')).to_have_count(0)

    # a case the worker may not see gets no record, only a message
    await page.goto("/staff/visits/99999")
    await expect(page.get_by_test_id("visit-unavailable")).to_contain_text("不在您的辖区内")

    async def gone() -> bool:
        return await page.evaluate("""async () => {
            const db = await new Promise((ok) => { const r = indexedDB.open('dachuan-aid'); r.onsuccess = () => ok(r.result) });
            const n = await new Promise((ok) => { const r = db.transaction('visits').objectStore('visits').count(); r.onsuccess = () => ok(r.result) });
            db.close(); return n === 0 }""")
    await eventually(gone)
