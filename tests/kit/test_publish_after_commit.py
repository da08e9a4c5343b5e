"""Broker messages of a unit of work go out after its commit, all in one `publish_many` (one Redis pipeline)."""

import asyncio

import pytest

import api.kit.broker as broker_module
from api.kit.db import publish_after_commit, unit_of_work
from api.outbox import service as outbox
from tests.province.conftest import accepted_gaoling_case


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[list[tuple[str, dict]]] = []

    async def publish_many(self, messages):
        self.calls.append(list(messages))


@pytest.fixture
def recorder(monkeypatch):
    r = _Recorder()
    monkeypatch.setattr(broker_module, "get_broker", lambda: r)
    return r


async def test_one_units_messages_go_out_together_in_order_after_the_commit(db, recorder):
    async with unit_of_work():
        publish_after_commit([("a", {"n": 1})])
        publish_after_commit([("b", {"n": 2}), ("c", {"n": 3})])
        assert recorder.calls == []  # nothing before the commit
    assert recorder.calls == [[("a", {"n": 1}), ("b", {"n": 2}), ("c", {"n": 3})]]


async def test_a_unit_that_rolls_back_publishes_nothing(db, recorder):
    with pytest.raises(RuntimeError):
        async with unit_of_work():
            publish_after_commit([("a", {"n": 1})])
            raise RuntimeError("rolled back")
    await asyncio.sleep(0)
    assert recorder.calls == []


async def test_without_a_unit_the_messages_go_out_at_once(db, recorder):
    publish_after_commit([("a", {"n": 1})])
    await asyncio.sleep(0)
    assert recorder.calls == [[("a", {"n": 1})]]


async def test_accepting_a_gaoling_case_sends_its_events_and_the_outbox_wake_up_in_one_round_trip(db, recorder):
    await accepted_gaoling_case()
    accept = recorder.calls[-1]
    assert [channel for channel, _ in accept][0] == outbox.WAKE_CHANNEL
    assert [m.get("action") for _, m in accept[1:]] == ["accept"] * 4  # the case's channel and three regions
