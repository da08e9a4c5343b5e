"""The worker loops, run by `python -m workers` or as a task inside the API process (embedded default)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time

from api.cases import service as cases
from api.outbox import service as outbox
from api.province import service as province
from api.settings import Settings

log = logging.getLogger("dachuan.workers")
OUTBOX_BATCH = 50  # messages claimed at once by one worker (a batch topic sends them in one request)
OUTBOX_LINGER_SECONDS = 0.08  # how long a busy outbox lets messages gather before the next claim


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


async def _every(seconds: float, stop: asyncio.Event, work, name: str, wake: asyncio.Event | None = None) -> None:
    while not stop.is_set():
        busy = False
        try:
            busy = bool(await work())
        except Exception:  # a failing round is logged and retried on the next tick; the loop lives on
            log.exception("%s round failed", name)
        if busy:
            continue
        waiters = [asyncio.ensure_future(stop.wait())]
        if wake is not None:
            waiters.append(asyncio.ensure_future(wake.wait()))
        _, pending = await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        for p in pending:
            p.cancel()
        if wake is not None:
            wake.clear()


async def _listen_for_wake(wake: asyncio.Event, stop: asyncio.Event) -> None:
    """Sets `wake` whenever new outbox work is committed (the broker carries the hint); polling stays the fallback."""
    from api.kit.broker import get_broker

    broker = get_broker()
    while not stop.is_set():
        try:
            async with broker.subscribe(outbox.WAKE_CHANNEL) as subscription:
                async for _ in subscription:
                    wake.set()
                    if stop.is_set():
                        break
        except Exception as e:  # the hint is an optimisation: without it, polling carries the work
            log.info("wake-up channel lost (%s); polling only", e)
        await asyncio.sleep(1)


async def run_workers(settings: Settings, stop: asyncio.Event, *, name: str | None = None) -> None:
    """Runs every worker loop until `stop` is set."""
    province.register_handlers()
    worker = name or worker_name()
    policy = outbox.RetryPolicy(max_attempts=settings.outbox_max_attempts,
                                lease_seconds=max(settings.province_timeout_seconds * 3, 30))
    wake = asyncio.Event()
    load = _Load()
    tasks = [
        asyncio.create_task(_listen_for_wake(wake, stop)),
        asyncio.create_task(_every(settings.outbox_poll_seconds, stop,
                                   lambda: _dispatch(worker, policy, load), "outbox", wake)),
        asyncio.create_task(_every(min(settings.reconcile_interval_seconds, 10.0), stop,
                                   lambda: _reconcile(), "reconciler")),
        asyncio.create_task(_every(settings.clock_scan_seconds, stop, lambda: _clocks(), "clocks")),
    ]
    log.info("workers %s running", worker)
    await stop.wait()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class _Load:
    """Whether the outbox has been busy lately: a round found several messages at once within the last second."""

    busy_until = 0.0


async def _dispatch(worker: str, policy: outbox.RetryPolicy, load: _Load) -> bool:
    if time.monotonic() < load.busy_until:
        # busy: let the messages of the next moment gather, so that one claim and one provincial request carry
        # them all; a queue that gets one message at a time (nobody waiting behind it) is claimed at once
        await asyncio.sleep(OUTBOX_LINGER_SECONDS)
    found = await outbox.dispatch_once(worker, policy, batch=OUTBOX_BATCH)
    if found >= 2:
        load.busy_until = time.monotonic() + 1.0
    # only a full batch says more may be waiting: after a smaller one, the next round waits for a wake-up
    # (one that came during this round counts) or the poll, instead of claiming once more for nothing
    return found >= OUTBOX_BATCH


async def _reconcile() -> bool:
    await province.reconcile_once()
    return False


async def _clocks() -> bool:
    await cases.scan_clocks()
    return False
