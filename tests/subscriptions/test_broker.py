"""The broker: in-process and Redis backends, bounded queues, and Redis outages that lose no change."""

from __future__ import annotations

import asyncio
import logging

import pytest
from redis.asyncio import Redis

from api.cases import repository
from api.kit.broker import RESYNC, InProcessBroker, RedisBroker, SubscriberTooSlow, configure_broker
from api.settings import get_settings, use_settings
from tests.factories import act, make_case
from tests.subscriptions.client import WAIT, connected
from tests.subscriptions.test_case_progress import applicant_with_token, events, progress


async def eventually(predicate) -> None:
    """Waits until `predicate()` holds (at most WAIT seconds)."""
    async with asyncio.timeout(WAIT):
        while not predicate():  # noqa: ASYNC110 (no event to wait on)
            await asyncio.sleep(0.01)


async def settled(read, expected):
    """Reads `read()` until it returns `expected` or WAIT seconds pass; returns the last value read."""
    deadline = asyncio.get_running_loop().time() + WAIT
    value = await read()
    while value != expected and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.01)
        value = await read()
    return value


async def next_message(subscription) -> dict:
    async with asyncio.timeout(WAIT):
        return await anext(subscription)


@pytest.fixture
async def redis_brokers(redis_server):
    """Two Redis brokers on one server, as two API processes would hold them."""
    first, second = RedisBroker(redis_server.url), RedisBroker(redis_server.url)
    await first.start()
    await second.start()
    await eventually(lambda: first.connected and second.connected)
    yield first, second
    await first.stop()
    await second.stop()


@pytest.fixture
async def redis_configured(redis_server):
    """Makes the process broker a Redis one, as `REDIS_URL` would; restores the in-process one after."""
    original = get_settings()
    broker = configure_broker(use_settings(original.model_copy(update={"redis_url": redis_server.url})))
    yield broker
    await broker.stop()
    configure_broker(use_settings(original))


async def test_in_process_subscriber_receives_only_its_channel():
    broker = InProcessBroker()
    async with broker.subscribe("case:1") as sub:
        await broker.publish("case:2", {"seq": 1})
        await broker.publish("case:1", {"seq": 2})
        received = await next_message(sub)

    assert received == {"seq": 2}


async def test_closed_subscription_ends_and_receives_nothing_more():
    broker = InProcessBroker()
    sub = broker.subscribe("case:1")
    await broker.publish("case:1", {"seq": 1})
    sub.close()
    await broker.publish("case:1", {"seq": 2})

    assert [m async for m in sub] == [{"seq": 1}]
    assert broker.local_subscribers("case:1") == 0


async def test_slow_subscriber_is_cut_off_while_another_keeps_receiving():
    broker = InProcessBroker()
    cut_off = []
    slow = broker.subscribe("region:511703", max_queue=2, on_overflow=lambda: cut_off.append(True))
    fast = broker.subscribe("region:511703")
    for seq in range(1, 6):
        await broker.publish("region:511703", {"seq": seq})

    assert [(await next_message(fast))["seq"] for _ in range(5)] == [1, 2, 3, 4, 5]
    assert cut_off == [True]
    assert broker.local_subscribers("region:511703") == 1
    with pytest.raises(SubscriberTooSlow):
        await next_message(slow)


async def test_message_published_through_one_redis_broker_reaches_a_subscriber_of_another(redis_brokers):
    publisher, listener = redis_brokers
    async with listener.subscribe("case:7") as sub:
        await publisher.publish("case:7", {"case_id": 7, "seq": 1, "action": "提交"})
        received = await next_message(sub)

    assert received == {"case_id": 7, "seq": 1, "action": "提交"}


async def test_one_redis_subscription_serves_every_local_subscriber_of_a_channel(redis_brokers, redis_server):
    _, listener = redis_brokers
    redis = Redis.from_url(redis_server.url)
    async with listener.subscribe("case:8"), listener.subscribe("case:8"):
        during = await settled(lambda: redis.pubsub_numsub("case:8"), [(b"case:8", 1)])
    after = await settled(lambda: redis.pubsub_numsub("case:8"), [(b"case:8", 0)])
    await redis.aclose()

    assert during == [(b"case:8", 1)]
    assert after == [(b"case:8", 0)]


async def test_a_channel_left_and_taken_again_at_once_stays_subscribed_and_delivers(redis_brokers, redis_server):
    publisher, listener = redis_brokers
    redis = Redis.from_url(redis_server.url)
    async with listener.subscribe("case:11"):
        pass
    async with listener.subscribe("case:11") as sub:  # before the listener has seen the first one go
        await publisher.publish("case:11", {"seq": 1})
        received = await next_message(sub)
        subscribed = await redis.pubsub_numsub("case:11")
    await redis.aclose()

    assert received == {"seq": 1}
    assert subscribed == [(b"case:11", 1)]


