"""The background loop: decides applications when their time comes and calls the districts back, one decision
per callback, or several in one batched callback for applications that named a batch_callback_url."""

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
from province_sim.store import Application, Send, Store

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
        faults = self._faults()
        one_at_a_time = faults.duplicate_callbacks or faults.out_of_order_callbacks
        # enough for a full batch in every slot; single callbacks take at most MAX_BATCH of them per tick
        limit = contract.MAX_BATCH if one_at_a_time else contract.MAX_BATCH * self._config.callback_concurrency
        due = await self._store.callbacks_due(now, limit=limit)
        more = len(due) >= limit  # more may be owed than this tick takes
        if due and one_at_a_time:
            await self._deliver_one_at_a_time(due, faults)
        elif due:
            singles = [app for app in due if app.batch_callback_url is None]
            if len(singles) > contract.MAX_BATCH:
                more = True
                due = [app for app in due if app.batch_callback_url is not None] + singles[:contract.MAX_BATCH]
            await self._deliver(due)
        if more and not self._stopping:
            self.wake()  # the next tick goes on at once rather than at the next poll
        if now - self._last_prune > NONCE_PRUNE_SECONDS:
            self._last_prune = now
            await self._store.forget_nonces_before(now - 2 * contract.MAX_SKEW_SECONDS)

    async def _deliver_one_at_a_time(self, batch: list[Application], faults: Faults) -> None:
        """The duplicate and out-of-order faults are about the order callbacks arrive in: single callbacks (to
        callback_url), one at a time."""
        sends = [(app, False) for app in batch]
        if faults.duplicate_callbacks:
            # The copies go after the whole batch, so a duplicate can arrive after a later decision.
            sends += [(app, True) for app in batch]
        if faults.out_of_order_callbacks:
            sends.reverse()
        acknowledged: set[int] = set()
        for app, duplicate in sends:
            if self._stopping:
                break
            if await self._send(app, duplicate=duplicate):
                acknowledged.add(app.id)
        await self._finish(batch, acknowledged)

    async def _deliver(self, batch: list[Application]) -> None:
        """Sends the owed callbacks, several in flight at once (a district answers each after its own commit):
        a batched callback per batch_callback_url (up to MAX_BATCH decisions each), a single one for the rest."""
        acknowledged: set[int] = set()
        slots = asyncio.Semaphore(self._config.callback_concurrency)
        groups: dict[str, list[Application]] = {}
        for app in batch:
            if app.batch_callback_url is not None:
                groups.setdefault(app.batch_callback_url, []).append(app)

        async def send(app: Application) -> None:
            async with slots:
                if not self._stopping and await self._send(app, duplicate=False):
                    acknowledged.add(app.id)

        async def send_batch(url: str, apps: list[Application]) -> None:
            async with slots:
                if not self._stopping:
                    acknowledged.update(await self._send_batch(url, apps))

        await asyncio.gather(
            *(send(app) for app in batch if app.batch_callback_url is None),
            *(send_batch(url, apps[start:start + contract.MAX_BATCH]) for url, apps in groups.items()
              for start in range(0, len(apps), contract.MAX_BATCH)))
        await self._finish(batch, acknowledged)

    async def _finish(self, batch: list[Application], acknowledged: set[int]) -> None:
        """Counts the attempt of every callback of the batch, in one statement."""
        # When stopping mid-batch, a callback not yet acknowledged stays owed without counting an attempt.
        finished = batch if not self._stopping else [app for app in batch if app.id in acknowledged]
        await self._store.finish_attempts(
            {app.id: app.id in acknowledged for app in finished}, now=time.time(),
            max_attempts=self._config.callback_max_attempts, backoff=self._config.callback_backoff_seconds,
            backoff_max=self._config.callback_backoff_max_seconds)

    async def _send_batch(self, url: str, apps: list[Application]) -> set[int]:
        """POSTs {"decisions": [...]} to a batch_callback_url; returns the ids of the applications whose decision
        the district acknowledged (an "ok" result in its place). An error result, a missing or mismatched one, or
        the whole request failing (no answer, not 2xx, not the contract's JSON) leaves a decision owed."""
        batch_id = f"cbb-{uuid.uuid4().hex}"
        callback_ids = [f"cb-{uuid.uuid4().hex}" for _ in apps]
        body = json.dumps({"decisions": [{**app.status_body(), "callback_id": callback_id}
                                         for app, callback_id in zip(apps, callback_ids, strict=True)]},
                          ensure_ascii=False, separators=(",", ":")).encode()
        headers = contract.sign(self._config.app_key, self._config.secret, "POST", urlsplit(url).path, body)
        headers["Content-Type"] = "application/json; charset=utf-8"
        sent_at = time.time()
        status: int | None = None
        errors: list[str | None]  # why each decision is not acknowledged (None: it is)
        acked = [False] * len(apps)
        try:
            response = await self._http.post(url, content=body, headers=headers,
                                             timeout=self._config.callback_timeout_seconds)
            status = response.status_code
            if 200 <= status < 300:
                errors = _batch_results(response, apps, acked)
            else:
                errors = [f"HTTP {status}"] * len(apps)
        except httpx.HTTPError as e:
            errors = [f"{type(e).__name__}: {e}"] * len(apps)
        owed = len(apps) - sum(acked)
        if owed:
            log.warning("batched callback %s to %s: %d of %d decision(s) not acknowledged (%s)", batch_id, url, owed,
                        len(apps), next(error for error in errors if error))
        await self._store.record_sends([
            Send(callback_id=callback_id, application_id=app.id, attempt=app.callback_attempts + 1, duplicate=False,
                 sent_at=sent_at, http_status=status, error=error, acknowledged=ok, batch_id=batch_id)
            for app, callback_id, error, ok in zip(apps, callback_ids, errors, acked, strict=True)])
        return {app.id for app, ok in zip(apps, acked, strict=True) if ok}

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


def _batch_results(response: httpx.Response, apps: list[Application], acked: list[bool]) -> list[str | None]:
    """Reads a district's {"results": [...]} answer to a batched callback: sets acked[i] for each decision it
    acknowledges, and returns the reason each other one is not acknowledged."""
    try:
        results = response.json()["results"]
        if not isinstance(results, list):
            raise TypeError("results is not a list")
    except (ValueError, KeyError, TypeError) as e:
        return [f"HTTP {response.status_code} without a results list ({type(e).__name__})"] * len(apps)
    errors: list[str | None] = []
    for index, app in enumerate(apps):
        result = results[index] if index < len(results) else None
        if not isinstance(result, dict):
            errors.append("no result for this decision")
        elif result.get("request_id") != app.request_id:
            errors.append(f"result names request_id {result.get('request_id')!r}")
        elif result.get("ok") is True and "error" not in result:
            acked[index] = True
            errors.append(None)
        else:
            error = result.get("error")
            code = error.get("code") if isinstance(error, dict) else None
            message = error.get("message") if isinstance(error, dict) else None
            errors.append(f"refused: {code or 'no code'}: {message or ''}"[:500])
    return errors
