"""The review report as an XLSX download with a bearer token."""

from __future__ import annotations

import io

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook

from api.analytics.routes import router
from tests.analytics.builders import case, survey
from tests.graphql.helpers import bearer, staff_token

URL = "/api/analytics/review-report.xlsx"
RANGE = {"from": "2026-01-01", "to": "2026-12-31"}


@pytest.fixture
async def download():
    """A client for an app carrying only the analytics router (app.py includes it in the service)."""
    app = FastAPI()
    app.include_router(router)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


async def test_review_report_downloads_as_a_workbook(client, download):
    for _ in range(5):
        await survey(await case(channel="proxy"), 5, comment="上门代办，很方便，电话13912345678")
    token = await staff_token(client, "analyst")

    response = await download.get(URL, params=RANGE, headers=bearer(token))

    book = load_workbook(io.BytesIO(response.content))
    comments = [row[2] for row in book["意见（按乡镇）"].iter_rows(min_row=2, values_only=True)]
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert book.sheetnames == ["概览", "申请渠道", "申请用时", "办理用时（按渠道）", "超期（按乡镇）", "满意度", "意见（按乡镇）"]
    assert comments == ["上门代办，很方便，电话[已隐去]"] * 5


async def test_review_report_download_shows_small_cells_as_under_five(client, download):
    await case(channel="self")
    token = await staff_token(client, "analyst")

    response = await download.get(URL, params=RANGE, headers=bearer(token))

    book = load_workbook(io.BytesIO(response.content))
    assert [list(row) for row in book["申请渠道"].iter_rows(min_row=2, values_only=True)] == [["掌上自助", "<5", "<5"]]


async def test_review_report_download_needs_a_signed_in_caller(download):
    response = await download.get(URL, params=RANGE)

    assert (response.status_code, response.json()["error"]["code"]) == (401, "unauthenticated")


async def test_review_report_download_is_refused_to_other_roles(client, download):
    token = await staff_token(client, "village_worker")

    response = await download.get(URL, params=RANGE, headers=bearer(token))

    assert (response.status_code, response.json()["error"]["code"]) == (403, "role_not_allowed")


@pytest.mark.parametrize("params, code", [({"from": "2026-13-01", "to": "2026-12-31"}, "date_invalid"),
                                          ({"to": "2026-12-31"}, "date_invalid"),
                                          ({"from": "2026-12-31", "to": "2026-01-01"}, "range_backwards")])
async def test_review_report_download_refuses_a_bad_range(client, download, params, code):
    token = await staff_token(client, "analyst")

    response = await download.get(URL, params=params, headers=bearer(token))

    assert (response.status_code, response.json()["error"]["code"]) == (400, code)
