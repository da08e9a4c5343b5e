"""Over-long strings in every argument that reaches a look-up or a filter get a typed answer, never a crash.

The ORM measures an equality or IN value against the length of its column and raises when it is longer, so each
argument below either is measured before it reaches the database (`api.kit.lookups`) or is checked against what
can exist. Runs on SQLite and on PostgreSQL (varchar(n) columns).

A refusal that names the value it refuses repeats only its first characters (`api.kit.errors.echo`): a 10 KB
value does not come back 10 KB long, and the message still says in Chinese what was wrong."""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest
from tortoise.exceptions import ValidationError as OrmValidationError

from api.accounts.models import StaffAccount
from api.aid_items.models import AidItem
from api.audit.models import AccessLog
from api.kit.errors import ValidationError, cut_quoted, echo, echo_all
from api.kit.forms import clean_form
from api.kit.idnumber import make_id_number
from api.kit.lookups import fits, fitting
from api.regions.models import Region
from tests.factories import DISTRICT, XINQIAO, tiny_png
from tests.graphql.helpers import bearer, gql, staff_token, upload

LONG = "x" * 300
LONG_NUMBER = "9" * 300
LONG_REGION = DISTRICT + "0" * 300  # inside the district, longer than any region code
HUGE = "长" + "x" * 10_000  # 10 KB: what an echoed value would add to the answer
SHORT_MESSAGE = 200  # characters a refusal may take at most, whatever the caller sent
CHINESE = re.compile(r"[\u4e00-\u9fff]")
RANGE = {"from": "2026-01-01", "to": "2026-06-30"}

