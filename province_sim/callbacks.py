"""The background loop: decides applications when their time comes and calls the districts back."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from api.province import contract
from province_sim.bodies import Faults
from province_sim.config import SimConfig
from province_sim.store import Application, Store

log = logging.getLogger("province_sim.callbacks")
NONCE_PRUNE_SECONDS = 60.0


class Dispatcher:
    """Runs decide-then-deliver ticks until stopped; delivery is at-least-once with exponential back-off."""

    def __init__(self, config: SimConfig, store: Store, http: httpx.AsyncClient,
                 faults: Callable[[], Faults]) -> None:
        self._config = config
        self._store = store
        self._http = http
        self._faults = faults
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._last_prune = 0.0

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="province_sim.dispatcher")

    async def stop(self) -> None:
        """Lets the current tick finish (up to one callback timeout), then cancels what is left."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._wake.set()
        # A callback still owed stays 'due' in the database and is sent after the next start.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(task, timeout=self._config.callback_timeout_seconds + 1)

    def wake(self) -> None:
        """Runs the next tick now instead of after the poll interval."""
        self._wake.set()

    def wake_at(self, moment: float) -> None:
        """Runs a tick at `moment` (epoch seconds), when an application falls due, rather than at the next poll."""
        delay = moment - time.time()
        if delay <= 0:
            self.wake()
        else:
            asyncio.get_running_loop().call_later(delay, self.wake)

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.tick()
            except Exception:
                log.exception("province_sim tick failed; trying again next tick")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._config.poll_interval_seconds)
            self._wake.clear()

    async def tick(self) -> None:
        """Decides what is due, then sends the callbacks that are owed."""
        now = time.time()
        decided = await self._store.decide_due(now, bands=self._config.amount_bands)
        if decided:
            log.info("decided %d application(s)", decided)
        due = await self._store.callbacks_due(now)
        if due:
            await self._deliver(due)
        if now - self._last_prune > NONCE_PRUNE_SECONDS:
            self._last_prune = now
            await self._store.forget_nonces_before(now - 2 * contract.MAX_SKEW_SECONDS)

    async def _deliver(self, batch: list[Application]) -> None:
        faults = self._faults()
        sends = [(app, False) for app in batch]
        if faults.duplicate_callbacks:
            # The copies go after the whole batch, so a duplicate can arrive after a later decision.
            sends += [(app, True) for app in batch]
        if faults.out_of_order_callbacks:
            sends.reverse()
        acknowledged: set[int] = set()
        if faults.duplicate_callbacks or faults.out_of_order_callbacks:
            # these faults are about the order callbacks arrive in, so they go one at a time
            for app, duplicate in sends:
                if self._stopping:
                    break
                if await self._send(app, duplicate=duplicate):
                    acknowledged.add(app.id)
        else:
            # a district answers each callback after its own commit: several in flight keep decisions flowing
            slots = asyncio.Semaphore(self._config.callback_concurrency)

            async def send(app: Application) -> None:
                async with slots:
                    if not self._stopping and await self._send(app, duplicate=False):
                        acknowledged.add(app.id)

            await asyncio.gather(*(send(app) for app, _ in sends))
        now = time.time()
        # When stopping mid-batch, a callback not yet acknowledged stays owed without counting an attempt.
        finished = batch if not self._stopping else [app for app in batch if app.id in acknowledged]
        for app in finished:
            await self._store.finish_attempt(
                app.id, acknowledged=app.id in acknowledged, now=now, max_attempts=self._config.callback_max_attempts,
                backoff=self._config.callback_backoff_seconds, backoff_max=self._config.callback_backoff_max_seconds)

    async def _send(self, app: Application, *, duplicate: bool) -> bool:
        callback_id = f"cb-{uuid.uuid4().hex}"
        body = json.dumps({**app.status_body(), "callback_id": callback_id}, ensure_ascii=False,
                          separators=(",", ":")).encode()
        headers = contract.sign(self._config.app_key, self._config.secret, "POST",
                                urlsplit(app.callback_url).path, body)
        headers["Content-Type"] = "application/json; charset=utf-8"
        sent_at = time.time()
        status: int | None = None
        error: str | None = None
        try:
            response = await self._http.post(app.callback_url, content=body, headers=headers,
                                             timeout=self._config.callback_timeout_seconds)
            status = response.status_code
        except httpx.HTTPError as e:
            error = f"{type(e).__name__}: {e}"
        ok = status is not None and 200 <= status < 300
        if not ok:
            log.warning("callback %s for %s not acknowledged (attempt %d): %s", callback_id, app.request_id,
                        app.callback_attempts + 1, error or status)
        await self._store.record_send(callback_id=callback_id, application_id=app.id,
                                      attempt=app.callback_attempts + 1, duplicate=duplicate, sent_at=sent_at,
                                      http_status=status, error=error, acknowledged=ok)
        return ok
