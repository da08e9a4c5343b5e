"""The analytics dashboard and the 回头看 review page against a server filled by the demo generator:
the charts draw, each table shows exactly what the statistics API answers (`<5` included), the CSV and
XLSX downloads carry the same figures, the pages are readable on a phone, and neither a citizen nor a staff
member of another role gets in.
Screenshots at 390×844 and 1366×768 under var/screenshots/pwa/."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from playwright.async_api import Browser, Page

from tests.e2e.support import (
    DEMO_PHONE,
    DESKTOP,
    MEASURE_JS,
    ROOT,
    STAFF_PASSWORD,
    VIEWPORT,
    Server,
    screenshot,
    sign_in,
)
from tests.harness.pg import free_port

BEIJING = timezone(timedelta(hours=8))
CASES = 3000


def _today() -> date:
    return datetime.now(BEIJING).date()


def _last_12_months() -> dict[str, str]:
    """The dashboard's default range: from the start of the month 11 months back to today (Beijing)."""
    today = _today()
    index = today.year * 12 + today.month - 1 - 11
    return {"from": date(index // 12, index % 12 + 1, 1).isoformat(), "to": today.isoformat()}


RANGE = _last_12_months()
QUERY = f"from={RANGE['from']}&to={RANGE['to']}"


@pytest.fixture(scope="module")
def seeded() -> Iterator[Server]:
    """The API on a fresh SQLite database with the demo accounts and 3,000 generated cases over 14 months."""
    tmp = Path(tempfile.mkdtemp(prefix="dachuan-e2e-analytics-"))
    port = free_port()
    env = {**os.environ, "PORT": str(port), "DATABASE_URL": f"sqlite://{tmp / 'e2e.sqlite3'}",
           "STORAGE_ROOT": str(tmp / "materials"), "DEMO_NOTICE_SECONDS": "2", "ENVIRONMENT": "development",
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "PROVINCE_URL": f"http://127.0.0.1:{port}/province-sim"}
    dist = Path(env.get("PWA_DIST", ROOT / "pwa" / "dist"))
    if not (dist / "index.html").is_file():
        pytest.fail(f"{dist}/index.html is missing: build the PWA first (cd pwa && npm run build)")
    subprocess.run([sys.executable, "-m", "api", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True,
                   timeout=180)
    subprocess.run([sys.executable, "-m", "api.demo.generate", "--cases", str(CASES), "--months", "14"], cwd=ROOT,
                   env=env, check=True, capture_output=True, timeout=300)
    log = open(tmp / "api.log", "w", encoding="utf-8")  # noqa: SIM115 - closed after the process ends
    proc = subprocess.Popen([sys.executable, "-m", "api"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp / "api.log").read_text(encoding="utf-8")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the API did not become healthy within 60 s"
            time.sleep(0.2)
        yield Server(url=url, inbox=tmp / "sms-inbox.txt", log=tmp / "api.log")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _sign_in_staff(server: Server, username: str) -> dict:
    d = server.gql("mutation($u:String!,$p:String!){ authStaffSignIn(username:$u,password:$p){ __typename "
                   "... on SignInSuccess { token expiresAt } ... on Error { message } } }",
                   {"u": username, "p": STAFF_PASSWORD})["authStaffSignIn"]
    assert d["__typename"] == "SignInSuccess", d
    role = server.gql("{ me { role } }", token=d["token"])["me"]["role"]
    return {"token": d["token"], "phone": "", "expiresAt": d["expiresAt"], "kind": "staff", "username": username,
            "role": role, "mustChangePassword": False}


@pytest.fixture(scope="module")
def analyst(seeded: Server) -> dict:
    return _sign_in_staff(seeded, "tongji")


@pytest.fixture(scope="module")
def supervisor(seeded: Server) -> dict:
    return _sign_in_staff(seeded, "ducha")


async def _page(browser: Browser, server: Server, viewport: dict) -> AsyncIterator[Page]:
    phone = viewport == VIEWPORT
    ctx = await browser.new_context(base_url=server.url, viewport=viewport, device_scale_factor=1, locale="zh-CN",
                                    timezone_id="Asia/Shanghai", has_touch=phone, is_mobile=phone,
                                    accept_downloads=True)
    page = await ctx.new_page()
    errors: list[str] = []
    elsewhere: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    ctx.on("request", lambda r: None if r.url.startswith((server.url, "data:", "blob:")) else elsewhere.append(r.url))
    yield page
    await ctx.close()
    assert errors == [], f"uncaught errors in the page: {errors}"
    assert elsewhere == [], f"requests to other hosts: {elsewhere}"


@pytest.fixture
async def phone(browser: Browser, seeded: Server) -> AsyncIterator[Page]:
    async for p in _page(browser, seeded, VIEWPORT):
        yield p


@pytest.fixture
async def desktop(browser: Browser, seeded: Server) -> AsyncIterator[Page]:
    async for p in _page(browser, seeded, DESKTOP):
        yield p


async def _as(page: Page, session: dict) -> None:
    await page.goto("/")
    await page.evaluate("s => localStorage.setItem('dachuan.session', JSON.stringify(s))", session)


STATS = """
query($r: StatsRangeInput!) {
  monthly: statsCaseCounts(range: $r, groupBy: ["month", "channel"]) { cells { keys { code } display } }
  funnel: statsFunnel(range: $r) { steps { step display } dropOuts { step display } }
  stages: statsProcessingTimes(range: $r) {
    stage display medianWorkingDays { display } p90WorkingDays { display } overLimitShare { display } }
  league: statsProcessingTimes(range: $r, groupBy: ["township"], stages: ["total"]) {
    keys { code } display overLimitShare { display } }
  satisfaction: statsSatisfaction(range: $r, groupBy: ["channel"]) {
    keys { code } display ratings { display } averageRating { display } }
  province: statsProvinceSync(range: $r) { day display failed { display } deadLetters { display } }
}"""


async def _table(page: Page, card: str) -> dict[str, dict[str, str]]:
    """A card's table as {row key: {column key: shown text}}, in the order of its rows."""
    rows = await page.evaluate(
        """card => [...document.querySelectorAll(`[data-testid="card-${card}"] tbody tr`)].map(
             tr => [tr.dataset.key, [...tr.querySelectorAll('td')].map(td => [td.dataset.column, td.textContent.trim()])])""",
        card)
    return {key: dict(cells) for key, cells in rows}


async def _assert_readable(page: Page) -> None:
    """Every visible text at least 14 px with a line height of 1.3 and 4.5:1 contrast; every control 44×44."""
    m = await page.evaluate(MEASURE_JS)
    assert m["texts"] and m["targets"]
    assert [t for t in m["texts"] if t["size"] < 14] == []
    assert [t for t in m["texts"] if t["lineHeight"] < 1.3 * t["size"] - 0.5] == []
    assert [t for t in m["texts"] if t["contrast"] < 4.5] == []
    assert [t for t in m["targets"] if t["width"] < 44 or t["height"] < 44] == []


async def _wait_for_charts(page: Page, n: int) -> None:
    await page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=chart][data-ready=true] svg path').length > 0 && "
        "document.querySelectorAll('[data-testid=chart][data-ready=true]').length >= n", arg=n, timeout=60_000)


async def test_dashboard_draws_every_chart_and_its_table_shows_what_the_api_answers(phone: Page, seeded: Server,
                                                                                   analyst: dict):
    await _as(phone, analyst)
    await phone.goto(f"/analytics?{QUERY}")
    await _wait_for_charts(phone, 6)
    # every chart is drawn (SVG with shapes in it), its table kept for screen readers
    charts = await phone.locator("[data-testid=chart] svg").count()
    assert charts == 6
    api = seeded.gql(STATS, {"r": RANGE}, analyst["token"])

    monthly = await _table(phone, "monthly")
    assert len(api["monthly"]["cells"]) > 20
    for cell in api["monthly"]["cells"]:
        month, channel = (k["code"] for k in cell["keys"])
        assert monthly[month][channel] == cell["display"], (month, channel)

    funnel = await _table(phone, "funnel")
    for kind, cells in (("step", api["funnel"]["steps"]), ("dropOut", api["funnel"]["dropOuts"])):
        for cell in cells:
            assert funnel[f"{kind}-{cell['step']}"]["cases"] == cell["display"]

    stages = await _table(phone, "stages")
    assert len(api["stages"]) == 8
    for cell in api["stages"]:
        row = stages[f"{cell['stage']}-"]
        assert [row["cases"], row["medianWorkingDays"], row["p90WorkingDays"], row["overLimitShare"]] == [
            cell["display"], cell["medianWorkingDays"]["display"], cell["p90WorkingDays"]["display"],
            cell["overLimitShare"]["display"]]

    league = await _table(phone, "league")
    assert len(api["league"]) >= 6
    for cell in api["league"]:
        row = league[cell["keys"][0]["code"]]
        assert [row["decided"], row["overLimitShare"]] == [cell["display"], cell["overLimitShare"]["display"]]
    # worst first
    shown = [float(r["overLimitShare"].rstrip("%")) for r in league.values() if r["overLimitShare"].endswith("%")]
    assert shown == sorted(shown, reverse=True)

    satisfaction = await _table(phone, "satisfaction")
    for cell in api["satisfaction"]:
        row = satisfaction[cell["keys"][0]["code"]]
        assert [row[f"stars{n}"] for n in range(1, 6)] == [r["display"] for r in cell["ratings"]]
        assert row["averageRating"] == cell["averageRating"]["display"]

    province = await _table(phone, "province")
    assert len(province) == len(api["province"]) > 100
    for cell in api["province"]:
        assert [province[cell["day"]][c] for c in ("syncs", "failed", "deadLetters")] == [
            cell["display"], cell["failed"]["display"], cell["deadLetters"]["display"]]

    # small cells: the API suppresses them for an analyst, and the page shows them as such
    assert any(c["failed"]["display"] == "<5" for c in api["province"])
    suppressed = phone.locator('[data-testid="card-province"] td.suppressed')
    assert await suppressed.count() > 0
    assert await suppressed.first.text_content() == "<5"
    assert await phone.get_by_test_id("suppression-note").is_visible()
    await screenshot(phone, "analytics-dashboard", "390x844")
    await phone.get_by_test_id("card-league").scroll_into_view_if_needed()
    await screenshot(phone, "analytics-dashboard-league", "390x844")


async def test_table_view_and_csv_download_carry_the_same_figures(desktop: Page, seeded: Server, supervisor: dict):
    await _as(desktop, supervisor)
    await desktop.goto(f"/analytics?{QUERY}")
    await _wait_for_charts(desktop, 6)
    await screenshot(desktop, "analytics-dashboard", "1366x768")
    card = desktop.get_by_test_id("card-funnel")
    hidden = "e => e.classList.contains('visually-hidden')"  # in the page for screen readers, out of sight
    assert await card.get_by_test_id("table").evaluate(hidden)
    await card.get_by_test_id("toggle-table").click()
    assert not await card.get_by_test_id("table").evaluate(hidden)
    assert (await card.get_by_test_id("table").bounding_box())["height"] > 100
    assert await card.get_by_test_id("chart").count() == 0
    assert await card.get_by_test_id("toggle-table").get_attribute("aria-pressed") == "true"
    await card.scroll_into_view_if_needed()
    await screenshot(desktop, "analytics-dashboard-funnel-table", "1366x768")

    async with desktop.expect_download() as info:
        await card.get_by_test_id("download-csv").click()
    download = await info.value
    assert download.suggested_filename == f"funnel-{RANGE['from']}-{RANGE['to']}.csv"
    raw = await asyncio.to_thread(Path(await download.path()).read_bytes)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    funnel = seeded.gql("query($r: StatsRangeInput!) { statsFunnel(range: $r) { steps { label display } } }",
                        {"r": RANGE}, supervisor["token"])["statsFunnel"]
    assert rows[0][:3] == ["环节", "类别", "件数"]
    assert [(r[0], r[2]) for r in rows[1:6]] == [(s["label"], s["display"]) for s in funnel["steps"]]
    # a supervisor sees exact figures: no suppression note
    assert await desktop.get_by_test_id("suppression-note").count() == 0


async def test_review_page_shows_the_report_and_downloads_it_as_xlsx(desktop: Page, seeded: Server, analyst: dict):
    await _as(desktop, analyst)
    await desktop.goto(f"/analytics/review?{QUERY}")
    await _wait_for_charts(desktop, 5)
    report = seeded.gql(
        "query($r: StatsRangeInput!) { statsReviewReport(range: $r, commentsPerTownship: 20) { total { display } "
        "channelMix { keys { code } display share { display } } timeToDecide { keys { code } medianWorkingDays "
        "{ display } overLimitShare { display } } overdue { keys { code } overLimitShare { display } } "
        "comments { keys { name } comments } } }", {"r": RANGE}, analyst["token"])["statsReviewReport"]
    summary = desktop.get_by_test_id("summary")
    assert await summary.locator("[data-key=total] dd").text_content() == report["total"]["display"]
    assert (await summary.locator("[data-key=decide] dd").text_content()
            == report["timeToDecide"][0]["medianWorkingDays"]["display"])
    mix = await _table(desktop, "review-channelMix")
    for cell in report["channelMix"]:
        assert [mix[cell["keys"][0]["code"]]["cases"], mix[cell["keys"][0]["code"]]["share"]] == [
            cell["display"], cell["share"]["display"]]
    overdue = await _table(desktop, "review-overdue")
    for cell in report["overdue"]:
        assert overdue["total-" + "-".join(k["code"] for k in cell["keys"])]["overLimitShare"] == \
            cell["overLimitShare"]["display"]
    groups = desktop.get_by_test_id("comment-group")
    assert await groups.count() == len(report["comments"]) > 0
    first = report["comments"][0]
    assert first["keys"][0]["name"] in await groups.first.locator("h3").text_content()
    assert len(first["comments"]) > 5
    assert await groups.first.locator("li").count() == 5
    await groups.first.get_by_test_id("more-comments").click()
    assert await groups.first.locator("li").all_text_contents() == first["comments"]
    await screenshot(desktop, "analytics-review", "1366x768")

    async with desktop.expect_download() as info:
        await desktop.get_by_test_id("download-xlsx").click()
    download = await info.value
    assert download.suggested_filename == f"review-report-{RANGE['from']}-{RANGE['to']}.xlsx"
    book = load_workbook(io.BytesIO(await asyncio.to_thread(Path(await download.path()).read_bytes)))
    assert book.sheetnames[:3] == ["概览", "申请渠道", "申请用时"]
    overview = {row[0]: row[1] for row in book["概览"].iter_rows(values_only=True) if row and row[0]}
    assert str(overview["申请件数"]) == report["total"]["display"]


async def test_review_page_on_a_phone(phone: Page, seeded: Server, analyst: dict):
    await _as(phone, analyst)
    await phone.goto(f"/analytics/review?{QUERY}")
    await _wait_for_charts(phone, 5)
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"], f"the page is {width}px wide on a {VIEWPORT['width']}px phone"
    await _assert_readable(phone)
    await screenshot(phone, "analytics-review", "390x844")
    await phone.get_by_test_id("comments").scroll_into_view_if_needed()
    await screenshot(phone, "analytics-review-comments", "390x844")


async def test_dashboard_fits_a_phone_and_a_bad_range_is_said_before_asking(phone: Page, analyst: dict):
    await _as(phone, analyst)
    await phone.goto(f"/analytics?{QUERY}")
    await _wait_for_charts(phone, 6)
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= VIEWPORT["width"], f"the page is {width}px wide on a {VIEWPORT['width']}px phone"
    await _assert_readable(phone)
    await phone.get_by_test_id("range-from").fill(RANGE["to"])
    await phone.get_by_test_id("range-to").fill(RANGE["from"])
    await phone.get_by_test_id("range-to").dispatch_event("change")
    assert "开始日期不能晚于结束日期" in await phone.get_by_test_id("range").get_by_role("alert").text_content()
    # the preset puts a valid range back into the address and the charts come again
    await phone.get_by_test_id("preset-last3").click()
    await phone.wait_for_url(lambda url: "from=" in url and RANGE["from"] not in url)
    await _wait_for_charts(phone, 6)


async def test_a_citizen_and_other_staff_cannot_open_the_statistics(phone: Page, seeded: Server):
    token = await sign_in(phone, seeded, DEMO_PHONE, through_ui=True)
    await phone.goto("/analytics")
    await phone.wait_for_url(lambda url: "/staff/signin" in url)
    assert await phone.get_by_test_id("analytics-dashboard").count() == 0
    await phone.goto("/analytics/review")
    await phone.wait_for_url(lambda url: "/staff/signin" in url)
    # nor can a citizen's token ask the API or fetch the report
    async with httpx.AsyncClient(base_url=seeded.url, headers={"Authorization": f"Bearer {token}"},
                                 timeout=30) as client:
        r = await client.post("/graphql", json={
            "query": '{ statsFunnel(range: {from: "2026-01-01", to: "2026-06-30"}) { steps { count } } }'})
        assert r.json()["errors"][0]["extensions"]["code"] == "role_not_allowed"
        r = await client.get(f"/api/analytics/review-report.xlsx?{QUERY}")
        assert r.status_code == 403
    # a township officer is staff, but not one the statistics are for: sent to the staff home
    await _as(phone, _sign_in_staff(seeded, "jd-cuiping"))
    await phone.goto("/analytics")
    await phone.wait_for_url(lambda url: url.rstrip("/").endswith("/staff"))
    assert await phone.get_by_test_id("analytics-dashboard").count() == 0
