"""Who may see and do what through the API: own cases only, own village only, masked ID numbers."""

from __future__ import annotations

from datetime import date

from api.applicants import service as applicants
from api.kit.actors import Actor
from api.kit.db import unit_of_work
from api.kit.idnumber import make_id_number, mask_id_number
from tests.factories import XINQIAO, YANBA, act, make_applicant, make_case, staff_actor
from tests.graphql.helpers import gql, jpeg, new_phone, sign_in_applicant, staff_token, upload

CASE = "query($id: ID!) { case(id: $id) { id number status } }"
CASES = "query { cases(first: 50) { edges { node { id number } } } }"
CASES_WITH_PEOPLE = """
query { cases(first: 50) { edges { node { id applicant { name idNumber members { name idNumber } } } } } }"""
WITHDRAW = """
mutation($id: ID!) { caseWithdraw(caseId: $id) { __typename ... on Error { code message } } }"""
ACCEPT = """
mutation($id: ID!) {
  caseAccept(caseId: $id) { __typename ... on CaseSuccess { case { status } } ... on Error { code message } }
}"""
PASSWORD_CHANGE = """
mutation($old: String!, $new: String!) {
  passwordChange(oldPassword: $old, newPassword: $new) { __typename ... on Error { code message } }
}"""
HEAD_ID = make_id_number(birth=date(1961, 7, 2), seq=135)
SPOUSE_ID = make_id_number(birth=date(1963, 2, 14), seq=246)


async def _signed_in_applicant(client, sms, region: str = XINQIAO):
    """Returns (applicant caller, token) for a person whose profile staff registered with their phone."""
    phone = new_phone()
    actor = await make_applicant(phone=phone, region=region)
    return actor, await sign_in_applicant(client, sms, phone)


async def _household_case():
    """Returns a case of an applicant (HEAD_ID) with one household member (SPOUSE_ID)."""
    worker = staff_actor("village_worker")
    async with unit_of_work():
        person = await applicants.register(worker, applicants.ProfileInput(
            name="王建国", id_number=HEAD_ID, address="新桥村2组", region_code=XINQIAO))
        await applicants.set_household(worker, person.id, [applicants.MemberInput(
            name="刘桂兰", relation="配偶", id_number=SPOUSE_ID)])
    return await make_case("dibao", "submitted",
                           applicant=Actor(kind="applicant", role="applicant", name="王建国", applicant_id=person.id))


async def test_applicant_cannot_read_another_applicants_case(client, sms):
    _, token_a = await _signed_in_applicant(client, sms)
    b, _ = await _signed_in_applicant(client, sms)
    case_b = await make_case("dibao", "submitted", applicant=b)

    body = await gql(client, CASE, {"id": str(case_b.id)}, token_a)

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["case_not_found"]
    assert case_b.number not in str(body)


async def test_applicant_cases_list_holds_only_their_own(client, sms):
    a, token_a = await _signed_in_applicant(client, sms)
    b, _ = await _signed_in_applicant(client, sms)
    own = await make_case("dibao", "submitted", applicant=a)
    await make_case("dibao", "submitted", applicant=b)

    body = await gql(client, CASES, token=token_a)

    assert [e["node"]["id"] for e in body["data"]["cases"]["edges"]] == [str(own.id)]


async def test_applicant_cannot_act_on_another_applicants_case(client, sms):
    _, token_a = await _signed_in_applicant(client, sms)
    b, token_b = await _signed_in_applicant(client, sms)
    case_b = await make_case("dibao", "submitted", applicant=b)

    body = await gql(client, WITHDRAW, {"id": str(case_b.id)}, token_a)

    assert body["data"]["caseWithdraw"]["__typename"] == "NotFoundError"
    assert body["data"]["caseWithdraw"]["code"] == "case_not_found"
    seen_by_b = await gql(client, CASE, {"id": str(case_b.id)}, token_b)
    assert seen_by_b["data"]["case"]["status"] == "SUBMITTED"


async def test_applicant_cannot_download_another_applicants_material(client, sms):
    _, token_a = await _signed_in_applicant(client, sms)
    _, token_b = await _signed_in_applicant(client, sms)
    uploaded = await upload(client, token_b, jpeg())
    assert uploaded.status_code == 201

    response = await client.get(uploaded.json()["url"], headers={"Authorization": f"Bearer {token_a}"})

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "material_not_found"


async def test_village_worker_cases_list_excludes_other_villages(client):
    own = await make_case("dibao", "submitted", applicant=await make_applicant(region=XINQIAO))
    await make_case("dibao", "submitted", applicant=await make_applicant(region=YANBA))
    worker = await staff_token(client, "village_worker", XINQIAO)

    body = await gql(client, CASES, token=worker)

    assert [e["node"]["id"] for e in body["data"]["cases"]["edges"]] == [str(own.id)]


async def test_village_worker_cannot_read_case_outside_own_village(client):
    other = await make_case("dibao", "submitted", applicant=await make_applicant(region=YANBA))
    worker = await staff_token(client, "village_worker", XINQIAO)

    body = await gql(client, CASE, {"id": str(other.id)}, worker)

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["case_not_found"]