# (argument, caller, operation, variables, answer): the answer is the data (nothing found), or the code of the
# one typed error
ARGUMENTS = [
    ("region(code)", None, "query($v:String!){ region(code:$v){ name } }", {"v": LONG}, {"region": None}),
    ("regions(parentCode)", None, "query($v:String){ regions(parentCode:$v){ code } }", {"v": LONG},
     {"regions": []}),
    ("aidItem(code)", None, "query($v:String!){ aidItem(code:$v){ code } }", {"v": LONG}, {"aidItem": None}),
    ("authStaffSignIn(username)", None,
     "mutation($v:String!){ authStaffSignIn(username:$v, password:\"Passw0rd!x\"){ __typename ... on Error { code } } }",
     {"v": LONG}, {"authStaffSignIn": {"__typename": "AuthError", "code": "bad_credentials"}}),
    ("staffAccounts(role)", "admin", "query($v:String){ staffAccounts(role:$v){ id } }", {"v": LONG},
     {"staffAccounts": []}),
    ("staffSessions(staffId)", "admin", "query($v:ID!){ staffSessions(staffId:$v){ id } }", {"v": LONG_NUMBER},
     "id_invalid"),
    ("applicants(query)", "village_worker", "query($v:String){ applicants(query:$v){ id } }", {"v": LONG},
     {"applicants": []}),
    ("applicant(id)", "village_worker", "query($v:ID!){ applicant(id:$v){ id } }", {"v": LONG}, "id_invalid"),
    ("cases(filter.itemCodes)", "supervisor",
     "query($v:String!){ cases(filter:{itemCodes:[$v]}){ edges { cursor } } }", {"v": LONG}, "item_not_found"),
    ("cases(filter.regionCode)", "supervisor",
     "query($v:String!){ cases(filter:{regionCode:$v}){ edges { cursor } } }", {"v": LONG_REGION},
     {"cases": {"edges": []}}),
    ("cases(after)", "supervisor", "query($v:String!){ cases(after:$v){ edges { cursor } } }", {"v": LONG},
     "cursor_invalid"),
    ("case(id)", "supervisor", "query($v:ID!){ case(id:$v){ id } }", {"v": LONG_NUMBER}, "id_invalid"),
    ("caseAssignees(caseId)", "supervisor", "query($v:ID!){ caseAssignees(caseId:$v){ id } }", {"v": LONG},
     "id_invalid"),
    ("accessLog(filter.requestId)", "supervisor",
     "query($v:String!){ accessLog(filter:{requestId:$v}){ edges { cursor } } }", {"v": LONG},
     {"accessLog": {"edges": []}}),
    ("accessLog(filter.staffId)", "supervisor",
     "query($v:ID!){ accessLog(filter:{staffId:$v}){ edges { cursor } } }", {"v": LONG_NUMBER}, "id_invalid"),
    ("accessLog(after)", "supervisor", "query($v:String!){ accessLog(after:$v){ edges { cursor } } }", {"v": LONG},
     "cursor_invalid"),
    ("provinceSyncs(states)", "supervisor", "query($v:String!){ provinceSyncs(states:[$v]){ state } }", {"v": LONG},
     "state_invalid"),
    ("paymentLines(batchId)", "finance", "query($v:ID!){ paymentLines(batchId:$v){ id } }", {"v": LONG_NUMBER},
     "id_invalid"),
    ("statsCaseCounts(groupBy)", "analyst",
     "query($r:StatsRangeInput!, $v:String!){ statsCaseCounts(range:$r, groupBy:[$v]){ groupBy } }",
     {"r": RANGE, "v": LONG}, "group_by_unknown"),
    ("statsCaseCounts(filters.field)", "analyst",
     "query($r:StatsRangeInput!, $v:String!){ statsCaseCounts(range:$r, groupBy:[], filters:[{field:$v, values:[\"a\"]}])"
     "{ groupBy } }", {"r": RANGE, "v": LONG}, "filter_unknown"),
    ("statsCaseCounts(filters.values village)", "analyst",
     "query($r:StatsRangeInput!, $v:String!){ statsCaseCounts(range:$r, groupBy:[], filters:[{field:\"village\", "
     "values:[$v]}]){ groupBy } }", {"r": RANGE, "v": LONG_REGION}, "filter_value_invalid"),
    ("statsFunnel(filters.values item)", "analyst",
     "query($r:StatsRangeInput!, $v:String!){ statsFunnel(range:$r, filters:[{field:\"item\", values:[$v]}])"
     "{ __typename } }", {"r": RANGE, "v": LONG}, "filter_value_invalid"),
    ("statsProcessingTimes(stages)", "analyst",
     "query($r:StatsRangeInput!, $v:String!){ statsProcessingTimes(range:$r, stages:[$v]){ stage } }",
     {"r": RANGE, "v": LONG}, "stage_unknown"),
]


FOUND_NOTHING = [a for a in ARGUMENTS if isinstance(a[4], dict)]
REFUSED = [a for a in ARGUMENTS if isinstance(a[4], str)]


@pytest.mark.parametrize(("argument", "caller", "operation", "variables", "answer"), FOUND_NOTHING,
                         ids=[a[0] for a in FOUND_NOTHING])
async def test_an_over_long_argument_finds_nothing(client, db, argument, caller, operation, variables, answer):
    token = await staff_token(client, caller) if caller else None

    body = await gql(client, operation, variables, token)

    assert body == {"data": answer}, body


@pytest.mark.parametrize(("argument", "caller", "operation", "variables", "code"), REFUSED,
                         ids=[a[0] for a in REFUSED])
async def test_an_over_long_argument_is_a_typed_error(client, db, argument, caller, operation, variables, code):
    token = await staff_token(client, caller)

    body = await gql(client, operation, variables, token)

    assert [e["extensions"]["code"] for e in body["errors"]] == [code], body
    message = body["errors"][0]["message"]
    assert "系统繁忙" not in message, body
    assert len(message) < SHORT_MESSAGE and CHINESE.search(message), message


