"""Enqueue work in the caller's transaction; deliver it later, at least once, with back-off and a dead letter."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from api.kit import clock
from api.kit.db import publish_after_commit
from api.outbox import repository
from api.outbox.models import OutboxMessage

log = logging.getLogger("dachuan.outbox")
WAKE_CHANNEL = "outbox:wake"
Handler = Callable[[OutboxMessage], Awaitable[None]]
# A handler for several messages of a topic at once: answers each message's outcome by its id, None when it was
# delivered (a message it does not name counts as delivered); raising fails every message of the call.
BatchHandler = Callable[[list[OutboxMessage]], Awaitable[dict[int, BaseException | None]]]
_handlers: dict[str, Handler] = {}
_batch_handlers: dict[str, BatchHandler] = {}


class PermanentFailure(Exception):
    """A failure that no retry will fix (the receiver refused the message as invalid)."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base_seconds: float = 1.0
    cap_seconds: float = 300.0
    lease_seconds: float = 60.0

    def delay(self, attempts: int) -> float:
        """Returns the wait before attempt `attempts + 1`: exponential, capped, with full jitter."""
        return random.uniform(0, min(self.cap_seconds, self.base_seconds * 2 ** max(attempts - 1, 0)))


def register(topic: str, handler: Handler) -> None:
    """Names the function that delivers messages of a topic."""
    _handlers[topic] = handler
    _batch_handlers.pop(topic, None)


def register_batch(topic: str, handler: BatchHandler) -> None:
    """Names the function that delivers the claimed messages of a topic together (one call per claim)."""
    _batch_handlers[topic] = handler
    _handlers.pop(topic, None)


async def enqueue(topic: str, key: str, payload: dict) -> None:
    """Writes a message in the current transaction, once per key (a second one with the same key is ignored
    by the key's unique index: one statement); workers are woken after the commit."""
    now = clock.now()
    await repository.add_once(topic=topic, key=key, payload=payload, next_attempt_at=now, created_at=now)
    publish_after_commit([(WAKE_CHANNEL, {"topic": topic})])  # with the change's own events, in one round trip


async def dispatch_once(worker: str, policy: RetryPolicy, *, batch: int = 20, concurrency: int = 8) -> int:
    """Claims a batch of due messages and delivers them, `concurrency` at a time; returns how many were attempted."""
    now = clock.now()
    # one statement claims the rows (autocommit): they are this worker's once it returns
    claimed = await repository.claim(worker, now + timedelta(seconds=policy.lease_seconds), now, batch)
    # the messages of a topic delivered together go in one call; the others one by one, below
    together: dict[str, list[OutboxMessage]] = {}
    single: list[OutboxMessage] = []
    for message in claimed:
        if message.topic in _batch_handlers:
            together.setdefault(message.topic, []).append(message)
        else:
            single.append(message)
    for topic, messages in together.items():
        await _deliver_together(_batch_handlers[topic], messages, policy)
    if len(single) <= 1 or concurrency <= 1:
        for message in single:
            await _deliver(message, policy)
        return len(claimed)
    # each claimed row belongs to this worker alone and is delivered by one task with its own transaction
    slots = asyncio.Semaphore(concurrency)

    async def deliver(message: OutboxMessage) -> None:
        async with slots:
            await _deliver(message, policy)

    failures = [r for r in await asyncio.gather(*(deliver(m) for m in single), return_exceptions=True)
                if isinstance(r, BaseException)]
    if failures:  # every other message of the batch was still delivered; its row is claimed again later
        raise failures[0]
    return len(claimed)


async def _deliver(message: OutboxMessage, policy: RetryPolicy) -> None:
    handler = _handlers.get(message.topic)
    failure: BaseException | None = None
    if handler is None:
        failure = PermanentFailure(f"no handler for topic {message.topic}")
    else:
        try:
            await handler(message)
        except Exception as e:  # delivery failures are data here: recorded, retried, dead-lettered
            failure = e
    await _record(message, failure, policy)


async def _deliver_together(handler: BatchHandler, messages: list[OutboxMessage], policy: RetryPolicy) -> None:
    try:
        outcomes = await handler(messages)
    except Exception as e:  # the whole call failed (the receiver did not answer): each message is retried
        outcomes = {m.id: e for m in messages}
    delivered = [m for m in messages if outcomes.get(m.id) is None]
    if delivered:
        now = clock.now()
        # one UPDATE for all of them (autocommit), each still only while its claim holds
        recorded = await repository.mark_done(delivered, now)
        if recorded < len(delivered):
            log.warning("outbox: %d of %d delivered messages ended after their lease; outcome not recorded",
                        len(delivered) - recorded, len(delivered))
    for m in messages:
        failure = outcomes.get(m.id)
        if failure is not None:
            await _record(m, failure, policy)


async def _record(message: OutboxMessage, failure: BaseException | None, policy: RetryPolicy) -> None:
    """Writes the outcome of one attempt: done, retried after a back-off, or dead."""
    error: str | None = None
    permanent = isinstance(failure, PermanentFailure)
    if permanent:
        error = str(failure) or type(failure).__name__
    elif failure is not None:
        error = f"{type(failure).__name__}: {failure}"[:2000]
        log.warning("outbox %s attempt %s failed: %s", message.key, message.attempts, error)
    now = clock.now()
    if error is None:
        message.status, message.done_at, message.last_error = "done", now, None
    elif permanent or message.attempts >= policy.max_attempts:
        message.status, message.last_error = "dead", error
    else:
        message.status, message.last_error = "pending", error
        message.next_attempt_at = now + timedelta(seconds=policy.delay(message.attempts))
    message.claimed_by = message.claimed_until = None
    # one UPDATE (autocommit): no transaction of its own needed
    if not await repository.save_claimed(message, ["status", "done_at", "last_error", "next_attempt_at",
                                                   "claimed_by", "claimed_until"]):
        # the lease ran out while this attempt was under way: the message is another claim's now, whose
        # outcome counts (this one's would undo a delivery, or report a failure the later attempt mended)
        log.warning("outbox %s attempt %s ended after its lease; outcome not recorded", message.key,
                    message.attempts)
        return
    if error is not None:
        await _on_failure(message, error)


_failure_listeners: dict[str, Callable[[OutboxMessage, str], Awaitable[None]]] = {}


def on_failure(topic: str, listener: Callable[[OutboxMessage, str], Awaitable[None]]) -> None:
    """Names a function told of each failed attempt of a topic (to show the sync state to supervisors)."""
    _failure_listeners[topic] = listener


async def _on_failure(message: OutboxMessage, error: str) -> None:
    listener = _failure_listeners.get(message.topic)
    if listener is not None:
        await listener(message, error)


async def retry(key: str) -> OutboxMessage | None:
    """Puts a dead message back in the queue with a fresh attempt count."""
    message = await repository.by_key(key)
    if message is None or message.status != "dead":
        return message
    message.status, message.attempts, message.next_attempt_at = "pending", 0, clock.now()
    await repository.save(message, ["status", "attempts", "next_attempt_at"])
    publish_after_commit([(WAKE_CHANNEL, {"topic": message.topic})])
    return message


async def depth() -> int:
    """Returns how many messages wait or are in flight."""
    return await repository.depth()
