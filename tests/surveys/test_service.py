import pytest

from api.kit.db import unit_of_work
from api.kit.errors import ConflictError, NotAllowedError, ValidationError
from api.surveys import service
from api.surveys.models import Satisfaction
from tests.factories import make_applicant, make_case, staff_actor


async def _rate(actor, case_id, rating, comment="", **kw):
    async with unit_of_work():
        return await service.rate(actor, case_id, rating, comment, **kw)


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


async def test_a_worker_at_the_door_answers_the_survey_of_a_proxy_case(db):
    from tests.factories import act

    applicant = await make_applicant()
    worker = staff_actor("village_worker")
    from api.cases import service as cases
    from tests.factories import key, sample_form

    async with unit_of_work():
        proxy_case = await cases.submit(worker, cases.SubmitInput(
            item_code="jiuye", submission_key=key(), form=sample_form("jiuye"), applicant_id=applicant.applicant_id,
            material_ids=await _staff_uploads(worker, applicant.applicant_id, "jiuye")))
    for action, role in (("accept", "township_officer"), ("investigate", "township_officer"),
                         ("approve", "approver")):
        proxy_case, _ = await act(proxy_case.id, action, role=role)
    s = await _rate(worker, proxy_case.id, 4, "上门回访", ease=5, helped=True, how_applied="proxy")
    assert (s.answered_by, s.ease, s.helped, s.how_applied) == ("worker", 5, True, "proxy")


async def test_a_worker_cannot_answer_for_a_case_the_applicant_made_themselves(db):
    applicant = await make_applicant()
    case = await make_case("jiuye", "closed", applicant=applicant)
    with pytest.raises(NotAllowedError):
        await _rate(staff_actor("village_worker"), case.id, 4)


async def test_an_unknown_way_of_applying_is_refused(db):
    applicant = await make_applicant()
    case = await make_case("jiuye", "closed", applicant=applicant)
    with pytest.raises(ValidationError) as e:
        await _rate(applicant, case.id, 4, how_applied="carrier-pigeon")
    assert e.value.code == "how_applied_invalid"


async def _staff_uploads(worker, applicant_id, item_code):
    from api.aid_items import service as aid_items
    from api.materials import service as materials
    from tests.factories import tiny_png

    item = await aid_items.get_by_code(item_code)
    out = []
    for kind in [m["code"] for m in aid_items.required_materials(item)] + ["proxy_consent"]:
        async with unit_of_work():
            out.append(str((await materials.upload(worker, data=tiny_png(), kind=kind,
                                                   applicant_id=applicant_id)).id))
    return out


async def test_the_same_answer_sent_again_is_recorded_once_and_answered_as_saved(db):
    applicant = await make_applicant()
    case = await make_case("jiuye", "closed", applicant=applicant)
    first = await _rate(applicant, case.id, 4, "还行", ease=5)
    again = await _rate(applicant, case.id, 4, " 还行 ", ease=5)  # a retry after the answer was lost on the way
    assert again.id == first.id
    assert await Satisfaction.filter(case_id=case.id).count() == 1


async def test_a_double_tapped_survey_is_recorded_once_and_no_tap_gets_a_generic_error(db, monkeypatch):
    import asyncio

    from tortoise import connections

    from api.surveys import repository
    from tests.factories import reading_together

    applicant = await make_applicant()
    case = await make_case("jiuye", "closed", applicant=applicant)
    reading_together(monkeypatch, repository, "of_case", 2, within=0.5)  # both taps look before either writes
    results = await asyncio.gather(_rate(applicant, case.id, 5, "很好"), _rate(applicant, case.id, 5, "很好"),
                                   return_exceptions=True)

    assert await Satisfaction.filter(case_id=case.id).count() == 1
    for r in results:
        assert isinstance(r, Satisfaction) or (isinstance(r, ConflictError) and r.code == "already_rated"), r
    if connections.get("default").capabilities.dialect == "postgres":
        # the case's row lock makes the second tap find the first's answer: both are told it is saved
        assert [type(r).__name__ for r in results] == ["Satisfaction", "Satisfaction"]
