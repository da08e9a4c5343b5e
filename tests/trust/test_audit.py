"""The access audit log: whole ID and bank numbers read, materials downloaded, sign-ins; queried by supervisors."""

from __future__ import annotations

from api.applicants import service as applicants
from api.audit.models import AccessLog
from tests.factories import make_applicant, make_staff, upload
from tests.graphql.helpers import STAFF_SIGN_IN, bearer, gql, sign_in_staff, staff_token

APPLICANT = "query($id: ID!) { applicant(id: $id) { idNumber bankAccount members { idNumber } } }"
ACCESS_LOG = """
query($filter: AccessLogFilterInput, $first: Int!, $after: String) {
  accessLog(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id action actorRole staffId actorName applicantId field materialId requestId detail } }
    pageInfo { hasNextPage endCursor }
  }
}"""
SIGN_OUT = "mutation { authSignOut { __typename } }"


async def _entries(**filters) -> list[AccessLog]:
    return await AccessLog.filter(**filters).order_by("id")


async def test_village_worker_reading_a_whole_id_number_is_logged_with_the_request_id(client, db):
    person = await make_applicant(bank=None)
    staff_id, username = await make_staff("village_worker")
    token = await sign_in_staff(client, username)

    response = await client.post("/graphql", json={"query": APPLICANT, "variables": {"id": str(person.applicant_id)}},
                                 headers={**bearer(token), "X-Request-ID": "req-audit-0001"})

    assert response.status_code == 200
    assert response.json()["data"]["applicant"]["idNumber"].isalnum()  # whole: no asterisks
    assert "*" not in response.json()["data"]["applicant"]["idNumber"]
    assert response.headers["x-request-id"] == "req-audit-0001"
    [entry] = await _entries(action="id_number_read")
    assert (entry.staff_id, entry.actor_role, entry.applicant_id) == (staff_id, "village_worker", person.applicant_id)
    assert entry.field == "applicant.idNumber"
    assert entry.request_id == "req-audit-0001"


async def test_masked_reads_are_not_logged(client, db):
    person = await make_applicant()
    token = await staff_token(client, "supervisor")  # supervisors see masked ID and bank numbers

    body = await gql(client, APPLICANT, {"id": str(person.applicant_id)}, token)

    assert "*" in body["data"]["applicant"]["idNumber"]
    assert "*" in body["data"]["applicant"]["bankAccount"]
    assert await _entries(action__in=["id_number_read", "bank_account_read"]) == []


async def test_finance_reading_a_whole_bank_account_is_logged(client, db):
    person = await make_applicant(bank="6217995555000011222")
    staff_id, username = await make_staff("finance")
    token = await sign_in_staff(client, username)

    body = await gql(client, APPLICANT, {"id": str(person.applicant_id)}, token)

    assert body["data"]["applicant"]["bankAccount"] == "6217995555000011222"
    [entry] = await _entries(action="bank_account_read")
    assert (entry.staff_id, entry.applicant_id, entry.field) == (staff_id, person.applicant_id, "applicant.bankAccount")


async def test_household_member_id_read_names_the_applicant_and_the_member(client, db):
    from api.kit.db import unit_of_work
    from api.kit.idnumber import make_id_number
    from tests.factories import staff_actor

    person = await make_applicant(bank=None)
    async with unit_of_work():
        [member] = await applicants.set_household(staff_actor("village_worker"), person.applicant_id, [
            applicants.MemberInput(name="张小红", relation="子女", id_number=make_id_number(seq=777))])
    token = await staff_token(client, "township_officer")

    await gql(client, APPLICANT, {"id": str(person.applicant_id)}, token)

    fields = sorted((e.field, e.applicant_id, e.detail) for e in await _entries(action="id_number_read"))
    assert fields == [("applicant.idNumber", person.applicant_id, None),
                      ("householdMember.idNumber", person.applicant_id, f"householdMember:{member.id}")]


async def test_material_download_is_logged(client, db):
    person = await make_applicant()
    material = await upload(person, kind="hukou")
    staff_id, username = await make_staff("village_worker")
    token = await sign_in_staff(client, username)

    response = await client.get(f"/api/materials/{material.id}", headers=bearer(token))

    assert response.status_code == 200
    [entry] = await _entries(action="material_download")
    assert (entry.staff_id, entry.applicant_id, entry.material_id, entry.field) == (
        staff_id, person.applicant_id, str(material.id), "hukou")
    assert entry.request_id == response.headers["x-request-id"]


async def test_refused_download_is_not_logged_as_a_download(client, db):
    person = await make_applicant()
    material = await upload(person)
    token = await staff_token(client, "village_worker", "511703007001")  # another village

    response = await client.get(f"/api/materials/{material.id}", headers=bearer(token))

    assert response.status_code == 404
    assert await _entries(action="material_download") == []


