"""Limits on what a query may ask, and unexpected failures masked outside development."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest

from api import settings as settings_module
from api.accounts.sms import use_sms
from api.app import create_app
from api.cases import service as case_service
from api.settings import get_settings
from tests.factories import make_case
from tests.graphql.helpers import gql, post, staff_token

CASES = "query($first: Int!, $after: String) { cases(first: $first, after: $after) { edges { node { id } } } }"
BUSY = "系统繁忙，请稍后再试"
SECRET = "secret-detail /srv/dachuan/api/cases/repository.py line 66"


def _nested_regions(depth: int) -> str:
    return "query { regions { " + "children { " * depth + "code" + " }" * depth + " } }"


async def _explode(*args, **kwargs):
    raise RuntimeError(SECRET)


async def _explode_later(*args, **kwargs):
    await asyncio.sleep(0.2)
    raise RuntimeError(SECRET)


async def test_query_within_depth_limit_is_answered(client):
    body = await gql(client, _nested_regions(2))

    assert "errors" not in body
    assert body["data"]["regions"][0]["children"][0]["children"]


async def test_query_deeper_than_the_limit_is_refused(client):
    response = await post(client, _nested_regions(get_settings().max_query_depth + 1))

    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]


async def test_query_with_too_many_aliases_is_refused(client):
    limit = get_settings().max_query_aliases
    query = "query { " + " ".join(f"a{i}: me {{ kind }}" for i in range(limit + 1)) + " }"

    body = (await post(client, query)).json()

    assert body["data"] is None
    assert "aliases" in body["errors"][0]["message"]


async def test_query_with_aliases_up_to_the_limit_is_answered(client):
    limit = get_settings().max_query_aliases
    query = "query { " + " ".join(f"a{i}: me {{ kind }}" for i in range(limit)) + " }"

    body = await gql(client, query)

    assert "errors" not in body
    assert len(body["data"]) == limit


async def test_query_with_too_many_tokens_is_refused(client):
    query = "query { me { " + "kind " * get_settings().max_query_tokens + "} }"

    body = (await post(client, query)).json()

    assert body["data"] is None
    assert "token" in body["errors"][0]["message"].lower()


async def test_page_of_more_than_100_cases_is_refused_with_a_code(client):
    supervisor = await staff_token(client, "supervisor")

    body = await gql(client, CASES, {"first": 101}, supervisor)

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "page_size_invalid"
    assert body["errors"][0]["message"] == "每页条数应为1到100"


async def test_page_of_100_cases_is_allowed(client):
    await make_case("dibao", "submitted")
    supervisor = await staff_token(client, "supervisor")

    body = await gql(client, CASES, {"first": 100}, supervisor)

    assert "errors" not in body
    assert len(body["data"]["cases"]["edges"]) == 1


@pytest.mark.parametrize("cursor", [
    "not-a-cursor", "!!!",
    base64.urlsafe_b64encode(b"case:x").decode(),
    base64.urlsafe_b64encode(b"item:1").decode(),
    base64.urlsafe_b64encode(b"case:99999999999999999999").decode(),
], ids=["garbage", "not-base64", "not-a-number", "other-kind", "out-of-range"])
async def test_invalid_cursor_is_refused_with_a_code(client, cursor):
    supervisor = await staff_token(client, "supervisor")

    body = await gql(client, CASES, {"first": 10, "after": cursor}, supervisor)

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "cursor_invalid"


async def test_unexpected_error_is_masked_outside_development(client, monkeypatch):
    monkeypatch.setattr(settings_module, "_current", get_settings())  # create_app replaces it; put it back after
    app = create_app(get_settings().model_copy(update={"environment": "test"}), manage_database=False)
    supervisor = await staff_token(client, "supervisor")
    monkeypatch.setattr(case_service, "page", _explode)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as test_client:
        response = await post(test_client, CASES, {"first": 10}, supervisor)

    assert response.status_code == 200
    error = response.json()["errors"][0]
    assert (error["message"], error["path"], error["extensions"]) == (BUSY, ["cases"], {"code": "internal_error"})
    assert "secret-detail" not in response.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text


async def test_unexpected_error_is_shown_in_development(client, sms, monkeypatch):
    monkeypatch.setattr(settings_module, "_current", get_settings())
    app = create_app(get_settings().model_copy(update={"environment": "development"}), manage_database=False)
    use_sms(sms)
    supervisor = await staff_token(client, "supervisor")
    monkeypatch.setattr(case_service, "page", _explode)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as dev_client:
        body = (await post(dev_client, CASES, {"first": 10}, supervisor)).json()

    assert body["errors"][0]["message"] == SECRET


async def test_unexpected_error_stays_masked_while_other_requests_run(client, monkeypatch):
    supervisor = await staff_token(client, "supervisor")
    monkeypatch.setattr(case_service, "page", _explode_later)

    failing = asyncio.create_task(post(client, CASES, {"first": 10}, supervisor))
    await asyncio.sleep(0.05)
    meanwhile = await gql(client, "query { me { kind } }", token=supervisor)
    response = await failing

    assert meanwhile == {"data": {"me": {"kind": "staff"}}}
    assert "secret-detail" not in response.text
    assert response.json()["errors"][0]["message"] == BUSY
