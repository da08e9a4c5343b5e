"""Administration and finance on the staff side: village-worker accounts allocated in bulk (the initial
passwords shown once, and they work), disabling an account, an aid item's time limit refused with the field
marked, a region CSV whose bad rows are each named; finance builds a month's batch, downloads its XLSX
(whose total matches the batch) and marks a line failed, then paid."""

from __future__ import annotations

import asyncio
import io
import re
import uuid
from datetime import date
from decimal import Decimal

import httpx
from openpyxl import load_workbook
from playwright.async_api import Page, expect

from tests.e2e.support import CUIPING, XINQIAO, Server, eventually, id_number, photo_bytes, screenshot, staff_session

SIGN_IN = ("mutation($u:String!,$p:String!){ authStaffSignIn(username:$u,password:$p){ __typename "
           "... on SignInSuccess { mustChangePassword } ... on Error { code message } } }")



async def test_admin_allocates_village_worker_accounts_in_bulk_and_the_passwords_are_shown_once(page: Page, server: Server):
    villages = [r["code"] for r in server.gql("query($p: String) { regions(parentCode: $p) { code } }",
                                              {"p": CUIPING})["regions"] if r["code"] != XINQIAO][:2]
    assert len(villages) == 2
    await staff_session(page, server, "admin", "admin")
    await page.goto("/staff/admin")
    # one village ticked in the list, the other read from a CSV file
    await page.get_by_test_id("admin-township").select_option(CUIPING)
    await page.locator(f'[data-village="{villages[0]}"]').click()
    await page.get_by_test_id("village-csv").set_input_files(files=[{
        "name": "villages.csv", "mimeType": "text/csv",
        "buffer": f"\ufeffvillage_code,name\n{villages[1]},some village\n".encode()}])
    await expect(page.get_by_test_id("to-create")).to_contain_text("将分配2个账号")
    await page.get_by_test_id("allocate").click()

    sheet = page.get_by_test_id("credentials")
    await expect(sheet).to_contain_text("初始密码只显示这一次", timeout=30_000)  # password hashing is slow by design
    rows = sheet.locator("tbody tr")
    await expect(rows).to_have_count(2)
    await screenshot(page, "field-admin-credentials", "standard")
    await page.set_viewport_size({"width": 1366, "height": 768})
    await screenshot(page, "field-admin-credentials", "desktop")
    await page.set_viewport_size({"width": 390, "height": 844})
    credentials = {}
    for i in range(2):
        credentials[await rows.nth(i).get_attribute("data-username")] = await rows.nth(i).get_by_test_id("initial-password").inner_text()
    assert set(credentials) == {f"cun{c}" for c in villages}
    for username, password in credentials.items():
        d = server.gql(SIGN_IN, {"u": username, "p": password.strip()})["authStaffSignIn"]
        assert d == {"__typename": "SignInSuccess", "mustChangePassword": True}, d

    # the same villages again: refused, with the reason
    await page.get_by_test_id("credentials-done").click()
    await page.get_by_test_id("admin-township").select_option(CUIPING)
    for code in villages:
        await page.locator(f'[data-village="{code}"]').click()
    await page.get_by_test_id("allocate").click()
    await expect(page.get_by_test_id("account-error")).to_contain_text("已有协理员账号", timeout=30_000)

    # shown once: after a reload the passwords are gone, the accounts are listed
    await page.reload()
    await expect(page.get_by_test_id("credentials")).to_have_count(0)
    first = f"cun{villages[0]}"
    account = page.get_by_test_id("account-list").locator(f'[data-username="{first}"]')
    await expect(account).to_contain_text("待首次改密")
    await account.get_by_test_id("toggle-disabled").click()
    await expect(account).to_contain_text("已停用")
    d = server.gql(SIGN_IN, {"u": first, "p": credentials[first].strip()})["authStaffSignIn"]
    assert d["__typename"] != "SignInSuccess", d

    # a reset gives the other account a new initial password, shown once; the old one no longer works
    second = f"cun{villages[1]}"
    await page.get_by_test_id("account-list").locator(f'[data-username="{second}"]').get_by_test_id("reset-password").click()
    sheet = page.get_by_test_id("credentials")
    await expect(sheet.locator("tbody tr")).to_have_count(1, timeout=30_000)
    new_password = (await sheet.get_by_test_id("initial-password").inner_text()).strip()
    assert new_password != credentials[second].strip()
    assert server.gql(SIGN_IN, {"u": second, "p": new_password})["authStaffSignIn"]["__typename"] == "SignInSuccess"
    assert server.gql(SIGN_IN, {"u": second, "p": credentials[second].strip()})["authStaffSignIn"]["__typename"] != "SignInSuccess"

    # an aid item's time limit out of range is refused, the message beside the limits
    await page.get_by_role("tab", name="救助事项").click()
    item = page.locator('.item[data-code="jiaoyu"]')
    await item.get_by_test_id("item-edit").click()
    stage = item.locator("input[data-stage]").first
    await stage.fill("0")
    await item.get_by_test_id("item-save").click()
    await expect(item.get_by_role("alert")).to_contain_text("时限应为1到90个工作日")
    await stage.fill("4")
    await item.get_by_test_id("item-description").locator("textarea").fill("家里困难、正在上学的孩子，可以申请。")
    await item.get_by_test_id("item-save").click()
    await expect(page.get_by_test_id("item-message")).to_contain_text("已保存")
    await expect(item).to_contain_text("正在上学的孩子")
    await screenshot(page, "field-admin-items", "standard")

    # another administrator saves the same item while this one edits it: this save is refused rather than undo
    # theirs, what was typed stays, and saving again, knowingly, keeps it
    await item.get_by_test_id("item-edit").click()
    mine = item.get_by_test_id("item-description").locator("textarea")
    await mine.fill("家里困难、正在上学的孩子，都可以申请。")
    server.gql("mutation($input: AidItemUpdateInput!){ aidItemUpdate(input: $input){ __typename } }",
               {"input": {"code": "jiaoyu", "description": "另一位管理员写的说明"}}, server.staff_token("admin"))
    await item.get_by_test_id("item-save").click()
    await expect(item.get_by_role("alert")).to_contain_text("刚被其他管理员修改过")
    await expect(mine).to_have_value("家里困难、正在上学的孩子，都可以申请。")
    stored = next(i for i in server.gql("{ aidItems { code description } }")["aidItems"] if i["code"] == "jiaoyu")
    assert stored["description"] == "另一位管理员写的说明"
    await screenshot(page, "field-admin-item-changed", "standard")
    await item.get_by_test_id("item-save").click()
    await expect(page.get_by_test_id("item-message")).to_contain_text("已保存")
    await expect(item).to_contain_text("都可以申请")

    # an item paused is gone from the citizens' catalogue until it is enabled again
    paused = page.locator('.item[data-code="zhufang"]')
    await paused.get_by_test_id("item-enabled").click()
    await expect(paused).to_contain_text("暂停受理")
    catalogue = "{ aidItems { code } }"
    assert "zhufang" not in [i["code"] for i in server.gql(catalogue)["aidItems"]]
    await paused.get_by_test_id("item-enabled").click()
    await expect(paused).to_contain_text("受理中")
    assert "zhufang" in [i["code"] for i in server.gql(catalogue)["aidItems"]]

    # a region CSV: every bad row named, nothing sent; a row the server refuses: nothing imported
    await page.get_by_role("tab", name="行政区划").click()
    await page.get_by_test_id("csv-text").fill("code,name,level,parent_code\n"
                                               "511703002099,新村,village,511703002\n"
                                               "51170300209,短码村,village,511703002\n"
                                               "511703002098,,village,511703002\n"
                                               "511703002097,错级,town,511703002\n")
    problems = page.get_by_test_id("csv-problems")
    await expect(problems.locator("li")).to_have_count(3)
    await expect(problems).to_contain_text("第3行")
    await expect(problems).to_contain_text("第4行")
    await expect(problems).to_contain_text("第5行")
    await expect(page.get_by_test_id("csv-import")).to_be_disabled()
    await screenshot(page, "field-admin-regions", "standard")
    await page.get_by_test_id("csv-text").fill("code,name,level,parent_code\n511703002099,新村,village,511703002\n"
                                               "511703999001,远村,village,511703999\n")
    await page.get_by_test_id("csv-import").click()
    server_problem = page.get_by_test_id("csv-server-problem")
    await expect(server_problem).to_contain_text("未导入任何数据")
    await expect(server_problem).to_have_attribute("data-line", "3")
    codes = [r["code"] for r in server.gql("query($p: String) { regions(parentCode: $p) { code } }", {"p": CUIPING})["regions"]]
    assert "511703002099" not in codes


