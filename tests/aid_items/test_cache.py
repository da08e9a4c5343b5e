"""Each process keeps the items a workflow action reads for a few seconds; its own edits are seen at once."""

from api.aid_items import service
from api.aid_items.models import AidItem
from api.kit.db import unit_of_work
from tests.factories import ADMIN
from tests.graphql.helpers import counting_sql


async def _dibao() -> AidItem:
    return await AidItem.get(code="dibao")


async def test_an_item_read_again_within_seconds_costs_no_query(db):
    dibao = await _dibao()
    with counting_sql() as statements:
        first = await service.get_by_id(dibao.id)
        again = await service.get_by_id(dibao.id)
    assert first.code == again.code == "dibao"
    assert len([s for s in statements if "aid_item" in s]) == 1


async def test_an_edit_through_this_process_is_seen_at_once(db):
    dibao = await _dibao()
    assert (await service.get_by_id(dibao.id)).stage_limits["investigate"] != {"working_days": 12}
    async with unit_of_work():
        await service.update(ADMIN, "dibao", service.ItemUpdate(stage_limits={"investigate": {"working_days": 12}}))
    assert (await service.get_by_id(dibao.id)).stage_limits["investigate"] == {"working_days": 12}


async def test_an_edit_made_elsewhere_is_seen_once_the_copy_is_old(db, monkeypatch):
    dibao = await _dibao()
    now = [1000.0]
    monkeypatch.setattr(service, "_now", lambda: now[0])
    service.forget_cached()
    assert (await service.get_by_id(dibao.id)).name != "另一进程改的名字"
    await AidItem.filter(id=dibao.id).update(name="另一进程改的名字")  # as another API process would
    now[0] += service.ITEM_CACHE_SECONDS - 0.1
    assert (await service.get_by_id(dibao.id)).name != "另一进程改的名字"
    now[0] += 0.2
    assert (await service.get_by_id(dibao.id)).name == "另一进程改的名字"