def _refusal(body: dict) -> tuple[str, str, str | None]:
    """Returns (code, message, field) of the one typed refusal a query or a mutation answered with."""
    if body.get("errors"):
        [error] = body["errors"]
        return error["extensions"]["code"], error["message"], error["extensions"].get("field")
    [payload] = body["data"].values()
    assert payload["__typename"].endswith("Error"), body
    return payload["code"], payload["message"], payload.get("field")


TAIL = "{ __typename ... on Error { code message } ... on ValidationError { field } }"
AID_ITEM = "mutation($i:AidItemUpdateInput!){ aidItemUpdate(input:$i) " + TAIL + " }"
REGION_IMPORT = "mutation($v:String!){ regionImport(csv:$v) " + TAIL + " }"
STATS = ("query($r:StatsRangeInput!, $v:String!){ statsCaseCounts(range:$r, groupBy:[], "
         "filters:[{field:\"item\", values:[$v, $v, $v, $v, $v, $v, $v]}]){ groupBy } }")
# (refusal, caller, operation, variables, code): each message names the caller's value (or values)
ECHOED = [
    ("cases(filter.itemCodes)", "supervisor",
     "query($v:String!){ cases(filter:{itemCodes:[$v]}){ edges { cursor } } }", {"v": HUGE}, "item_not_found"),
    ("aidItemUpdate(code)", "admin", AID_ITEM, {"i": {"code": HUGE}}, "item_not_found"),
    ("aidItemUpdate(stageLimits)", "admin", AID_ITEM, {"i": {"code": "dibao", "stageLimits": {HUGE: 5}}},
     "stage_limits_invalid"),
    ("aidItemUpdate(materials)", "admin", AID_ITEM,
     {"i": {"code": "dibao", "materials": [{"code": HUGE, "name": "甲"}, {"code": HUGE, "name": "乙"}]}},
     "materials_invalid"),
    ("aidItemUpdate(form name)", "admin", AID_ITEM,
     {"i": {"code": "dibao", "form": [{"name": HUGE, "label": "收入", "type": "text"}]}}, "form_schema_invalid"),
    ("aidItemUpdate(form type)", "admin", AID_ITEM,
     {"i": {"code": "dibao", "form": [{"name": "income", "label": "收入", "type": HUGE}]}}, "form_schema_invalid"),
    ("aidItemUpdate(form keys)", "admin", AID_ITEM,
     {"i": {"code": "dibao", "form": [{"name": "income", "label": "收入", "type": "text",
                                       **{f"{HUGE}{n}": 1 for n in range(20)}}]}}, "form_schema_invalid"),
    ("aidItemUpdate(form option)", "admin", AID_ITEM,
     {"i": {"code": "dibao", "form": [{"name": "kind", "label": "类别", "type": "select",
                                       "options": [{"value": HUGE, "label": " "}]}]}}, "form_schema_invalid"),
    ("regionImport(code)", "admin",
     REGION_IMPORT,
     {"v": f"{HUGE},矩阵村,village,511703002"}, "region_import_invalid"),
    ("regionImport(level)", "admin",
     REGION_IMPORT,
     {"v": f"511703002099,矩阵村,{HUGE},511703002"}, "region_import_invalid"),
    ("regionImport(parent)", "admin",
     REGION_IMPORT,
     {"v": f"511703002099,矩阵村,village,{HUGE}"}, "region_import_invalid"),
    ("staffCreate(role)", "admin",
     "mutation($v:String!){ staffCreate(input:{username:\"echo.test\", displayName:\"回显\", role:$v, "
     "regionCode:\"511703\"}) " + TAIL + " }", {"v": HUGE}, "role_invalid"),
    ("statsCaseCounts(groupBy)", "analyst",
     "query($r:StatsRangeInput!, $v:String!){ statsCaseCounts(range:$r, groupBy:[$v]){ groupBy } }",
     {"r": RANGE, "v": HUGE}, "group_by_unknown"),
    ("statsCaseCounts(filters.field)", "analyst",
     "query($r:StatsRangeInput!, $v:String!){ statsCaseCounts(range:$r, groupBy:[], filters:[{field:$v, "
     "values:[\"a\"]}]){ groupBy } }", {"r": RANGE, "v": HUGE}, "filter_unknown"),
    ("statsCaseCounts(filters.values, seven of them)", "analyst", STATS, {"r": RANGE, "v": HUGE},
     "filter_value_invalid"),
    ("statsProcessingTimes(stages)", "analyst",
     "query($r:StatsRangeInput!, $v:String!){ statsProcessingTimes(range:$r, stages:[$v, $v, $v, $v, $v, $v]){ "
     "stage } }", {"r": RANGE, "v": HUGE}, "stage_unknown"),
    ("provinceSyncs(states)", "supervisor",
     "query($v:String!){ provinceSyncs(states:[$v]){ state } }", {"v": HUGE}, "state_invalid"),
]