def approved_gaoling_case(server: Server) -> dict:
    token = server.staff_token("cun-xinqiao")
    d = server.gql("mutation($i: ProfileInput!) { applicantRegister(input: $i) { __typename "
                   "... on ApplicantSuccess { applicant { id } } ... on Error { code message } } }",
                   {"i": {"name": "吴长寿", "idNumber": id_number(date(1938, 9, 9), seq=7), "address": "新桥村1组1号",
                          "regionCode": XINQIAO, "bankName": "四川农信", "bankAccount": "6217995555000012345"}},
                   token)["applicantRegister"]
    assert d["__typename"] == "ApplicantSuccess", d
    ids = []
    for kind in ("id_card", "bank_card", "proxy_consent"):
        r = httpx.post(f"{server.url}/api/materials", headers={"Authorization": f"Bearer {token}"},
                       data={"kind": kind, "applicantId": d["applicant"]["id"]},
                       files={"file": (f"{kind}.jpg", photo_bytes(600, 400), "image/jpeg")}, timeout=30)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    c = server.gql("mutation($i: CaseSubmitInput!) { caseSubmit(input: $i) { __typename "
                   "... on CaseSuccess { case { id } } ... on Error { code message } } }",
                   {"i": {"itemCode": "gaoling", "submissionKey": uuid.uuid4().hex, "materialIds": ids,
                          "applicantId": d["applicant"]["id"]}}, token)["caseSubmit"]
    assert c["__typename"] == "CaseSuccess", c
    server.act("caseAccept", c["case"]["id"])
    return c["case"]


