"""Publishes committed events to live subscribers: in-process (the embedded default) or over Redis pub/sub.

The database is the source of truth. The broker only tells subscribers that something changed, so a
lost message costs latency, never data: a subscriber re-reads what it missed (`afterSeq`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

if TYPE_CHECKING:
    from api.settings import Settings

log = logging.getLogger("dachuan.broker")

DEFAULT_MAX_QUEUE = 256
LIVE_WAIT = 5.0  # seconds a new subscription waits for Redis to confirm its channel
# Delivered to every local subscriber once its channel is live again after a Redis outage: messages
# published meanwhile are lost, so a subscriber that sees this re-reads the database.
RESYNC: dict[str, Any] = {"resync": True}
_END = object()


class SubscriberTooSlow(Exception):
    """Raised from a subscription whose queue overflowed: its reader fell behind and was cut off."""

    def __init__(self, channel: str, max_queue: int) -> None:
        super().__init__(f"subscriber on {channel} fell more than {max_queue} messages behind")
        self.channel = channel


class Subscription:
    """The messages of one channel for one local reader, in order, through a bounded queue.

    Use as `async with broker.subscribe(channel) as sub:` (it waits until the subscription is live,
    then closes it on leaving) and read with `async for message in sub`.
    """

    def __init__(self, channel: str, *, max_queue: int, detach: Callable[[Subscription], None],
                 on_overflow: Callable[[], None] | None = None) -> None:
        if max_queue < 1:
            raise ValueError("max_queue must be at least 1")
        self.channel = channel
        self.max_queue = max_queue
        self.closed = False
        self._queue: asyncio.Queue[Any] = asyncio.Queue()  # bounded by `_deliver`, so the end marker always fits
        self._detach = detach
        self._on_overflow = on_overflow
        self._live = asyncio.Event()
        self._stale = False  # set while the backend may have missed messages for this channel
        self._error: SubscriberTooSlow | None = None

    async def __aenter__(self) -> Subscription:
        await self.wait_live()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    async def wait_live(self) -> None:
        """Waits until messages published from now on reach this subscription (at most LIVE_WAIT seconds)."""
        try:
            async with asyncio.timeout(LIVE_WAIT):
                await self._live.wait()
        except TimeoutError:
            # going on is safe: the next message (or the resync after an outage) makes the reader catch up
            log.warning("subscription to %s not confirmed within %ss; going on", self.channel, LIVE_WAIT)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict:
        item = await self._queue.get()
        if item is _END:
            self._queue.put_nowait(_END)  # every later read ends too
            if self._error is not None:
                raise self._error
            raise StopAsyncIteration
        return item

    def close(self) -> None:
        """Stops delivery; the iterator ends once it reaches this point."""
        if self.closed:
            return
        self.closed = True
        self._detach(self)
        self._queue.put_nowait(_END)

    def _deliver(self, message: dict) -> None:
        if self.closed:
            return
        if self._queue.qsize() >= self.max_queue:
            self._overflow()
            return
        self._queue.put_nowait(message)

    def _overflow(self) -> None:
        log.warning("subscriber on %s fell %s messages behind: disconnected", self.channel, self.max_queue)
        self._error = SubscriberTooSlow(self.channel, self.max_queue)
        while not self._queue.empty():  # the backlog goes: the database holds every event anyway
            self._queue.get_nowait()
        self.close()
        if self._on_overflow is not None:
            self._on_overflow()


class Broker(Protocol):
    """Channels of JSON-able messages; publishing never fails the caller."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, channel: str, message: dict) -> None: ...

    async def publish_many(self, messages: list[tuple[str, dict]]) -> None: ...

    def subscribe(self, channel: str, *, max_queue: int = DEFAULT_MAX_QUEUE,
                  on_overflow: Callable[[], None] | None = None) -> Subscription: ...

    def local_subscribers(self, channel: str) -> int: ...


