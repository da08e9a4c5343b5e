from datetime import timedelta

from api.cases import service
from api.kit import clock
from tests.factories import OTHER_VILLAGE, make_applicant, make_case, make_staff, staff_actor, submit_proxy_case


async def test_the_township_officer_is_offered_accept_return_and_refuse_on_a_new_case(db):
    case = await make_case("dibao", "submitted")
    assert await service.available_actions(staff_actor("township_officer"), case) == ["accept", "return", "refuse"]


async def test_the_applicant_is_offered_only_withdrawal_on_a_new_case(db):
    applicant = await make_applicant()
    case = await make_case("dibao", "submitted", applicant=applicant)
    assert await service.available_actions(applicant, case) == ["withdraw"]


async def test_the_approver_is_offered_nothing_before_approval(db):
    case = await make_case("dibao", "investigating")
    assert await service.available_actions(staff_actor("approver"), case) == ["extend"]


async def test_a_worker_of_another_village_is_offered_nothing(db):
    case = await make_case("dibao", "submitted")
    assert await service.available_actions(staff_actor("village_worker", OTHER_VILLAGE), case) == []


async def test_counts_per_status_include_overdue_cases(db):
    await make_case("dibao", "submitted")
    await make_case("dibao", "submitted")
    await make_case("dibao", "verifying")
    clock.freeze(clock.now() + timedelta(days=30))
    rows = {r["status"]: r for r in await service.counts(staff_actor("township_officer"))}
    assert (rows["submitted"]["total"], rows["submitted"]["overdue"]) == (2, 2)
    assert rows["verifying"]["total"] == 1


async def test_my_proxy_list_holds_only_what_i_applied_for(db):
    staff_id, _ = await make_staff("village_worker")
    worker = staff_actor("village_worker", staff_id=staff_id)
    elder = await make_applicant(name="王德福")
    mine = await submit_proxy_case(worker, elder.applicant_id, "dibao")
    await make_case("dibao", "submitted")
    page = await service.page(worker, service.CaseFilter(proxy_by_me=True), first=10, after_id=None)
    assert [c.id for c in page] == [mine.id]
    assert mine.channel == "proxy"