async def test_finance_builds_a_batch_downloads_its_xlsx_and_marks_lines(page: Page, server: Server):
    case = approved_gaoling_case(server)
    q = "query($id: ID!) { case(id: $id) { status startMonth amount } }"

    async def approved():
        got = server.gql(q, {"id": case["id"]}, server.staff_token("caiwu"))["case"]
        return got if got["status"] == "APPROVED" else None
    decided = await eventually(approved, within=60, interval=0.5)

    token = await staff_session(page, server, "caiwu", "finance")
    await page.goto("/staff/finance")
    await page.get_by_test_id("batch-month").fill(decided["startMonth"])
    await page.get_by_test_id("batch-build").click()
    await expect(page.get_by_test_id("finance-message")).to_contain_text(f"已生成{decided['startMonth']}发放批次")
    lines = page.get_by_test_id("batch-lines")
    line = lines.locator(".line").filter(has_text="吴长寿")
    await expect(line).to_have_attribute("data-status", "pending")
    await expect(line).to_contain_text("6217")  # the bank account, masked
    await expect(line).not_to_contain_text("6217995555000012345")

    async with page.expect_download() as info:
        await page.get_by_test_id("batch-download").click()
    download = await info.value
    data = await asyncio.to_thread((await download.path()).read_bytes)
    book = load_workbook(io.BytesIO(data))
    batch_id = (await page.locator(".cell--chosen").get_attribute("data-batch"))
    api_lines = server.gql("query($b: ID!) { paymentLines(batchId: $b) { amount } }", {"b": batch_id}, token)["paymentLines"]
    expected = sum(Decimal(x["amount"]) for x in api_lines)
    rows = list(book.active.iter_rows(values_only=True))
    amount_col = next(i for i, h in enumerate(rows[0]) if h and "金额" in str(h))
    body = [r for r in rows[1:] if isinstance(r[0], int)]
    assert len(body) == len(api_lines)
    assert sum(Decimal(str(r[amount_col])) for r in body) == expected
    assert any("吴长寿" in str(v) for r in body for v in r)
    assert not any("6217995555000012345" in str(v) for r in rows for v in r)  # masked in the file too
    total = next(r for r in rows if r[0] == "合计")
    assert str(total[amount_col]).startswith("=SUM(") and f"{len(api_lines)}笔" in str(total)
    await expect(page.get_by_test_id("batch-totals")).to_contain_text(f"共{len(api_lines)}笔")

    # failed needs a reason; a failed line stays in view until it is paid
    await line.get_by_test_id("mark-failed").click()
    await line.get_by_test_id("fail-confirm").click()
    await expect(line).to_contain_text("请填写失败原因")
    await line.get_by_test_id("fail-reason").locator("input").fill("账户已冻结")
    await line.get_by_test_id("fail-confirm").click()
    await expect(line).to_have_attribute("data-status", "failed")
    await expect(line).to_contain_text("账户已冻结")
    await screenshot(page, "field-finance", "standard")
    await page.set_viewport_size({"width": 1366, "height": 768})
    await screenshot(page, "field-finance", "desktop")
    await page.set_viewport_size({"width": 390, "height": 844})
    await line.get_by_test_id("mark-paid").click()
    await expect(line).to_have_attribute("data-status", "paid")
    events = server.gql("query($id: ID!) { case(id: $id) { events { action } } }", {"id": case["id"]}, token)["case"]["events"]
    assert [e["action"] for e in events].count("pay_record") == 2