class _LocalSubscribers:
    """The subscriptions of this process, by channel."""

    def __init__(self) -> None:
        self._subscriptions: dict[str, set[Subscription]] = {}

    def local_subscribers(self, channel: str) -> int:
        """Returns how many subscriptions of this process listen on `channel`."""
        return len(self._subscriptions.get(channel, ()))

    def _add(self, channel: str, max_queue: int, on_overflow: Callable[[], None] | None) -> Subscription:
        subscription = Subscription(channel, max_queue=max_queue, detach=self._remove, on_overflow=on_overflow)
        subscribers = self._subscriptions.get(channel)
        if subscribers is None:
            subscribers = self._subscriptions[channel] = set()
            self._channel_changed(channel)
        subscribers.add(subscription)
        return subscription

    def _remove(self, subscription: Subscription) -> None:
        subscribers = self._subscriptions.get(subscription.channel)
        if subscribers is None:
            return
        subscribers.discard(subscription)
        if not subscribers:
            del self._subscriptions[subscription.channel]
            self._channel_changed(subscription.channel)

    def _channel_changed(self, channel: str) -> None:
        """Called when `channel` gains its first local subscriber or loses its last one."""

    def _fan_out(self, channel: str, message: dict) -> None:
        for subscription in list(self._subscriptions.get(channel, ())):
            subscription._deliver(message)

    def _close_all(self) -> None:
        for subscribers in list(self._subscriptions.values()):
            for subscription in list(subscribers):
                subscription.close()


class InProcessBroker(_LocalSubscribers):
    """Delivers each message to the subscribers of its channel inside this process."""

    async def start(self) -> None:
        """Nothing to connect to."""

    async def stop(self) -> None:
        """Ends every subscription."""
        self._close_all()

    async def publish(self, channel: str, message: dict) -> None:
        """Queues `message` for every subscriber of `channel`; never blocks on a slow one."""
        try:
            self._fan_out(channel, message)
        except Exception:  # the change is committed; a broken subscriber must not fail its mutation
            log.exception("delivery failed on %s", channel)

    async def publish_many(self, messages: list[tuple[str, dict]]) -> None:
        """Publishes each (channel, message) in order."""
        for channel, message in messages:
            await self.publish(channel, message)

    def subscribe(self, channel: str, *, max_queue: int = DEFAULT_MAX_QUEUE,
                  on_overflow: Callable[[], None] | None = None) -> Subscription:
        """Returns a subscription to `channel`, live at once."""
        subscription = self._add(channel, max_queue, on_overflow)
        subscription._live.set()
        return subscription


