from __future__ import annotations

import pytest

from api.kit.db import unit_of_work
from api.kit.errors import NotAllowedError
from api.regions import service as regions
from api.regions.errors import RegionImportInvalid
from api.regions.models import Region
from tests.factories import ADMIN, CUIPING, staff_actor

GOOD_CSV = """code,name,level,parent_code
511703023,新设镇,township,511703
511703023001,新设一村,village,511703023
511703002013,新设社区,village,511703002
"""


async def import_csv(text: str, actor=ADMIN) -> int:
    async with unit_of_work():
        return await regions.import_csv(actor, text)


async def test_csv_import_adds_its_rows(db):
    before = await Region.all().count()

    written = await import_csv(GOOD_CSV)

    assert written == 3
    assert await Region.all().count() == before + 3
    village = await Region.get(code="511703023001")
    assert (village.name, village.level, village.parent_id) == ("新设一村", "village", "511703023")


async def test_csv_import_accepts_chinese_level_names(db):
    await import_csv("511703023,新设镇,乡镇,511703\n511703023001,新设社区,社区,511703023\n")

    levels = await Region.filter(code__in=["511703023", "511703023001"]).order_by("code").values_list("level", flat=True)
    assert levels == ["township", "village"]


async def test_csv_with_a_bad_third_line_writes_nothing_and_names_the_line(db):
    before = await Region.all().count()
    text = "code,name,level,parent_code\n511703023,新设镇,township,511703\n51170302300,坏村,village,511703023\n"

    with pytest.raises(RegionImportInvalid) as caught:
        await import_csv(text)

    assert "第3行" in caught.value.message
    assert await Region.all().count() == before


async def test_csv_with_an_unknown_parent_is_refused_and_writes_nothing(db):
    before = await Region.all().count()
    text = "511703023,新设镇,township,511703\n511703024001,孤村,village,511703024\n"

    with pytest.raises(RegionImportInvalid) as caught:
        await import_csv(text)

    assert "第2行" in caught.value.message
    assert "511703024" in caught.value.message
    assert await Region.all().count() == before


async def test_csv_import_is_refused_to_non_admin(db):
    before = await Region.all().count()

    with pytest.raises(NotAllowedError) as caught:
        await import_csv(GOOD_CSV, actor=staff_actor("supervisor"))

    assert caught.value.code == "admin_only"
    assert await Region.all().count() == before


async def test_sample_tree_has_cuiping_with_its_twelve_villages(db):
    cuiping = await Region.get(code=CUIPING)
    villages = await Region.filter(parent_id=CUIPING).order_by("code")

    assert (cuiping.name, cuiping.level, cuiping.parent_id) == ("翠屏街道", "township", "511703")
    assert [v.name for v in villages] == ["草街子社区", "梧桐梁社区", "金华社区", "南坝社区", "新南社区", "新桥村",
                                          "堰坝村", "石河村", "蔡坪村", "长田村", "临江村", "亚云村"]
    assert {v.level for v in villages} == {"village"}
    assert not [v.code for v in villages if v.sample]