async def test_a_second_tap_on_reset_while_the_reset_is_on_its_way_resets_once_and_the_shown_password_works(page: Page, server: Server):
    # an account of its own (a third village of 翠屏), so no other test's password changes
    village = [r["code"] for r in server.gql("query($p: String) { regions(parentCode: $p) { code } }",
                                             {"p": CUIPING})["regions"] if r["code"] != XINQIAO][2]
    created = server.gql("mutation($v:[String!]!){ staffCreateVillageWorkers(villageCodes:$v){ __typename "
                         "... on StaffCreateSuccess { credentials { account { username } } } ... on Error { code message } } }",
                         {"v": [village]}, token=server.staff_token("admin"))["staffCreateVillageWorkers"]
    assert created["__typename"] == "StaffCreateSuccess", created
    username = created["credentials"][0]["account"]["username"]

    resets: list[str] = []

    async def slow_reset(route):
        if "staffPasswordReset" in (route.request.post_data or ""):
            resets.append(route.request.post_data or "")
            await asyncio.sleep(1.5)
        await route.continue_()

    await staff_session(page, server, "admin", "admin")
    await page.route("**/graphql", slow_reset)
    await page.goto("/staff/admin")
    button = page.get_by_test_id("account-list").locator(f'[data-username="{username}"]').get_by_test_id("reset-password")
    await button.click()
    await button.click()
    await expect(button).to_have_class(re.compile("van-button--loading"))
    await screenshot(page, "field-admin-reset-busy", "standard")
    sheet = page.get_by_test_id("credentials")
    await expect(sheet.locator("tbody tr")).to_have_count(1, timeout=30_000)
    await expect(button).not_to_have_class(re.compile("van-button--loading"))
    assert len(resets) == 1
    password = (await sheet.get_by_test_id("initial-password").inner_text()).strip()
    assert server.gql(SIGN_IN, {"u": username, "p": password})["authStaffSignIn"]["__typename"] == "SignInSuccess"
