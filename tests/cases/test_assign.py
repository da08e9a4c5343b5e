"""Reassignment: a supervisor (or the township's officer) gives a case to one staff member of its area whose role
acts on its stage, with a reason. An internal step: status and clocks stay, the applicant never sees it."""

from datetime import timedelta

import pytest

from api.cases import service
from api.kit import clock
from api.kit.db import unit_of_work
from api.kit.errors import ConflictError, NotAllowedError, NotFoundError, ValidationError
from tests.factories import (
    CUIPING,
    OTHER_TOWN,
    OTHER_VILLAGE,
    XINQIAO,
    YANBA,
    make_applicant,
    make_case,
    make_staff,
    staff_actor,
)
from tests.graphql.helpers import gql, sign_in_staff, staff_token


async def _assign(actor, case_id, assignee_id, reason="请跟进入户调查"):
    async with unit_of_work():
        return await service.assign(actor, case_id, assignee_id, reason)


async def test_a_supervisor_assigns_an_investigating_case_to_a_village_worker_without_moving_it(db):
    case = await make_case("dibao", "investigating")
    worker_id, _ = await make_staff("village_worker", XINQIAO)
    before = (case.status, case.due_at, case.warn_at, case.case_due_at)
    assigned = await _assign(staff_actor("supervisor"), case.id, worker_id)
    assert assigned.assignee_id == worker_id
    assert (assigned.status, assigned.due_at, assigned.warn_at, assigned.case_due_at) == before
    events = await service.events_for(staff_actor("supervisor"), assigned)
    last = events[-1]
    assert (last.action, last.public, last.comment, last.from_status, last.to_status) == (
        "assign", False, "请跟进入户调查", "investigating", "investigating")
    assert last.data["assignee_id"] == worker_id


async def test_the_applicant_never_sees_the_assignment(db):
    applicant = await make_applicant()
    case = await make_case("dibao", "investigating", applicant=applicant)
    worker_id, _ = await make_staff("village_worker", XINQIAO)
    await _assign(staff_actor("supervisor"), case.id, worker_id)
    assert "assign" not in [e.action for e in await service.events_for(applicant, case)]


async def test_reassignment_replaces_the_assignee_and_keeps_both_steps(db):
    case = await make_case("dibao", "investigating")
    first, _ = await make_staff("village_worker", XINQIAO)
    second, _ = await make_staff("township_officer", CUIPING)
    await _assign(staff_actor("supervisor"), case.id, first)
    case = await _assign(staff_actor("township_officer"), case.id, second, "协理员休假，改由街道办理")
    assert case.assignee_id == second
    steps = [e for e in await service.events_for(staff_actor("supervisor"), case) if e.action == "assign"]
    assert [(e.data["assignee_id"], e.data["previous_assignee_id"]) for e in steps] == [(first, None), (second, first)]


async def test_assigned_to_me_lists_only_my_cases(db):
    mine = await make_case("dibao", "investigating")
    await make_case("dibao", "investigating")
    worker_id, _ = await make_staff("village_worker", XINQIAO)
    await _assign(staff_actor("supervisor"), mine.id, worker_id)
    worker = staff_actor("village_worker", staff_id=worker_id)
    page = await service.page(worker, service.CaseFilter(assigned_to_me=True), first=10, after_id=None)
    assert [c.id for c in page] == [mine.id]
    other = staff_actor("village_worker", staff_id=worker_id + 1000)
    assert await service.page(other, service.CaseFilter(assigned_to_me=True), first=10, after_id=None) == []


@pytest.mark.parametrize("role, region, code", [
    ("village_worker", YANBA, "assignee_outside_region"),        # another village of the same township
    ("township_officer", OTHER_TOWN, "assignee_outside_region"),  # another township
    ("verifier", None, "assignee_role"),                          # verifies, but the case is at investigation
    ("finance", None, "assignee_role"),
])
async def test_an_assignee_outside_the_area_or_of_the_wrong_role_is_refused(db, role, region, code):
    case = await make_case("dibao", "investigating")
    staff_id, _ = await make_staff(role, region)
    with pytest.raises(NotAllowedError) as e:
        await _assign(staff_actor("supervisor"), case.id, staff_id)
    assert e.value.code == code and e.value.field == "assigneeId"
    assert "指派" in e.value.message or "角色" in e.value.message
    assert (await service.get_for(staff_actor("supervisor"), case.id)).assignee_id is None


async def test_a_verifying_case_goes_to_a_verifier(db):
    case = await make_case("dibao", "verifying")
    verifier, _ = await make_staff("verifier")
    assert (await _assign(staff_actor("supervisor"), case.id, verifier)).assignee_id == verifier


async def test_an_unknown_or_disabled_assignee_is_not_found(db):
    case = await make_case("dibao", "investigating")
    with pytest.raises(ValidationError) as e:
        await _assign(staff_actor("supervisor"), case.id, 999999)
    assert e.value.code == "assignee_not_found"
    from api.accounts.models import StaffAccount

    worker_id, _ = await make_staff("village_worker", XINQIAO)
    await StaffAccount.filter(id=worker_id).update(disabled=True)
    with pytest.raises(ValidationError) as e:
        await _assign(staff_actor("supervisor"), case.id, worker_id)
    assert e.value.code == "assignee_not_found"


async def test_a_closed_case_cannot_be_assigned(db):
    case = await make_case("dibao", "submitted")
    async with unit_of_work():
        case, _ = await service.act(staff_actor("township_officer"), case.id, "refuse", {"reason": "不符合条件"})
    worker_id, _ = await make_staff("village_worker", XINQIAO)
    with pytest.raises(ConflictError) as e:
        await _assign(staff_actor("supervisor"), case.id, worker_id)
    assert e.value.code == "case_closed"