async def test_village_worker_cannot_act_on_case_outside_own_village(client):
    other = await make_case("dibao", "submitted", applicant=await make_applicant(region=YANBA))
    worker = await staff_token(client, "village_worker", XINQIAO)
    supervisor = await staff_token(client, "supervisor")

    body = await gql(client, ACCEPT, {"id": str(other.id)}, worker)

    assert body["data"]["caseAccept"]["__typename"] == "NotFoundError"
    after = await gql(client, CASE, {"id": str(other.id)}, supervisor)
    assert after["data"]["case"]["status"] == "SUBMITTED"


async def test_village_worker_cannot_download_material_outside_own_village(client, sms):
    _, token = await _signed_in_applicant(client, sms, region=YANBA)
    uploaded = await upload(client, token, jpeg())
    worker = await staff_token(client, "village_worker", XINQIAO)

    response = await client.get(uploaded.json()["url"], headers={"Authorization": f"Bearer {worker}"})

    assert response.status_code == 404


async def test_analyst_never_receives_an_unmasked_id_number(client):
    await _household_case()
    analyst = await staff_token(client, "analyst")

    response = await client.post("/graphql", json={"query": CASES_WITH_PEOPLE},
                                 headers={"Authorization": f"Bearer {analyst}"})

    assert response.status_code == 200
    assert HEAD_ID not in response.text
    assert SPOUSE_ID not in response.text
    person = response.json()["data"]["cases"]["edges"][0]["node"]["applicant"]
    assert person["idNumber"] == mask_id_number(HEAD_ID)
    assert [m["idNumber"] for m in person["members"]] == [mask_id_number(SPOUSE_ID)]


async def test_analyst_never_receives_investigation_or_verification_records(client):
    case = await make_case("dibao", "investigating")
    await act(case.id, "investigate", data={"investigators": ["王五", "赵六"], "visited_at": "2026-01-10T09:00:00+08:00",
                                            "conclusion": "情况属实", "place": "新桥村3组12号王建国家",
                                            "findings": "户主患尿毒症，每周透析两次"})
    await act(case.id, "verify", data={"result": "pass", "household_monthly_income": "812.50",
                                       "note": "不动产登记无房产"})
    analyst = await staff_token(client, "analyst")

    response = await client.post("/graphql", json={"query": """
        query($id: ID!) { case(id: $id) { status investigation verification events { action data } } }""",
                                                   "variables": {"id": str(case.id)}},
                                 headers={"Authorization": f"Bearer {analyst}"})

    seen = response.json()["data"]["case"]
    assert seen["status"] == "REVIEWING"
    assert (seen["investigation"], seen["verification"]) == (None, None)
    assert [e["data"] for e in seen["events"]] == [None, None, None, None]
    assert "新桥村3组" not in response.text
    assert "尿毒症" not in response.text
    assert "812.50" not in response.text


async def test_township_officer_sees_the_investigation_record(client):
    case = await make_case("dibao", "verifying")
    officer = await staff_token(client, "township_officer")

    body = await gql(client, "query($id: ID!) { case(id: $id) { investigation } }", {"id": str(case.id)}, officer)

    assert body["data"]["case"]["investigation"]["conclusion"] == "情况属实"


async def test_township_officer_in_region_sees_whole_id_numbers(client):
    await _household_case()
    officer = await staff_token(client, "township_officer")

    body = await gql(client, CASES_WITH_PEOPLE, token=officer)

    person = body["data"]["cases"]["edges"][0]["node"]["applicant"]
    assert person["idNumber"] == HEAD_ID
    assert [m["idNumber"] for m in person["members"]] == [SPOUSE_ID]


async def test_staff_who_must_change_password_cannot_act(client):
    case = await make_case("dibao", "submitted")
    officer = await staff_token(client, "township_officer", must_change=True)

    body = await gql(client, ACCEPT, {"id": str(case.id)}, officer)

    assert body["data"]["caseAccept"]["__typename"] == "NotAllowedError"
    assert body["data"]["caseAccept"]["code"] == "password_change_required"


async def test_staff_who_must_change_password_cannot_query_cases(client):
    await make_case("dibao", "submitted")
    officer = await staff_token(client, "township_officer", must_change=True)

    body = await gql(client, CASES, token=officer)

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["password_change_required"]


async def test_staff_who_must_change_password_cannot_download_materials(client, sms):
    _, token = await _signed_in_applicant(client, sms)
    uploaded = await upload(client, token, jpeg())
    officer = await staff_token(client, "township_officer", must_change=True)

    response = await client.get(uploaded.json()["url"], headers={"Authorization": f"Bearer {officer}"})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "password_change_required"


async def test_staff_may_act_once_they_have_changed_their_password(client):
    case = await make_case("dibao", "submitted")
    officer = await staff_token(client, "township_officer", must_change=True)

    changed = await gql(client, PASSWORD_CHANGE, {"old": "Passw0rd!x", "new": "N3wPassw0rd"}, officer)
    body = await gql(client, ACCEPT, {"id": str(case.id)}, officer)

    assert changed["data"]["passwordChange"]["__typename"] == "OkSuccess"
    assert body["data"]["caseAccept"] == {"__typename": "CaseSuccess", "case": {"status": "INVESTIGATING"}}