@pytest.mark.parametrize(("refusal", "caller", "operation", "variables", "code"), ECHOED,
                         ids=[a[0] for a in ECHOED])
async def test_a_refusal_names_a_10_kb_value_by_its_first_characters(client, db, refusal, caller, operation,
                                                                     variables, code):
    token = await staff_token(client, caller)

    body = await gql(client, operation, variables, token)

    got, message, field = _refusal(body)
    assert got == code, body
    assert len(message) < SHORT_MESSAGE, f"{len(message)} characters: {message[:300]}"
    assert CHINESE.search(message.replace(echo(HUGE), "")), message  # says what is wrong, in Chinese
    assert echo(HUGE) in message, message  # and which value: its first characters, then "…"
    assert field is None or len(field) < SHORT_MESSAGE, field


# (what, operation, variables, what the message still names): values graphql-core refuses before any resolver
# runs, with a message of its own that repeats the value
COERCED = [
    ("an enum value in a variable", "query($v:[CaseStatus!]){ cases(filter:{status:$v}){ edges { cursor } } }",
     {"v": [HUGE]}, "CaseStatus"),
    ("a string for an Int variable", "query($v:Int){ cases(first:$v){ edges { cursor } } }", {"v": HUGE},
     "Int cannot represent"),
    ("a string for an Int in the document", 'query{ cases(first:"' + HUGE + '"){ edges { cursor } } }', None,
     "Int cannot represent"),
]


@pytest.mark.parametrize(("what", "operation", "variables", "named"), COERCED, ids=[c[0] for c in COERCED])
async def test_a_10_kb_value_graphql_refuses_comes_back_cut(client, db, what, operation, variables, named):
    token = await staff_token(client, "supervisor")

    body = await gql(client, operation, variables, token)

    [error] = body["errors"]
    assert len(error["message"]) < SHORT_MESSAGE, f"{len(error['message'])} characters: {error['message'][:300]}"
    assert named in error["message"] and echo(HUGE) in error["message"], error["message"]


def test_an_unknown_form_answer_is_named_by_its_first_characters_in_the_message_and_the_field():
    with pytest.raises(ValidationError) as refused:
        clean_form([], {HUGE: "1"})

    assert refused.value.code == "form_field_unknown"
    assert refused.value.message == f"表单中没有「{HUGE[:24]}…」这一项"
    assert refused.value.field == f"{HUGE[:24]}…"


def test_echo_keeps_a_short_value_whole_and_cuts_a_long_one():
    assert echo("dibao") == "dibao"
    assert echo("长" * 24) == "长" * 24
    assert echo("长" * 25) == "长" * 24 + "…"
    assert echo_all(["a", "b"]) == "a、b"
    assert echo_all([HUGE] * 7) == "、".join([HUGE[:24] + "…"] * 5) + "等7项"


