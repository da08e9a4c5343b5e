"""Weak signal: the app opens with no network, a draft filled offline survives a reload, and the
application queued offline is sent when the network returns — exactly one case."""

from __future__ import annotations

from datetime import date

from playwright.async_api import BrowserContext, Page, expect

from tests.e2e.support import (
    CUIPING,
    XINQIAO,
    Server,
    eventually,
    id_number,
    photo_bytes,
    screenshot,
    sign_in,
    wait_for_service_worker,
)

PHONE = "13900000090"
NAME = "刘淑芬"
ID_NUMBER = id_number(date(1938, 2, 20), seq=4)


SAVED_VILLAGE = """async (code) => {
    const db = await new Promise((ok, fail) => {
        const r = indexedDB.open('dachuan-aid'); r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error);
    });
    const draft = await new Promise((ok, fail) => {
        const r = db.transaction('drafts').objectStore('drafts').get('gaoling');
        r.onsuccess = () => ok(r.result); r.onerror = () => fail(r.error);
    });
    db.close();
    return !!draft && !!draft.profile && draft.profile.regionCode === code;
}"""


async def test_a_draft_filled_offline_survives_a_reload_and_is_sent_once_when_the_network_returns(
        context: BrowserContext, page: Page, server: Server):
    token = await sign_in(page, server, PHONE)
    await page.goto("/apply/gaoling")
    await wait_for_service_worker(page)
    await expect(page.get_by_test_id("step-title")).to_have_text("您的身份信息")
    await expect(page.locator("#profile-township option")).not_to_have_count(1)  # the region tree is on the phone

    await context.set_offline(True)
    await page.locator("#profile-name").fill(NAME)
    await page.locator("#profile-id-number").fill(ID_NUMBER)
    await page.locator("#profile-address").fill("翠屏街道新桥村2组6号")
    await page.locator("#profile-township").select_option(CUIPING)
    await page.locator("#profile-village").select_option(XINQIAO)
    # the last answer is on the phone once its IndexedDB write lands (a reload in the same instant could
    # abort that one write; on a loaded machine that instant is long enough for the test to hit it)
    await page.wait_for_function(SAVED_VILLAGE, arg=XINQIAO, polling=100, timeout=10_000)

    # a reload with no network: the service worker opens the app, IndexedDB gives every answer back
    await page.reload()
    await expect(page.get_by_test_id("offline-banner")).to_be_visible()
    await expect(page.locator("#profile-name")).to_have_value(NAME)
    await expect(page.locator("#profile-id-number")).to_have_value(ID_NUMBER)
    await expect(page.locator("#profile-village")).to_have_value(XINQIAO)
    await expect(page.get_by_test_id("age-check")).to_contain_text("今年 88 岁")

    await page.get_by_test_id("next").click()
    await expect(page.get_by_text("没有网络，身份信息先保存在手机上")).to_be_visible()
    await page.get_by_role("radio", name="和子女同住").click()
    await page.get_by_test_id("next").click()
    for kind, seed in (("id_card", 21), ("bank_card", 22)):
        await page.get_by_test_id(f"album-{kind}").set_input_files(
            files=[{"name": f"{kind}.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes(seed=seed)}])
        await expect(page.locator(f'[data-kind="{kind}"] .file[data-state="local"]')).to_have_count(1)
    await expect(page.get_by_text("没有网络，照片已保存在手机上，有网络时自动上传").first).to_be_visible()
    await page.get_by_test_id("next").click()
    await page.get_by_test_id("consent").click()
    await page.get_by_test_id("submit").click()

    submission = page.get_by_test_id("submission")
    await expect(submission).to_have_attribute("data-state", "queued")
    await expect(submission).to_contain_text("待上传")
    await screenshot(page, "submitted-offline", "standard")

    # still queued after another reload with no network, and listed as 待上传
    await page.goto("/cases")
    await expect(page.get_by_test_id("on-phone").locator('a[data-state="queued"]')).to_contain_text("待上传")
    await screenshot(page, "cases-offline", "standard")
    await page.reload()
    await expect(page.get_by_test_id("on-phone").locator('a[data-state="queued"]')).to_have_count(1)
    graphql_offline = await page.evaluate(
        "fetch('/graphql', {method: 'POST', headers: {'Content-Type': 'application/json'},"
        " body: JSON.stringify({query: '{ me { kind } }'})}).then(() => 'answered', () => 'failed')")
    assert graphql_offline == "failed", "/graphql must never be answered from the cache"

    # the network returns: the queue is sent by itself
    await context.set_offline(False)
    await expect(page.get_by_test_id("on-phone").locator('a[data-state="queued"], a[data-state="sending"]')).to_have_count(
        0, timeout=30_000)
    await expect(page.get_by_test_id("cases").locator("a")).to_have_count(1, timeout=15_000)

    # sending again (another reconnect, a return to the tab) changes nothing: the key makes one case
    await page.evaluate("window.dispatchEvent(new Event('online')); document.dispatchEvent(new Event('visibilitychange'))")
    await page.wait_for_timeout(1500)

    async def cases():
        data = server.gql("{ cases { edges { node { id number item { code } applicant { name } materials { kind } } } } }",
                          token=token)
        return data["cases"]["edges"]

    found = await eventually(cases)
    assert len(found) == 1
    node = found[0]["node"]
    assert node["item"]["code"] == "gaoling" and node["applicant"]["name"] == NAME
    assert sorted(m["kind"] for m in node["materials"]) == ["bank_card", "id_card"]
