"""Two administrators editing one aid item: an edit based on what is no longer stored is refused, not written over
the other one (`expectedUpdatedAt`); an edit without it writes as before."""

from datetime import datetime

import pytest

from api.aid_items import service
from api.aid_items.models import AidItem
from api.kit.db import unit_of_work
from api.kit.errors import ConflictError
from tests.factories import ADMIN, make_case
from tests.graphql.helpers import gql, staff_token

ITEMS = "{ aidItems(includeDisabled: true) { code name description updatedAt } }"
UPDATE = """
mutation($input: AidItemUpdateInput!) {
  aidItemUpdate(input: $input) {
    __typename
    ... on AidItemUpdateSuccess { item { code description updatedAt } }
    ... on ConflictError { field }
    ... on Error { code message }
  }
}"""


async def _update(change: service.ItemUpdate) -> AidItem:
    async with unit_of_work():
        return await service.update(ADMIN, "dibao", change)


async def test_an_edit_based_on_what_is_stored_is_saved(db):
    before = await AidItem.get(code="dibao")
    saved = await _update(service.ItemUpdate(description="第一次修改", expected_updated_at=before.updated_at))
    assert saved.description == "第一次修改"
    assert saved.updated_at != before.updated_at


async def test_an_edit_based_on_an_older_version_is_refused_and_changes_nothing(db):
    opened = (await AidItem.get(code="dibao")).updated_at  # both administrators opened the item here
    await _update(service.ItemUpdate(description="甲的修改", expected_updated_at=opened))
    with pytest.raises(ConflictError) as refused:
        await _update(service.ItemUpdate(description="乙的修改", name="乙改的名字", expected_updated_at=opened))
    assert refused.value.code == "item_changed"
    assert "其他管理员修改" in refused.value.message
    stored = await AidItem.get(code="dibao")
    assert (stored.description, stored.name) == ("甲的修改", "最低生活保障")


async def test_an_edit_without_a_version_writes_over_whatever_is_stored(db):
    await _update(service.ItemUpdate(description="甲的修改"))
    saved = await _update(service.ItemUpdate(enabled=False))
    assert (saved.description, saved.enabled) == ("甲的修改", False)


async def test_through_graphql_the_second_of_two_edits_from_one_version_gets_a_typed_conflict(client):
    admin = await staff_token(client, "admin")
    items = (await gql(client, ITEMS, token=admin))["data"]["aidItems"]
    opened = next(i for i in items if i["code"] == "dibao")["updatedAt"]
    datetime.fromisoformat(opened)  # a timestamp the client can send back as it came

    first = (await gql(client, UPDATE, {"input": {"code": "dibao", "description": "甲的修改",
                                                  "expectedUpdatedAt": opened}}, admin))["data"]["aidItemUpdate"]
    assert first["__typename"] == "AidItemUpdateSuccess" and first["item"]["updatedAt"] != opened
    second = (await gql(client, UPDATE, {"input": {"code": "dibao", "description": "乙的修改",
                                                   "expectedUpdatedAt": opened}}, admin))["data"]["aidItemUpdate"]
    assert second["__typename"] == "ConflictError"
    assert (second["code"], second["field"]) == ("item_changed", "expectedUpdatedAt")
    assert "「最低生活保障」刚被其他管理员修改过" in second["message"]
    again = (await gql(client, UPDATE, {"input": {"code": "dibao", "description": "乙核对后的修改",
                                                  "expectedUpdatedAt": first["item"]["updatedAt"]}},
                       admin))["data"]["aidItemUpdate"]
    assert again["__typename"] == "AidItemUpdateSuccess" and again["item"]["description"] == "乙核对后的修改"


async def test_a_cases_item_shows_the_same_version_as_the_catalogue(client):
    await make_case()
    supervisor = await staff_token(client, "supervisor")
    body = await gql(client, "{ cases(first: 1) { edges { node { item { code updatedAt } } } } }", token=supervisor)
    item = body["data"]["cases"]["edges"][0]["node"]["item"]
    stored = await AidItem.get(code=item["code"])
    assert datetime.fromisoformat(item["updatedAt"]) == stored.updated_at