def test_cut_quoted_cuts_the_long_values_of_a_message_and_keeps_its_words():
    assert cut_quoted(f"Variable '$v' has invalid value at [0]: Value '{HUGE}' does not exist in 'CaseStatus' enum.") == (
        f"Variable '$v' has invalid value at [0]: Value '{HUGE[:24]}…' does not exist in 'CaseStatus' enum.")
    assert cut_quoted("Variable '$n' of required type 'Int!' was not provided.") == (
        "Variable '$n' of required type 'Int!' was not provided.")
    assert len(cut_quoted("Values " + "'ab', " * 3000)) == 301  # many short values: the message itself is cut


async def test_an_over_long_bank_name_is_a_validation_error_rather_than_a_failed_write(client, db):
    token = await staff_token(client, "village_worker")
    profile = {"name": "孙长寿", "idNumber": make_id_number(birth=date(1944, 4, 4), seq=78), "address": "新桥村1组",
               "regionCode": XINQIAO, "bankName": "农" * 65, "bankAccount": "6217995555000011222"}

    body = await gql(client, "mutation($i:ProfileInput!){ applicantRegister(input:$i){ __typename "
                             "... on ValidationError { code field } } }", {"i": profile}, token)

    assert body == {"data": {"applicantRegister": {"__typename": "ValidationError", "code": "bank_name_too_long",
                                                   "field": "bankName"}}}


async def test_an_over_long_material_id_or_link_is_not_found_or_refused(client, db):
    token = await staff_token(client, "supervisor")

    by_id = await client.get(f"/api/materials/{LONG}", headers=bearer(token))
    by_link = await client.get(f"/api/materials/{uuid.uuid4()}", params={"link": LONG})

    assert (by_id.status_code, by_id.json()["error"]["code"]) == (404, "material_not_found")
    assert (by_link.status_code, by_link.json()["error"]["code"]) == (403, "link_invalid")


@pytest.mark.parametrize("form_field", ["case_id", "applicant_id"])
async def test_an_over_long_case_or_applicant_id_of_an_upload_is_refused(client, db, form_field):
    token = await staff_token(client, "village_worker")

    response = await upload(client, token, tiny_png(), filename="x.png", **{form_field: LONG_NUMBER})

    assert (response.status_code, response.json()["error"]) == (400, {
        "code": "id_invalid", "message": "编号无效", "field": form_field.replace("_id", "Id")}), response.text


@pytest.mark.parametrize("batch_id", [LONG_NUMBER, "2147483648", LONG, "-1"])
async def test_a_batch_id_that_cannot_exist_is_not_found(client, db, batch_id):
    token = await staff_token(client, "finance")

    response = await client.get(f"/api/disbursements/batches/{batch_id}.xlsx", headers=bearer(token))

    assert (response.status_code, response.json()["error"]["code"]) == (404, "id_invalid"), response.text


async def test_an_over_long_report_date_is_a_validation_error(client, db):
    token = await staff_token(client, "analyst")

    response = await client.get("/api/analytics/review-report.xlsx", params={"from": LONG, "to": LONG},
                                headers=bearer(token))

    assert (response.status_code, response.json()["error"]) == (400, {
        "code": "date_invalid", "message": "请按“2026-01-31”的格式填写开始日期", "field": "from"})


@pytest.mark.parametrize(("model", "field", "longest"), [(Region, "code", 12), (AidItem, "code", 32),
                                                         (StaffAccount, "username", 64), (StaffAccount, "role", 32),
                                                         (AccessLog, "request_id", 64)])
async def test_the_guard_measures_against_the_column_the_orm_would_refuse(db, model, field, longest):
    assert fits("a" * longest, model, field) and fits(None, model, field)
    assert not fits("a" * (longest + 1), model, field)
    assert fitting(["a", "a" * (longest + 1), "b" * longest], model, field) == ["a", "b" * longest]
    # what the guard spares the callers: the ORM refuses the look-up itself rather than finding nothing
    with pytest.raises(OrmValidationError):
        await model.filter(**{field: "a" * (longest + 1)}).first()
    assert await model.filter(**{field: "a" * longest}).first() is None
