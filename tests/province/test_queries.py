"""The provincial sync board over GraphQL: each sync names its case by number, without a query per sync."""

from __future__ import annotations

from api.province.models import ProvinceSync
from tests.factories import make_case
from tests.graphql.helpers import counting_sql, gql, staff_token

BOARD = "query($s: [String!]) { provinceSyncs(states: $s) { caseId caseNumber state } }"
RETRY = """
mutation($id: ID!) {
  provinceSyncRetry(caseId: $id) { __typename ... on ProvinceSyncSuccess { sync { caseId caseNumber state } } }
}"""
CASE = 'query($id: ID!) { case(id: $id) { number provinceSync { caseNumber } } }'


async def _board(client, token: str, states: list[str]) -> tuple[list[dict], list[str]]:
    with counting_sql() as statements:
        body = await gql(client, BOARD, {"s": states}, token)
    assert "errors" not in body, body
    return body["data"]["provinceSyncs"], list(statements)


async def test_the_sync_board_names_each_case_by_number_at_the_same_cost_whatever_its_length(client):
    cases = [await make_case("gaoling", "accepted") for _ in range(4)]
    await ProvinceSync.filter(case_id=cases[0].id).update(state="dead")
    supervisor = await staff_token(client, "supervisor")

    one, few = await _board(client, supervisor, ["dead"])
    four, many = await _board(client, supervisor, ["dead", "pending"])

    assert one == [{"caseId": str(cases[0].id), "caseNumber": cases[0].number, "state": "dead"}]
    assert sorted((s["caseId"], s["caseNumber"]) for s in four) == sorted((str(c.id), c.number) for c in cases)
    assert len(few) == len(many), "\n".join(many)


async def test_a_retried_sync_and_a_cases_own_sync_carry_the_case_number(client):
    case = await make_case("gaoling", "accepted")
    await ProvinceSync.filter(case_id=case.id).update(state="dead")
    supervisor = await staff_token(client, "supervisor")

    retried = (await gql(client, RETRY, {"id": str(case.id)}, supervisor))["data"]["provinceSyncRetry"]
    shown = (await gql(client, CASE, {"id": str(case.id)}, supervisor))["data"]["case"]

    assert retried == {"__typename": "ProvinceSyncSuccess",
                       "sync": {"caseId": str(case.id), "caseNumber": case.number, "state": "pending"}}
    assert shown == {"number": case.number, "provinceSync": {"caseNumber": case.number}}


async def test_an_analyst_reading_a_case_sees_no_sync_and_so_no_number_through_it(client):
    case = await make_case("gaoling", "accepted")
    analyst = await staff_token(client, "analyst")

    shown = (await gql(client, CASE, {"id": str(case.id)}, analyst))["data"]["case"]

    assert shown == {"number": case.number, "provinceSync": None}
