import pytest

from api.cases import service
from api.cases.models import CaseEvent
from api.kit.db import unit_of_work
from api.kit.errors import ConflictError
from tests.factories import STEP_DATA, make_case, staff_actor


async def _investigate(case_id: int, client_key: str):
    async with unit_of_work():
        return await service.act(staff_actor("village_worker"), case_id, "investigate", STEP_DATA["investigate"](),
                                 client_key=client_key)


async def test_an_offline_visit_record_sent_twice_is_applied_once(db):
    case = await make_case("dibao", "investigating")
    first, event = await _investigate(case.id, "visit-0001-abcdef")
    again, same = await _investigate(case.id, "visit-0001-abcdef")
    assert (first.status, again.status) == ("verifying", "verifying")
    assert same.id == event.id
    assert await CaseEvent.filter(case_id=case.id, action="investigate").count() == 1


async def test_an_offline_record_for_a_case_that_moved_on_is_flagged_not_applied(db):
    case = await make_case("dibao", "investigating")
    await _investigate(case.id, "visit-0002-abcdef")
    with pytest.raises(ConflictError) as e:
        await _investigate(case.id, "visit-0003-other1")
    assert e.value.code == "case_moved_on"
    assert await CaseEvent.filter(case_id=case.id, action="investigate").count() == 1
