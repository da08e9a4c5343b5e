import pytest

from api.kit.db import unit_of_work
from api.kit.errors import ConflictError, NotAllowedError, ValidationError
from api.surveys import service
from api.surveys.models import Satisfaction
from tests.factories import make_applicant, make_case, staff_actor


async def _rate(actor, case_id, rating, comment=""):
    async with unit_of_work():
        return await service.rate(actor, case_id, rating, comment)


async def test_the_applicant_rates_a_decided_case(db):
    applicant = await make_applicant()
    case = await make_case("jiuye", "closed", applicant=applicant)
    s = await _rate(applicant, case.id, 5, "办事很快")
    assert (s.rating, s.comment) == (5, "办事很快")


async def test_a_case_still_in_progress_cannot_be_rated(db):
    applicant = await make_applicant()
    case = await make_case("dibao", "verifying", applicant=applicant)
    with pytest.raises(ConflictError) as e:
        await _rate(applicant, case.id, 4)
    assert e.value.code == "case_not_ended"


async def test_a_case_is_rated_once(db):
    applicant = await make_applicant()
    case = await make_case("jiuye", "closed", applicant=applicant)
    await _rate(applicant, case.id, 3)
    with pytest.raises(ConflictError) as e:
        await _rate(applicant, case.id, 5)
    assert e.value.code == "already_rated"
    assert await Satisfaction.filter(case_id=case.id).count() == 1


@pytest.mark.parametrize("rating", [0, 6, -1])
async def test_a_rating_outside_one_to_five_is_refused(db, rating):
    applicant = await make_applicant()
    case = await make_case("jiuye", "closed", applicant=applicant)
    with pytest.raises(ValidationError) as e:
        await _rate(applicant, case.id, rating)
    assert e.value.code == "rating_invalid"
    assert await Satisfaction.all().count() == 0


async def test_staff_cannot_rate_for_the_applicant(db):
    case = await make_case("jiuye", "closed")
    with pytest.raises(NotAllowedError):
        await _rate(staff_actor("township_officer"), case.id, 5)
