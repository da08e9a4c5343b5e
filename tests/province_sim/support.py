"""Helpers for the simulator tests: a scripted callback receiver, a client wrapper, valid application bodies."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from datetime import date

import httpx
from fastapi import FastAPI

from api.kit.idnumber import make_id_number
from api.province import contract
from province_sim import SimConfig

DISTRICT_KEY = "dachuan-511703"
DISTRICT_SECRET = "dev-province-shared-secret-0123456789"
PROVINCE_KEY = "province-51"
PROVINCE_SECRET = "dev-province-callback-secret-0123456789"
ADMIN = {"X-Admin-Token": "test-admin-token"}
CALLBACK_URL = "http://district.test/province/callback"
BATCH_CALLBACK_URL = "http://district.test/province/callbacks"
WAIT_SECONDS = 3.0
POLL_SECONDS = 0.01


class Receiver:
    """The district's callback endpoints: records every request and answers the scripted statuses, then 200.

    A batched callback ({"decisions": [...]}, whatever its URL) is answered a result per decision: ok, or an error for a
    request id named in `refuse` (request id → how many times to refuse it)."""

    def __init__(self, statuses: tuple[int, ...] = (), refuse: dict[str, int] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.arrival_times: list[float] = []
        self._statuses = iter(statuses)
        self._refuse = dict(refuse or {})
        self._arrived = asyncio.Condition()

    async def handle(self, request: httpx.Request) -> httpx.Response:
        async with self._arrived:
            self.requests.append(request)
            self.arrival_times.append(time.monotonic())
            self._arrived.notify_all()
        status = next(self._statuses, 200)
        body = json.loads(request.content)
        if "decisions" not in body:
            return httpx.Response(status, json={"ok": True})
        return httpx.Response(status, json={"results": [self._result(d) for d in body["decisions"]]})

    def _result(self, decision: dict) -> dict:
        request_id = decision["request_id"]
        if self._refuse.get(request_id, 0) > 0:
            self._refuse[request_id] -= 1
            return {"request_id": request_id, "error": {"code": "busy", "message": "not now"}}
        return {"request_id": request_id, "ok": True, "changed": True}

    async def wait_for(self, count: int) -> None:
        """Waits until `count` callbacks have arrived; fails with TimeoutError after WAIT_SECONDS."""
        async with asyncio.timeout(WAIT_SECONDS), self._arrived:
            await self._arrived.wait_for(lambda: len(self.requests) >= count)

    def decisions(self) -> list[dict]:
        return [json.loads(r.content) for r in self.requests]

    def batches(self) -> list[list[dict]]:
        """The decisions of each batched callback, in the order the callbacks arrived."""
        bodies = [json.loads(r.content) for r in self.requests]
        return [body["decisions"] for body in bodies if "decisions" in body]


@dataclass
class Sim:
    app: FastAPI
    client: httpx.AsyncClient
    receiver: Receiver
    config: SimConfig

    async def push(self, body: dict, *, key: str = DISTRICT_KEY, secret: str = DISTRICT_SECRET,
                   now: float | None = None) -> httpx.Response:
        raw = json.dumps(body, ensure_ascii=False).encode()
        return await self.push_raw(raw, contract.sign(key, secret, "POST", contract.APPLICATIONS_PATH, raw, now=now))

    async def push_raw(self, raw: bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.client.post(contract.APPLICATIONS_PATH, content=raw,
                                      headers={**headers, "Content-Type": "application/json"})

    async def push_batch(self, bodies: list[dict], *, key: str = DISTRICT_KEY, secret: str = DISTRICT_SECRET,
                         path: str = contract.APPLICATIONS_BATCH_PATH) -> httpx.Response:
        """Pushes {"applications": bodies}, signed for `path` (the batch path unless a test says otherwise)."""
        raw = json.dumps({"applications": bodies}, ensure_ascii=False).encode()
        return await self.push_batch_raw(raw, contract.sign(key, secret, "POST", path, raw))

    async def push_batch_raw(self, raw: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        headers = headers or contract.sign(DISTRICT_KEY, DISTRICT_SECRET, "POST", contract.APPLICATIONS_BATCH_PATH,
                                           raw)
        return await self.client.post(contract.APPLICATIONS_BATCH_PATH, content=raw,
                                      headers={**headers, "Content-Type": "application/json"})

    async def status(self, request_id: str) -> httpx.Response:
        path = f"{contract.APPLICATIONS_PATH}/{request_id}"
        return await self.client.get(path, headers=contract.sign(DISTRICT_KEY, DISTRICT_SECRET, "GET", path, b""))

    async def stats(self) -> dict:
        r = await self.client.get("/admin/stats", headers=ADMIN)
        assert r.status_code == 200, r.text
        return r.json()

    async def stats_once(self, key: str, value: int) -> dict:
        """Returns the stats as soon as stats[key] == value, or as they are after WAIT_SECONDS."""
        for _ in range(int(WAIT_SECONDS / POLL_SECONDS)):
            current = await self.stats()
            if current[key] == value:
                return current
            await asyncio.sleep(POLL_SECONDS)
        return await self.stats()

    async def admin(self, path: str, body: dict | None = None) -> httpx.Response:
        return await self.client.post(path, json=body, headers=ADMIN)


def sim_config(database_path: str, **overrides) -> SimConfig:
    settings = dict(database_path=database_path, district_keys={DISTRICT_KEY: DISTRICT_SECRET},
                    app_key=PROVINCE_KEY, secret=PROVINCE_SECRET, admin_token=ADMIN["X-Admin-Token"],
                    decision_delay_seconds=0.05, poll_interval_seconds=0.01, callback_backoff_seconds=0.02,
                    callback_timeout_seconds=1.0, callback_max_attempts=5)
    return SimConfig(**{**settings, **overrides})


def application(*, birth: date = date(1940, 5, 6), region: str = "511703", seq: int = 1,
                applied_on: date = date(2026, 3, 15), request_id: str | None = None, **overrides) -> dict:
    """Returns a valid Application body (contract.py) for an applicant born on `birth`."""
    body = {
        "request_id": request_id or f"req-{uuid.uuid4().hex}",
        "county_code": "511703",
        "case_number": "DC-GL-2026-0001",
        "applied_on": applied_on.isoformat(),
        "applicant": {"name": "张桂兰", "id_number": make_id_number(region=region, birth=birth, seq=seq),
                      "birth_date": birth.isoformat(), "address": "达州市达川区翠屏街道草街子社区"},
        "bank": {"bank_name": "四川农信", "account": "6214000000000000001"},
        "callback_url": CALLBACK_URL,
    }
    return {**body, **overrides}
