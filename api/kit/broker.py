"""Publishes committed events to whoever listens (in-process for now; Redis in the scaled-out set-up)."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable

log = logging.getLogger("dachuan.broker")
Listener = Callable[[str, dict], Awaitable[None]]


class InProcessBroker:
    """Delivers each message to the listeners of its channel inside this process."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = defaultdict(list)

    def listen(self, channel: str, listener: Listener) -> Callable[[], None]:
        """Adds a listener; returns a function that removes it."""
        self._listeners[channel].append(listener)
        return lambda: self._listeners[channel].remove(listener)

    async def publish(self, channel: str, message: dict) -> None:
        """Delivers `message` to every listener of `channel`; a failing listener does not stop the rest."""
        for listener in list(self._listeners.get(channel, ())):
            try:
                await listener(channel, message)
            except Exception:  # a broken subscriber must not fail the mutation that already committed
                log.exception("listener failed on %s", channel)


_broker = InProcessBroker()


def get_broker() -> InProcessBroker:
    return _broker


def fire_and_forget(coro: Awaitable[None]) -> None:
    asyncio.get_running_loop().create_task(coro)  # type: ignore[arg-type]