async def test_a_reason_is_required_and_assigning_twice_to_the_same_person_is_refused(db):
    case = await make_case("dibao", "investigating")
    worker_id, _ = await make_staff("village_worker", XINQIAO)
    with pytest.raises(ValidationError) as e:
        await _assign(staff_actor("supervisor"), case.id, worker_id, "  ")
    assert e.value.code == "reason_required"
    await _assign(staff_actor("supervisor"), case.id, worker_id)
    with pytest.raises(ConflictError) as e:
        await _assign(staff_actor("supervisor"), case.id, worker_id)
    assert e.value.code == "already_assigned"


async def test_only_supervisors_and_the_townships_officer_assign(db):
    case = await make_case("dibao", "investigating")
    worker_id, _ = await make_staff("village_worker", XINQIAO)
    for actor in (staff_actor("village_worker"), staff_actor("approver"), staff_actor("finance")):
        with pytest.raises(NotAllowedError) as e:
            await _assign(actor, case.id, worker_id)
        assert e.value.code == "role_not_allowed"
    with pytest.raises(NotFoundError):  # the officer of another township does not even see the case
        await _assign(staff_actor("township_officer", OTHER_TOWN), case.id, worker_id)


async def test_the_candidates_are_the_active_staff_of_the_area_whose_role_acts_now(db):
    case = await make_case("dibao", "investigating")
    worker, _ = await make_staff("village_worker", XINQIAO)
    officer, _ = await make_staff("township_officer", CUIPING)
    await make_staff("village_worker", OTHER_VILLAGE)
    await make_staff("verifier")
    ids = {s.id for s in await service.assignees(staff_actor("supervisor"), case.id)}
    assert {worker, officer} <= ids
    assert all(s.role in ("village_worker", "township_officer") and XINQIAO.startswith(s.region_id)
               for s in await service.assignees(staff_actor("supervisor"), case.id))
    with pytest.raises(NotAllowedError):
        await service.assignees(staff_actor("village_worker"), case.id)


ASSIGN = """mutation($c: ID!, $a: ID!, $r: String!) { caseAssign(caseId: $c, assigneeId: $a, reason: $r) {
  __typename ... on CaseSuccess { case { id status canAssign assignee { id name roleLabel } } }
  ... on Error { code message } ... on ValidationError { field } } }"""
MINE = """{ cases(filter: {assignedToMe: true}) { edges { node { id assignee { id } } } } }"""


async def test_through_graphql_the_assignee_finds_the_case_as_theirs(client):
    case = await make_case("dibao", "investigating")
    worker_id, username = await make_staff("village_worker", XINQIAO)
    supervisor = await staff_token(client, "supervisor")
    bad = await gql(client, ASSIGN, {"c": str(case.id), "a": str(worker_id), "r": ""}, supervisor)
    assert bad["data"]["caseAssign"]["__typename"] == "ValidationError"
    assert bad["data"]["caseAssign"]["message"] == "请填写指派的理由"
    body = await gql(client, ASSIGN, {"c": str(case.id), "a": str(worker_id), "r": "请尽快入户"}, supervisor)
    result = body["data"]["caseAssign"]
    assert result["__typename"] == "CaseSuccess", body
    assert result["case"]["assignee"]["id"] == str(worker_id) and result["case"]["canAssign"] is True
    worker = await sign_in_staff(client, username)
    mine = await gql(client, MINE, token=worker)
    assert [e["node"]["id"] for e in mine["data"]["cases"]["edges"]] == [str(case.id)]


BOARD = """{ caseClockBoard { byTownship { key label warning overdue } byItem { key label warning overdue }
  byStage { key label warning overdue } } }"""


async def test_the_overdue_board_counts_by_township_item_and_stage(client):
    await make_case("dibao", "submitted")
    await make_case("dibao", "submitted")
    await make_case("tekun", "submitted", applicant=await make_applicant(region=OTHER_VILLAGE))
    clock.freeze(clock.now() + timedelta(days=60))
    await make_case("dibao", "submitted")  # submitted now: still within time
    supervisor = await staff_token(client, "supervisor")
    board = (await gql(client, BOARD, token=supervisor))["data"]["caseClockBoard"]
    towns = {r["key"]: (r["overdue"], r["warning"]) for r in board["byTownship"]}
    assert towns == {CUIPING: (2, 0), OTHER_TOWN: (1, 0)}
    assert board["byTownship"][0]["label"] != CUIPING  # named, worst first
    assert {r["key"]: r["overdue"] for r in board["byItem"]} == {"dibao": 2, "tekun": 1}
    assert [(r["key"], r["overdue"], r["label"]) for r in board["byStage"]] == [("submitted", 3, "已提交，待受理")]
    officer = await staff_token(client, "township_officer", OTHER_TOWN)
    theirs = (await gql(client, BOARD, token=officer))["data"]["caseClockBoard"]
    assert [(r["key"], r["overdue"]) for r in theirs["byTownship"]] == [(OTHER_TOWN, 1)]
    worker = await staff_token(client, "village_worker")
    refused = await gql(client, BOARD, token=worker)
    assert refused["errors"][0]["extensions"]["code"] == "role_not_allowed"


async def test_the_board_counts_warnings_apart_from_overdue(db):
    case = await make_case("dibao", "submitted")
    clock.freeze(case.warn_at + timedelta(minutes=1))
    board = await service.clock_board(staff_actor("supervisor"))
    assert [(r.key, r.warning, r.overdue) for r in board["stage"]] == [("submitted", 1, 0)]
    clock.freeze(case.due_at + timedelta(minutes=1))
    board = await service.clock_board(staff_actor("supervisor"))
    assert [(r.key, r.warning, r.overdue) for r in board["stage"]] == [("submitted", 0, 1)]