class RedisBroker(_LocalSubscribers):
    """Redis pub/sub: one subscriber connection per process, fanned out to local queues.

    A reader task owns the connection: it subscribes and unsubscribes channels as local subscribers
    come and go, and when Redis goes away it reconnects with back-off, subscribes the current channels
    again and sends each of their subscribers `RESYNC`.
    """

    def __init__(self, url: str, *, timeout: float = 2.0, poll_seconds: float = 0.02,
                 max_backoff: float = 5.0) -> None:
        super().__init__()
        self.url = url
        self._poll_seconds = poll_seconds
        self._max_backoff = max_backoff
        # Publishing retries once, at once: a pooled connection may be left over from before a Redis restart.
        self._redis = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                     retry=Retry(NoBackoff(), 1))
        self._publish_all = self._redis.register_script(self._PUBLISH_ALL)  # EVALSHA, loaded when Redis lacks it
        # The listener never retries inside redis-py: it must see each outage to resync its subscribers.
        self._listener = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout,
                                        retry=Retry(NoBackoff(), 0))
        self._task: asyncio.Task | None = None
        self._connected = False
        self._subscribed: set[str] = set()  # channels SUBSCRIBEd on the current connection
        self._pending: dict[str, int] = {}  # SUBSCRIBE replies still to come, by channel
        self._confirmed: set[str] = set()  # channels Redis has confirmed on the current connection
        # channels whose local subscribers came or went since the last `_sync`: it looks at these only, so a
        # listener iteration costs O(changes), not O(channels)
        self._changed: set[str] = set()

    @property
    def connected(self) -> bool:
        """Tells whether the listening connection is up."""
        return self._connected

    async def start(self) -> None:
        """Starts the listener (publishing works without it)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._listen(), name="redis-broker")

    async def stop(self) -> None:
        """Stops the listener, ends every subscription and closes the connections."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._close_all()
        await self._redis.aclose()
        await self._listener.aclose()

    async def publish(self, channel: str, message: dict) -> None:
        """Publishes `message`; when Redis is unreachable, logs and drops it (subscribers catch up later)."""
        try:
            await self._redis.publish(channel, json.dumps(message, ensure_ascii=False, separators=(",", ":")))
        except (RedisError, OSError) as e:
            log.warning("Redis unreachable, message on %s dropped (%s)", channel, e)
        except Exception:
            log.exception("message on %s dropped", channel)

    # PUBLISHes each channel and message given, in order, inside Redis: the client sends one command and reads one
    # reply for all of them, where a pipeline costs it a command and a reply each (a batch of provincial
    # decisions publishes ~80 messages)
    _PUBLISH_ALL = "for i = 1, #ARGV, 2 do redis.call('PUBLISH', ARGV[i], ARGV[i + 1]) end return #ARGV / 2"

    async def publish_many(self, messages: list[tuple[str, dict]]) -> None:
        """Publishes each (channel, message) in order, in one round trip to Redis (one script call); when Redis
        is unreachable, logs and drops them."""
        if len(messages) <= 1:
            for channel, message in messages:
                await self.publish(channel, message)
            return
        try:
            await self._publish_all(args=[part for channel, message in messages for part in (
                channel, json.dumps(message, ensure_ascii=False, separators=(",", ":")))])
        except (RedisError, OSError) as e:
            log.warning("Redis unreachable, %s messages on %s dropped (%s)", len(messages), messages[0][0], e)
        except Exception:
            log.exception("%s messages on %s dropped", len(messages), messages[0][0])

    def subscribe(self, channel: str, *, max_queue: int = DEFAULT_MAX_QUEUE,
                  on_overflow: Callable[[], None] | None = None) -> Subscription:
        """Returns a subscription to `channel`; it is live once Redis confirms the channel."""
        subscription = self._add(channel, max_queue, on_overflow)
        if channel in self._confirmed:
            subscription._live.set()
        elif not self._connected:
            # nothing can be confirmed during an outage: go on, and resync once the channel is back
            subscription._stale = True
            subscription._live.set()
        return subscription

    async def _listen(self) -> None:
        backoff = 0.05
        failures = 0
        while True:
            pubsub = self._listener.pubsub()
            self._subscribed, self._pending = set(), {}
            self._changed = set(self._subscriptions)  # a new connection subscribes every current channel
            try:
                await pubsub.connect()
                await self._sync(pubsub)
                self._connected = True
                if failures:
                    log.info("Redis is back after %s failed attempts; live delivery resumes", failures)
                backoff, failures = 0.05, 0
                while True:
                    message = await pubsub.get_message(timeout=self._poll_seconds)
                    if message is not None:
                        self._handle(message)
                    await self._sync(pubsub)
            except (RedisError, OSError) as e:
                self._lost()
                failures += 1
                level = logging.WARNING if failures == 1 else logging.DEBUG
                log.log(level, "Redis subscriber connection lost (%s); retrying in %.2fs", e, backoff)
            except Exception:  # a bug here must not end live delivery for the life of the process
                self._lost()
                failures += 1
                log.exception("Redis listener failed; reconnecting in %.2fs", backoff)
            finally:
                self._connected = False
                await pubsub.aclose()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff)

    def _channel_changed(self, channel: str) -> None:
        self._changed.add(channel)

    async def _sync(self, pubsub: Any) -> None:
        if not self._changed:
            return
        changed, self._changed = self._changed, set()
        added = {c for c in changed if c in self._subscriptions and c not in self._subscribed}
        dropped = {c for c in changed if c not in self._subscriptions and c in self._subscribed}
        if dropped:
            self._subscribed -= dropped
            self._confirmed -= dropped
            await pubsub.unsubscribe(*sorted(dropped))
        if added:
            self._subscribed |= added
            for channel in added:
                self._pending[channel] = self._pending.get(channel, 0) + 1
            await pubsub.subscribe(*sorted(added))

    def _handle(self, message: dict) -> None:
        channel = message["channel"].decode() if isinstance(message["channel"], bytes) else message["channel"]
        kind = message["type"]
        if kind == "message":
            try:
                payload = json.loads(message["data"])
            except ValueError:
                payload = None
            if not isinstance(payload, dict):
                log.warning("ignored a message on %s that is not a JSON object", channel)
                return
            self._fan_out(channel, payload)
        elif kind == "subscribe":
            # only the reply to the latest SUBSCRIBE counts: an earlier one may precede an UNSUBSCRIBE
            left = self._pending.get(channel, 1) - 1
            if left > 0:
                self._pending[channel] = left
                return
            self._pending.pop(channel, None)
            if channel not in self._subscribed:
                return
            self._confirmed.add(channel)
            for subscription in list(self._subscriptions.get(channel, ())):
                if subscription._stale:
                    subscription._stale = False
                    subscription._deliver(RESYNC)
                subscription._live.set()

    def _lost(self) -> None:
        self._connected = False
        self._confirmed.clear()
        for subscribers in self._subscriptions.values():
            for subscription in subscribers:
                subscription._stale = True
                subscription._live.set()


