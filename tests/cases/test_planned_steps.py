from datetime import UTC, datetime

from api.aid_items import service as aid_items
from api.cases.service import planned_steps
from api.kit import clock
from tests.factories import make_case


async def _steps(case):
    item = await aid_items.get_by_id(case.item_id)
    return planned_steps(case, item)


async def test_a_new_dibao_case_shows_acceptance_in_progress_and_every_later_step_with_a_date(db):
    clock.freeze(datetime(2026, 12, 4, 2, 0, tzinfo=UTC))
    case = await make_case("dibao", "submitted")
    steps = await _steps(case)
    assert [(s.stage, s.state) for s in steps] == [
        ("accept", "current"), ("investigate", "upcoming"), ("verify", "upcoming"), ("review", "upcoming"),
        ("approve", "upcoming"), ("pay", "upcoming")]
    dates = [s.due_at for s in steps]
    assert dates == sorted(dates)
    assert steps[0].due_at == case.due_at


async def test_steps_before_the_current_one_are_done(db):
    case = await make_case("dibao", "verifying")
    assert [s.state for s in await _steps(case)] == ["done", "done", "current", "upcoming", "upcoming", "upcoming"]


async def test_a_returned_case_waits_on_the_applicant(db):
    case = await make_case("dibao", "returned")
    assert (await _steps(case))[0].state == "waiting"


async def test_a_closed_case_has_every_step_done(db):
    case = await make_case("jiuye", "closed")
    assert {s.state for s in await _steps(case)} == {"done"}
