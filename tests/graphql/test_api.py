"""The GraphQL API end to end: a 低保 case from the citizen's phone to approval, and typed errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from api.applicants.models import Applicant
from api.kit import clock
from api.kit.idnumber import make_id_number
from tests.factories import XINQIAO, make_applicant, make_case, sample_form
from tests.graphql.helpers import gql, jpeg, new_phone, sign_in_applicant, staff_token, upload

PROFILE_SAVE = """
mutation($input: ProfileInput!) {
  profileSave(input: $input) {
    __typename
    ... on ApplicantSuccess { applicant { id name idNumber regionCode } }
    ... on ValidationError { code message field }
    ... on Error { code message }
  }
}"""
CASE_SUBMIT = """
mutation($input: CaseSubmitInput!) {
  caseSubmit(input: $input) {
    __typename
    ... on CaseSuccess { case { id number status lastSeq } }
    ... on Error { code message }
  }
}"""
CASE_FIELDS = "__typename ... on CaseSuccess { case { id status lastSeq } } ... on Error { code message }"
ACCEPT = f"mutation($id: ID!) {{ caseAccept(caseId: $id) {{ {CASE_FIELDS} }} }}"
INVESTIGATE = f"mutation($id: ID!, $in: InvestigationInput!) {{ caseInvestigate(caseId: $id, input: $in) {{ {CASE_FIELDS} }} }}"
VERIFY = f"mutation($id: ID!, $in: VerificationInput!) {{ caseVerify(caseId: $id, input: $in) {{ {CASE_FIELDS} }} }}"
REVIEW = f"mutation($id: ID!) {{ caseReview(caseId: $id, opinion: \"同意上报\") {{ {CASE_FIELDS} }} }}"
APPROVE = (f"mutation($id: ID!) {{ caseApprove(caseId: $id, amount: \"650\", startMonth: \"2026-12\") "
           f"{{ {CASE_FIELDS} }} }}")
CASE = """
query($id: ID!) {
  case(id: $id) { status amount startMonth lastSeq events { seq action toStatus } materials { id contentType } }
}"""
ME = "query { me { kind applicant { id } } }"


def profile(id_number: str) -> dict:
    return {"name": "李秀英", "idNumber": id_number, "address": "翠屏街道新桥村3组12号", "regionCode": XINQIAO}


async def _applicant_with_profile(client, sms) -> str:
    phone = new_phone()
    await make_applicant(phone=phone)
    return await sign_in_applicant(client, sms, phone)


async def test_dibao_goes_from_phone_to_approved_through_graphql(client, sms):
    token = await sign_in_applicant(client, sms, new_phone())
    id_number = make_id_number(birth=date(1958, 3, 9), seq=421)
    saved = await gql(client, PROFILE_SAVE, {"input": profile(id_number)}, token)
    assert saved["data"]["profileSave"]["__typename"] == "ApplicantSuccess"
    assert saved["data"]["profileSave"]["applicant"]["idNumber"] == id_number

    photo = await upload(client, token, jpeg(), kind="id_card", filename="身份证.jpg")
    hukou = await upload(client, token, jpeg(), kind="hukou", filename="户口簿.jpg")
    authorization = await upload(client, token, jpeg(), kind="authorization", filename="授权书.jpg")
    assert [photo.status_code, hukou.status_code, authorization.status_code] == [201, 201, 201]
    material_ids = [photo.json()["id"], hukou.json()["id"], authorization.json()["id"]]

    submitted = await gql(client, CASE_SUBMIT, {"input": {
        "itemCode": "dibao", "submissionKey": "key-happy-path-0001", "form": sample_form("dibao"),
        "materialIds": material_ids}}, token)
    case = submitted["data"]["caseSubmit"]
    assert case["__typename"] == "CaseSuccess", submitted
    case_id = case["case"]["id"]
    assert case["case"]["status"] == "SUBMITTED"

    township = await staff_token(client, "township_officer")
    verifier = await staff_token(client, "verifier")
    steps = [
        (ACCEPT, township, {}, "INVESTIGATING"),
        (INVESTIGATE, township, {"in": {"investigators": ["王五", "赵六"], "conclusion": "情况属实",
                                        "visitedAt": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}},
         "VERIFYING"),
        (VERIFY, verifier, {"in": {"result": "PASS", "householdMonthlyIncome": "800"}}, "REVIEWING"),
        (REVIEW, township, {}, "APPROVING"),
    ]
    statuses = []
    for query, who, variables, _ in steps:
        body = await gql(client, query, {"id": case_id, **variables}, who)
        statuses.append(next(iter(body["data"].values()))["case"]["status"])
    assert statuses == [expected for *_, expected in steps]

    clock.freeze(datetime.now(UTC) + timedelta(days=7, minutes=5))  # past the 7-day public notice
    approver = await staff_token(client, "approver")
    approved = await gql(client, APPROVE, {"id": case_id}, approver)
    assert approved["data"]["caseApprove"]["case"]["status"] == "APPROVED"

    seen = await gql(client, CASE, {"id": case_id}, approver)
    final = seen["data"]["case"]
    assert final["status"] == "APPROVED"
    assert final["amount"] == "650.00"
    assert [e["seq"] for e in final["events"]] == list(range(1, final["lastSeq"] + 1))
    assert [e["action"] for e in final["events"]] == ["submit", "accept", "investigate", "verify", "review",
                                                      "approve"]
    assert sorted(m["id"] for m in final["materials"]) == sorted(material_ids)


async def test_profile_save_with_wrong_check_digit_is_a_validation_error_and_writes_nothing(client, sms):
    token = await sign_in_applicant(client, sms, new_phone())
    wrong = "511703197001010114"  # 511703197001010113 with its check digit changed

    body = await gql(client, PROFILE_SAVE, {"input": profile(wrong)}, token)

    assert "errors" not in body
    error = body["data"]["profileSave"]
    assert error == {"__typename": "ValidationError", "code": "id_number_checksum",
                     "message": "身份证号码最后一位校验码不正确，请核对", "field": "idNumber"}
    assert await Applicant.all().count() == 0
    me = await gql(client, ME, token=token)
    assert me["data"]["me"] == {"kind": "applicant", "applicant": None}


async def test_case_submit_for_unknown_item_is_not_found(client, sms):
    token = await _applicant_with_profile(client, sms)

    body = await gql(client, CASE_SUBMIT, {"input": {"itemCode": "no_such_item", "submissionKey": "key-unknown-item-1"}},
                     token)

    assert "errors" not in body
    assert body["data"]["caseSubmit"]["__typename"] == "NotFoundError"
    assert body["data"]["caseSubmit"]["code"] == "item_not_found"
    assert "救助事项" in body["data"]["caseSubmit"]["message"]


async def test_transition_out_of_order_is_a_conflict(client):
    case = await make_case("dibao", "submitted")
    verifier = await staff_token(client, "verifier")

    body = await gql(client, VERIFY, {"id": str(case.id), "in": {"result": "PASS"}}, verifier)

    assert "errors" not in body
    assert body["data"]["caseVerify"] == {"__typename": "ConflictError", "code": "invalid_transition",
                                          "message": "申请当前为「已提交，待受理」，不能办理「家庭经济状况核对」"}


async def test_transition_by_wrong_role_is_not_allowed(client):
    case = await make_case("dibao", "submitted")
    verifier = await staff_token(client, "verifier")

    body = await gql(client, ACCEPT, {"id": str(case.id)}, verifier)

    assert "errors" not in body
    assert body["data"]["caseAccept"]["__typename"] == "NotAllowedError"
    assert body["data"]["caseAccept"]["code"] == "role_not_allowed"
    assert "受理" in body["data"]["caseAccept"]["message"]


async def test_anonymous_mutation_is_an_auth_error(client):
    case = await make_case("dibao", "submitted")

    body = await gql(client, ACCEPT, {"id": str(case.id)})

    assert "errors" not in body
    assert body["data"]["caseAccept"] == {"__typename": "AuthError", "code": "unauthenticated", "message": "请先登录"}


async def test_refused_mutation_leaves_the_case_unchanged(client):
    case = await make_case("dibao", "submitted")
    verifier = await staff_token(client, "verifier")
    supervisor = await staff_token(client, "supervisor")

    await gql(client, ACCEPT, {"id": str(case.id)}, verifier)
    body = await gql(client, CASE, {"id": str(case.id)}, supervisor)

    assert body["data"]["case"]["status"] == "SUBMITTED"
    assert [e["seq"] for e in body["data"]["case"]["events"]] == [1]


async def test_case_with_out_of_range_id_is_not_found(client):
    supervisor = await staff_token(client, "supervisor")

    body = await gql(client, CASE, {"id": "99999999999999999999"}, supervisor)

    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "id_invalid"


async def test_action_on_out_of_range_case_id_is_a_not_found_error(client):
    officer = await staff_token(client, "township_officer")

    body = await gql(client, ACCEPT, {"id": "99999999999999999999"}, officer)

    assert "errors" not in body
    assert body["data"]["caseAccept"]["__typename"] == "NotFoundError"