async def test_only_channels_that_still_have_subscribers_stay_subscribed_at_redis(redis_brokers, redis_server):
    publisher, listener = redis_brokers
    redis = Redis.from_url(redis_server.url)
    subs = [listener.subscribe(f"case:{1000 + n}") for n in range(100)]
    for sub in subs:
        await sub.wait_live()
    for sub in subs[::2]:
        sub.close()
    kept = [(f"case:{1000 + n}".encode(), n % 2) for n in range(100)]
    numsub = await settled(lambda: redis.pubsub_numsub(*(f"case:{1000 + n}" for n in range(100))), kept)
    await publisher.publish("case:1001", {"seq": 1})
    received = await next_message(subs[1])
    for sub in subs[1::2]:
        sub.close()
    after = await settled(lambda: redis.pubsub_numsub("case:1001"), [(b"case:1001", 0)])
    await redis.aclose()

    assert numsub == kept
    assert received == {"seq": 1}
    assert after == [(b"case:1001", 0)]


async def test_publish_while_redis_is_down_logs_and_returns(redis_brokers, redis_server, caplog):
    publisher, _ = redis_brokers
    redis_server.stop()

    with caplog.at_level(logging.WARNING, logger="dachuan.broker"):
        await publisher.publish("case:9", {"seq": 1})

    assert "Redis unreachable, message on case:9 dropped" in caplog.text


async def test_messages_published_together_arrive_in_order_on_each_channel(redis_brokers):
    publisher, listener = redis_brokers
    async with listener.subscribe("case:12") as case, listener.subscribe("region:511703") as region:
        await publisher.publish_many([("case:12", {"seq": 1, "event": {"seq": 1}}), ("region:511703", {"seq": 1}),
                                      ("case:12", {"seq": 2})])
        on_case = [await next_message(case), await next_message(case)]
        on_region = await next_message(region)

    assert on_case == [{"seq": 1, "event": {"seq": 1}}, {"seq": 2}]
    assert on_region == {"seq": 1}


async def test_messages_published_together_still_go_after_redis_restarts_without_its_scripts(
        redis_brokers, redis_server):
    publisher, listener = redis_brokers
    async with listener.subscribe("case:14") as sub:
        await publisher.publish_many([("case:14", {"seq": 1}), ("case:14", {"seq": 2})])
        before = [await next_message(sub), await next_message(sub)]
        redis_server.stop()
        redis_server.restart()  # a new server: the publishing script is unknown to it
        assert await next_message(sub) == RESYNC
        await publisher.publish_many([("case:14", {"seq": 3}), ("case:14", {"seq": 4})])
        after = [await next_message(sub), await next_message(sub)]

    assert before == [{"seq": 1}, {"seq": 2}]
    assert after == [{"seq": 3}, {"seq": 4}]


async def test_publishing_several_while_redis_is_down_logs_and_returns(redis_brokers, redis_server, caplog):
    publisher, _ = redis_brokers
    redis_server.stop()

    with caplog.at_level(logging.WARNING, logger="dachuan.broker"):
        await publisher.publish_many([("case:13", {"seq": 1}), ("region:511703", {"seq": 1})])

    assert "Redis unreachable, 2 messages on case:13 dropped" in caplog.text


async def test_delivery_resumes_after_redis_restarts(redis_brokers, redis_server):
    publisher, listener = redis_brokers
    async with listener.subscribe("case:10") as sub:
        await publisher.publish("case:10", {"seq": 1})
        before = await next_message(sub)
        redis_server.stop()
        redis_server.restart()
        resync = await next_message(sub)
        await publisher.publish("case:10", {"seq": 2})  # on a pooled connection left from before the restart
        after = await next_message(sub)

    assert before == {"seq": 1}
    assert resync == RESYNC
    assert after == {"seq": 2}


async def test_mutation_succeeds_while_redis_is_down(db, redis_server, redis_configured):
    case = await make_case("dibao", "submitted")
    redis_server.stop()

    accepted, event = await act(case.id, "accept")

    assert (accepted.status, event.seq) == ("investigating", 2)
    assert (await repository.by_id(case.id)).status == "investigating"


async def test_subscriber_gets_a_step_committed_during_a_redis_outage_once_redis_returns(redis_live, sms,
                                                                                          redis_server):
    applicant, token = await applicant_with_token(redis_live, sms)
    case = await make_case("dibao", "submitted", applicant=applicant)
    async with connected(redis_live, token) as ws:
        op = await progress(ws, case.id)
        before = await events(ws, op, 1)
        redis_server.stop()
        await act(case.id, "accept")  # commits; its announcement is lost
        redis_server.restart()
        after = await events(ws, op, 1)  # read from the database on the resync

    assert before + after == [(1, "submit"), (2, "accept")]
