import pytest

from api.aid_items import service
from api.aid_items.models import AidItem
from api.kit.db import unit_of_work
from api.kit.errors import NotAllowedError, ValidationError
from tests.factories import ADMIN, make_applicant, staff_actor, submit_case


async def test_the_ten_default_items_are_loaded_in_order(db):
    items = await service.list_items()
    assert [i.code for i in items] == ["dibao", "tekun", "linshi", "yiliao", "jiaoyu", "zhufang", "jiuye",
                                       "shouzai", "gaoling", "canji"]


async def test_admin_disables_an_item_and_new_applications_are_refused(db):
    async with unit_of_work():
        await service.update(ADMIN, "jiuye", service.ItemUpdate(enabled=False))
    applicant = await make_applicant()
    with pytest.raises(ValidationError) as e:
        await submit_case(applicant, "jiuye")
    assert e.value.code == "item_disabled"
    assert "jiuye" not in [i.code for i in await service.list_items()]


async def test_admin_renames_an_item_and_changes_a_stage_limit(db):
    async with unit_of_work():
        item = await service.update(ADMIN, "dibao", service.ItemUpdate(
            name="城乡最低生活保障", stage_limits={"investigate": {"working_days": 12}}))
    assert item.name == "城乡最低生活保障"
    assert item.stage_limits["investigate"] == {"working_days": 12}
    assert item.stage_limits["accept"] == {"working_days": 3}


async def test_township_officer_cannot_configure_items(db):
    with pytest.raises(NotAllowedError):
        async with unit_of_work():
            await service.update(staff_actor("township_officer"), "dibao", service.ItemUpdate(enabled=False))
    assert (await AidItem.get(code="dibao")).enabled is True


async def test_a_broken_form_schema_is_refused_and_nothing_changes(db):
    before = (await AidItem.get(code="dibao")).form
    with pytest.raises(ValidationError) as e:
        async with unit_of_work():
            await service.update(ADMIN, "dibao", service.ItemUpdate(
                name="改名", form=[{"name": "x", "label": "甲", "type": "color"}]))
    assert e.value.code == "form_schema_invalid"
    item = await AidItem.get(code="dibao")
    assert item.form == before
    assert item.name == "最低生活保障"


async def test_a_stage_limit_outside_the_route_is_refused(db):
    with pytest.raises(ValidationError) as e:
        async with unit_of_work():
            await service.update(ADMIN, "yiliao", service.ItemUpdate(stage_limits={"investigate": 5}))
    assert e.value.code == "stage_limits_invalid"
