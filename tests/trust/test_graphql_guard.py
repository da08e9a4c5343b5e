"""GraphQL guards: a cost limit by page size and nesting, no batches, introspection for staff only in production,
no "Did you mean" hints outside development."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import parse

from api.graphql.limits import LIST_ITEMS, operation_cost
from api.graphql.schema import build_schema
from api.settings import ROOT, Settings
from tests.graphql.helpers import gql, post, staff_token

SCHEMA = build_schema(Settings())._schema
CASES_PAGE = """
query($first: Int!) {
  cases(first: $first) {
    edges { node { id status applicant { id name } events { seq } materials { id } } }
    pageInfo { hasNextPage }
  }
}"""
INTROSPECTION = "query { __schema { queryType { name } types { name } } }"
PROD = {"environment": "production", "secret_key": "x" * 40, "data_key": "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=",
        "province_secret": "real-province-secret-0123456789", "sms_backend": "log",
        "province_callback_keys": {"province-51": "real-callback-secret-0123456789"}}


def _cost(query: str, variables: dict | None = None, limit: int = 10**9) -> int:
    return operation_cost(SCHEMA, parse(query), None, variables, limit)


def test_a_connection_counts_by_its_page_size_and_its_lists_by_their_items():
    # per case: the edge, the node, the applicant, and two lists of LIST_ITEMS each
    assert _cost(CASES_PAGE, {"first": 50}) == 1 + 50 * (1 + 1 + 1 + 2 * LIST_ITEMS) + 1
    assert _cost(CASES_PAGE, {"first": 10}) == 1 + 10 * (3 + 2 * LIST_ITEMS) + 1


def test_page_size_falls_back_to_the_argument_default():
    assert _cost("query { cases { edges { node { id } } } }") == 1 + 20 * 2  # cases(first = 20)


def test_nesting_multiplies_and_fragments_count_like_fields():
    nested = "query { regions { children { children { code } } } }"
    spread = "query { regions { ...R } } fragment R on Region { children { children { code } } }"

    assert _cost(nested) == LIST_ITEMS + LIST_ITEMS**2 + LIST_ITEMS**3
    assert _cost(spread) == _cost(nested)


def test_scalars_and_introspection_cost_nothing():
    assert _cost("query { me { kind name } __schema { types { fields { name } } } }") == 1


def test_every_operation_the_pwa_sends_is_under_the_limit():
    limit = Settings().max_query_cost
    files = sorted((ROOT / "pwa" / "src").rglob("*.graphql"))
    costs = {}
    for path in files:
        document = parse(Path(path).read_text())
        for op in document.definitions:
            if getattr(op, "operation", None) is not None and op.name:
                costs[op.name.value] = operation_cost(SCHEMA, document, op.name.value, {}, limit)

    assert len(costs) > 10
    assert {name: c for name, c in costs.items() if c > limit} == {}


async def test_an_operation_over_the_cost_limit_is_refused_before_it_runs(make_client):
    async with make_client(max_query_cost=400) as client:
        token = await staff_token(client, "verifier")
        small = await gql(client, CASES_PAGE, {"first": 5}, token)
        big = await gql(client, CASES_PAGE, {"first": 50}, token)

    assert "errors" not in small
    assert big["data"] is None
    assert big["errors"][0]["extensions"]["code"] == "query_too_costly"
    assert "查询过于复杂" in big["errors"][0]["message"]


async def test_deeply_nested_lists_are_refused_by_cost_under_the_default_limit(client, db):
    query = "query { regions { " + "children { " * 4 + "code" + " }" * 4 + " } }"  # depth 5, 10^5 regions

    body = await gql(client, query)

    assert body["errors"][0]["extensions"]["code"] == "query_too_costly"


async def test_a_batch_of_operations_is_refused_with_a_clear_error(client, db):
    response = await client.post("/graphql", json=[{"query": "{ me { kind } }"}, {"query": "{ me { name } }"}])

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "batching_not_allowed"
    assert response.json()["errors"][0]["message"] == "不支持批量请求：每次请求只能包含一个操作"


async def test_a_batch_behind_whitespace_is_refused_too(client, db):
    response = await client.post("/graphql", content=b'  \n [{"query": "{ me { kind } }"}]',
                                 headers={"Content-Type": "application/json"})

    assert response.status_code == 400


async def test_a_single_operation_still_passes_the_batch_guard(client, db):
    response = await client.post("/graphql", json={"query": "{ me { kind } }"})

    assert response.json() == {"data": {"me": {"kind": "anonymous"}}}


@pytest.mark.parametrize("caller", ["anonymous", "applicant"])
async def test_production_refuses_introspection_to_everyone_but_staff(make_client, sms, caller):
    from tests.graphql.helpers import new_phone, sign_in_applicant

    async with make_client(**PROD) as client:
        token = await sign_in_applicant(client, sms, new_phone()) if caller == "applicant" else None
        body = await gql(client, INTROSPECTION, token=token)

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "introspection_not_allowed"


async def test_production_answers_introspection_to_staff(make_client):
    async with make_client(**PROD) as client:
        token = await staff_token(client, "analyst")
        body = await gql(client, INTROSPECTION, token=token)

    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_typename_is_not_introspection(make_client):
    async with make_client(**PROD) as client:
        body = await gql(client, "query { __typename me { __typename kind } }")

    assert body["data"] == {"__typename": "Query", "me": {"__typename": "Viewer", "kind": "anonymous"}}


async def test_outside_production_introspection_is_answered_to_anyone(client, db):
    body = await gql(client, INTROSPECTION)

    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_production_error_messages_carry_no_field_suggestions(make_client):
    async with make_client(**PROD) as client:
        response = await post(client, "query { me { kinde } }")

    message = response.json()["errors"][0]["message"]
    assert "kinde" in message
    assert "Did you mean" not in message
    assert "kind'" not in message.replace("kinde'", "")


async def test_development_keeps_suggestions(make_client):
    async with make_client(environment="development") as client:
        response = await post(client, "query { me { kinde } }")

    assert "Did you mean" in response.json()["errors"][0]["message"]


async def test_graphiql_is_served_in_development_only_by_default(make_client):
    html = {"Accept": "text/html"}
    async with make_client(environment="development") as client:
        dev = await client.get("/graphql", headers=html)
    async with make_client(**PROD) as client:
        prod = await client.get("/graphql", headers=html)

    assert dev.status_code == 200 and "graphiql" in dev.text.lower()
    assert "graphiql" not in prod.text.lower()