async def test_sign_in_failed_sign_in_and_sign_out_are_logged(client, db):
    staff_id, username = await make_staff("approver")

    wrong = await gql(client, STAFF_SIGN_IN, {"u": username, "p": "wrong-password1"})
    unknown = await gql(client, STAFF_SIGN_IN, {"u": "nobody-here", "p": "wrong-password1"})
    token = await sign_in_staff(client, username)
    await gql(client, SIGN_OUT, token=token)

    assert wrong["data"]["authStaffSignIn"]["code"] == "bad_credentials"
    assert unknown["data"]["authStaffSignIn"]["code"] == "bad_credentials"
    rows = [(e.action, e.staff_id, e.actor_name) for e in await _entries()]
    assert rows == [("sign_in_failed", staff_id, username), ("sign_in_failed", None, "nobody-here"),
                    ("sign_in", staff_id, "approver测试"), ("sign_out", staff_id, "approver测试")]


async def test_applicant_sign_in_is_logged_with_a_masked_phone(client, sms, db):
    from tests.graphql.helpers import sign_in_applicant

    await sign_in_applicant(client, sms, "13900002222")

    [entry] = await _entries(action="sign_in")
    assert entry.actor_kind == "applicant"
    assert entry.actor_name == "139****2222"


async def test_supervisor_pages_through_the_log_with_filters(client, db):
    person = await make_applicant(bank=None)
    other = await make_applicant(bank=None)
    worker = await staff_token(client, "village_worker")
    for _ in range(3):
        await gql(client, APPLICANT, {"id": str(person.applicant_id)}, worker)
    await gql(client, APPLICANT, {"id": str(other.applicant_id)}, worker)
    supervisor = await staff_token(client, "supervisor")
    flt = {"actions": ["ID_NUMBER_READ"], "applicantId": str(person.applicant_id)}

    first = await gql(client, ACCESS_LOG, {"filter": flt, "first": 2}, supervisor)
    page = first["data"]["accessLog"]
    second = await gql(client, ACCESS_LOG, {"filter": flt, "first": 2, "after": page["pageInfo"]["endCursor"]},
                       supervisor)

    assert [e["node"]["applicantId"] for e in page["edges"]] == [str(person.applicant_id)] * 2
    assert page["pageInfo"]["hasNextPage"] is True
    rest = second["data"]["accessLog"]
    assert len(rest["edges"]) == 1
    assert rest["pageInfo"]["hasNextPage"] is False
    ids = [int(e["node"]["id"]) for e in page["edges"] + rest["edges"]]
    assert ids == sorted(ids, reverse=True)  # newest first, no overlap between pages
    assert {e["node"]["action"] for e in page["edges"]} == {"ID_NUMBER_READ"}


async def test_admin_filters_the_log_by_staff_member(client, db):
    staff_id, username = await make_staff("verifier")
    await gql(client, STAFF_SIGN_IN, {"u": username, "p": "bad-password-1"})
    await staff_token(client, "approver")  # someone else's sign-in
    admin = await staff_token(client, "admin")

    body = await gql(client, ACCESS_LOG, {"filter": {"staffId": str(staff_id)}, "first": 10}, admin)

    assert [(e["node"]["action"], e["node"]["detail"]) for e in body["data"]["accessLog"]["edges"]] == [
        ("SIGN_IN_FAILED", "bad_credentials")]


async def test_other_roles_cannot_read_the_log(client, db):
    for role in ("village_worker", "approver", "analyst", "finance"):
        token = await staff_token(client, role)

        body = await gql(client, ACCESS_LOG, {"first": 10}, token)

        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "audit_not_allowed"


async def test_page_size_and_cursor_are_validated(client, db):
    supervisor = await staff_token(client, "supervisor")

    too_big = await gql(client, ACCESS_LOG, {"first": 500}, supervisor)
    bad_cursor = await gql(client, ACCESS_LOG, {"first": 5, "after": "bm9wZQ=="}, supervisor)

    assert too_big["errors"][0]["extensions"]["code"] == "page_size_invalid"
    assert bad_cursor["errors"][0]["extensions"]["code"] == "cursor_invalid"


async def test_reads_over_a_websocket_are_written_at_once_not_when_it_closes(db):
    from api.audit import service as audit
    from api.kit import requests
    from tests.factories import staff_actor

    token = requests._scope.set(requests.RequestScope(request_id="ws-connection-1", buffered=False))
    try:
        audit.note(staff_actor("verifier", staff_id=7), "id_number_read", applicant_id=3, field="applicant.idNumber")
        await audit.drain()
        [entry] = await _entries(action="id_number_read")
    finally:
        requests._scope.reset(token)

    assert (entry.staff_id, entry.applicant_id, entry.request_id) == (7, 3, "ws-connection-1")


async def test_entries_noted_outside_any_request_are_written(db):
    from api.audit import service as audit
    from tests.factories import staff_actor

    audit.note(staff_actor("approver", staff_id=9), "bank_account_read", applicant_id=4, field="applicant.bankAccount")
    await audit.drain()

    [entry] = await _entries(action="bank_account_read")
    assert (entry.staff_id, entry.request_id) == (9, "")