_broker: Broker = InProcessBroker()


def configure_broker(settings: Settings) -> Broker:
    """Chooses the backend: Redis pub/sub when `redis_url` is set, in-process otherwise."""
    global _broker
    _broker = RedisBroker(settings.redis_url) if settings.redis_url else InProcessBroker()
    return _broker


def get_broker() -> Broker:
    """Returns the broker of this process."""
    return _broker


class ChannelWatch:
    """Hands every message of one channel to `on_message` for the life of the process: one subscription, made
    when `start` is first called and made again when the broker or the event loop was replaced since (tests
    replace both). A resync after an outage arrives as RESYNC, like any message. A watch that falls more than
    `max_queue` messages behind calls `on_overflow` and stops; the next `start` listens again."""

    def __init__(self, channel: str, on_message: Callable[[dict], None], *, on_overflow: Callable[[], None],
                 max_queue: int, name: str) -> None:
        self.channel = channel
        self._on_message = on_message
        self._on_overflow = on_overflow
        self._max_queue = max_queue
        self._name = name
        self._task: asyncio.Task | None = None
        self._broker: Broker | None = None
        self._subscription: Subscription | None = None

    def start(self) -> None:
        """Listens from now on; does nothing when already listening on this loop and broker."""
        broker, loop = get_broker(), asyncio.get_running_loop()
        task = self._task
        if task is not None and not task.done() and self._broker is broker and task.get_loop() is loop:
            return
        if task is not None and not task.done() and task.get_loop() is loop:
            task.cancel()  # the broker was replaced (tests): listen on the new one
        self._broker = broker
        subscription = self._subscription = broker.subscribe(self.channel, max_queue=self._max_queue)
        self._task = loop.create_task(self._listen(subscription), name=self._name)

    async def live(self) -> None:
        """Waits until messages published from now on reach the watch (through Redis: once it confirmed the
        channel)."""
        if self._subscription is not None:
            await self._subscription.wait_live()

    async def _listen(self, subscription: Subscription) -> None:
        try:
            async for message in subscription:
                self._on_message(message)
        except SubscriberTooSlow:
            self._on_overflow()
        finally:
            subscription.close()
