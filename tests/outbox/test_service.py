import asyncio
from datetime import timedelta

import pytest

from api.kit import clock
from api.kit.db import unit_of_work
from api.outbox import service as outbox
from api.outbox.models import OutboxMessage

POLICY = outbox.RetryPolicy(max_attempts=3, base_seconds=10, cap_seconds=60, lease_seconds=30)


@pytest.fixture
def delivered():
    calls: list[str] = []

    async def handler(message: OutboxMessage) -> None:
        calls.append(message.key)

    outbox.register("test.ok", handler)
    return calls


@pytest.fixture
def failing():
    async def handler(message: OutboxMessage) -> None:
        raise ConnectionError("province down")

    async def permanent(message: OutboxMessage) -> None:
        raise outbox.PermanentFailure("bad request")

    outbox.register("test.fail", handler)
    outbox.register("test.permanent", permanent)


async def _enqueue(topic: str, key: str) -> None:
    async with unit_of_work():
        await outbox.enqueue(topic, key, {"n": key})


async def test_the_same_key_enqueues_one_message(db):
    await _enqueue("test.ok", "k1")
    await _enqueue("test.ok", "k1")
    assert await OutboxMessage.filter(key="k1").count() == 1


async def test_a_message_enqueued_in_a_rolled_back_transaction_is_gone(db):
    with pytest.raises(RuntimeError):
        async with unit_of_work():
            await outbox.enqueue("test.ok", "k-rollback", {})
            raise RuntimeError("the change failed")
    assert await OutboxMessage.filter(key="k-rollback").count() == 0


async def test_a_delivered_message_is_done(db, delivered):
    await _enqueue("test.ok", "k2")
    assert await outbox.dispatch_once("w1", POLICY) == 1
    message = await OutboxMessage.get(key="k2")
    assert (message.status, message.attempts) == ("done", 1)
    assert delivered == ["k2"]


async def test_a_failed_delivery_waits_and_keeps_the_error(db, failing):
    clock.freeze(clock.now())
    await _enqueue("test.fail", "k3")
    await outbox.dispatch_once("w1", POLICY)
    message = await OutboxMessage.get(key="k3")
    assert message.status == "pending"
    assert "province down" in message.last_error
    assert clock.now() <= message.next_attempt_at <= clock.now() + timedelta(seconds=10)
    clock.freeze(message.next_attempt_at + timedelta(seconds=1))
    assert await outbox.dispatch_once("w1", POLICY) == 1
    assert (await OutboxMessage.get(key="k3")).attempts == 2


async def test_a_message_is_dead_after_its_last_attempt(db, failing):
    clock.freeze(clock.now())
    await _enqueue("test.fail", "k4")
    for _ in range(3):
        clock.freeze(clock.now() + timedelta(minutes=5))
        await outbox.dispatch_once("w1", POLICY)
    message = await OutboxMessage.get(key="k4")
    assert (message.status, message.attempts) == ("dead", 3)


async def test_a_permanent_failure_is_dead_at_once(db, failing):
    await _enqueue("test.permanent", "k5")
    await outbox.dispatch_once("w1", POLICY)
    assert (await OutboxMessage.get(key="k5")).status == "dead"


async def test_a_dead_message_can_be_retried(db, failing, delivered):
    await _enqueue("test.permanent", "k6")
    await outbox.dispatch_once("w1", POLICY)
    outbox.register("test.permanent", outbox._handlers["test.ok"])
    async with unit_of_work():
        await outbox.retry("k6")
    await outbox.dispatch_once("w1", POLICY)
    assert (await OutboxMessage.get(key="k6")).status == "done"
    assert delivered == ["k6"]


async def test_a_message_claimed_by_a_worker_that_died_is_claimed_again_after_its_lease(db, delivered):
    clock.freeze(clock.now())
    await _enqueue("test.ok", "k7")
    async with unit_of_work():
        from api.outbox import repository

        stolen = await repository.claim("dead-worker", clock.now() + timedelta(seconds=30), clock.now(), 10)
    assert [m.key for m in stolen] == ["k7"]
    assert await outbox.dispatch_once("w2", POLICY) == 0
    clock.freeze(clock.now() + timedelta(seconds=31))
    assert await outbox.dispatch_once("w2", POLICY) == 1
    assert delivered == ["k7"]


async def test_two_workers_never_deliver_the_same_message(db, delivered):
    for i in range(30):
        await _enqueue("test.ok", f"c{i}")
    await asyncio.gather(*(outbox.dispatch_once(f"w{n}", POLICY, batch=5) for n in range(6)))
    await asyncio.gather(*(outbox.dispatch_once(f"w{n}", POLICY, batch=5) for n in range(6)))
    assert sorted(delivered) == sorted(f"c{i}" for i in range(30))
    assert await OutboxMessage.filter(status="done").count() == 30


async def test_a_claimed_batch_is_delivered_several_at_a_time_each_once(db):
    in_flight, most = 0, 0
    delivered: list[str] = []

    async def slow(message: OutboxMessage) -> None:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.05)  # the receiver takes a while: the other messages go meanwhile
        in_flight -= 1
        delivered.append(message.key)

    outbox.register("test.slow", slow)
    for i in range(6):
        await _enqueue("test.slow", f"s{i}")
    assert await outbox.dispatch_once("w1", POLICY, batch=6, concurrency=3) == 6
    assert most == 3
    assert sorted(delivered) == [f"s{i}" for i in range(6)]
    assert await OutboxMessage.filter(key__startswith="s", status="done").count() == 6


async def test_one_failing_message_of_a_concurrent_batch_leaves_the_others_delivered(db, delivered, failing):
    await _enqueue("test.ok", "m1")
    await _enqueue("test.fail", "m2")
    await _enqueue("test.ok", "m3")
    assert await outbox.dispatch_once("w1", POLICY, concurrency=3) == 3
    statuses = {m.key: m.status for m in await OutboxMessage.filter(key__in=["m1", "m2", "m3"])}
    assert statuses == {"m1": "done", "m2": "pending", "m3": "done"}
    assert sorted(delivered) == ["m1", "m3"]


async def test_a_worker_whose_lease_ran_out_does_not_undo_the_delivery_of_the_one_that_claimed_again(db):
    """The first worker is still sending when its lease runs out; a second one claims the message and delivers
    it; the first one's late failure must not put the delivered message back in the queue (to be sent again)
    nor report it failed."""
    started, release, calls, failures = asyncio.Event(), asyncio.Event(), [], []

    async def slow_then_fine(message: OutboxMessage) -> None:
        calls.append(message.attempts)
        if len(calls) == 1:
            started.set()
            await release.wait()
            raise TimeoutError("province did not answer")

    async def note(message: OutboxMessage, error: str) -> None:
        failures.append(error)

    outbox.register("test.slow", slow_then_fine)
    outbox.on_failure("test.slow", note)
    clock.freeze(clock.now())
    await _enqueue("test.slow", "k-lease")
    first = asyncio.create_task(outbox.dispatch_once("w1", POLICY))
    await started.wait()
    clock.freeze(clock.now() + timedelta(seconds=31))  # past the first claim's lease
    assert await outbox.dispatch_once("w2", POLICY) == 1
    release.set()
    await first

    message = await OutboxMessage.get(key="k-lease")
    assert (calls, message.status, message.attempts, failures) == ([1, 2], "done", 2, [])
