"""Each process keeps the items a workflow action reads for a few seconds; its own edits are seen at once, and
another process's as soon as its announcement arrives."""

import asyncio

import pytest

from api.aid_items import service
from api.aid_items.models import AidItem
from api.kit.broker import get_broker
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


async def _announcements(broker):
    """A subscription to the catalogue's write announcements, live before the test writes."""
    subscription = broker.subscribe(service.ITEMS_WRITTEN, max_queue=10)
    await subscription.wait_live()
    return subscription


async def test_an_edit_is_announced_to_every_process_once_it_commits(db):
    broker = get_broker()
    announced = await _announcements(broker)
    try:
        with pytest.raises(RuntimeError):
            async with unit_of_work():
                await service.update(ADMIN, "dibao", service.ItemUpdate(name="不会保存的名字"))
                raise RuntimeError("rolled back")
        await asyncio.sleep(0.05)
        assert announced._queue.empty()  # nothing committed, nothing announced
        async with unit_of_work():
            await service.update(ADMIN, "dibao", service.ItemUpdate(name="城乡低保"))
            await asyncio.sleep(0.05)
            assert announced._queue.empty()  # not before the commit
        assert await asyncio.wait_for(anext(announced), 2) == {"written": True}
    finally:
        announced.close()


async def test_a_copy_read_while_the_edit_was_open_is_dropped_when_it_commits(db):
    dibao = await _dibao()
    async with unit_of_work():
        await service.update(ADMIN, "dibao", service.ItemUpdate(name="改后的名字"))
        stale = await AidItem.get(id=dibao.id)
        stale.name = dibao.name
        # what another request of this process, reading before the commit, would have kept
        service._by_id[dibao.id] = (service._now() + service.ITEM_CACHE_SECONDS, stale)
    assert (await service.get_by_id(dibao.id)).name == "改后的名字"


async def test_a_process_drops_its_copies_when_another_announces_an_edit(db, monkeypatch):
    dibao = await _dibao()
    monkeypatch.setattr(service, "_now", lambda: 1000.0)  # the copies never grow old in this test
    service.forget_cached()
    service.watch_writes()
    assert (await service.get_by_id(dibao.id)).name != "另一进程改的名字"
    await AidItem.filter(id=dibao.id).update(name="另一进程改的名字")  # as another API process would…
    assert (await service.get_by_id(dibao.id)).name != "另一进程改的名字"  # (this one still has its copy)
    await get_broker().publish(service.ITEMS_WRITTEN, {"written": True})  # …and then announce it
    for _ in range(100):
        if dibao.id not in service._by_id:
            break
        await asyncio.sleep(0.01)
    assert (await service.get_by_id(dibao.id)).name == "另一进程改的名字"
