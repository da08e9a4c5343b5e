"""The district and the province simulator, both in this process, talking over their real HTTP apps."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass
from datetime import date

import httpx
import pytest
from fastapi import FastAPI

from api.kit.db import unit_of_work
from api.outbox import service as outbox
from api.province import service as province
from api.province.client import ProvinceClient
from api.settings import get_settings
from province_sim import SimConfig, create_sim_app
from tests.factories import act, make_applicant, submit_case

ADMIN = {"X-Admin-Token": "test-admin"}
POLICY = outbox.RetryPolicy(max_attempts=3, base_seconds=0.01, cap_seconds=0.05, lease_seconds=30)


class _SwitchableTransport(httpx.AsyncBaseTransport):
    """Delivers to an ASGI app, or fails like a lost network when switched off."""

    def __init__(self, app) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.up = True

    async def handle_async_request(self, request):
        if not self.up:
            raise httpx.ConnectError("network unreachable")
        return await self.inner.handle_async_request(request)


@dataclass
class RoundTrip:
    district: FastAPI
    sim: FastAPI
    sim_http: httpx.AsyncClient
    callbacks: _SwitchableTransport

    async def faults(self, **values) -> None:
        r = await self.sim_http.post("/admin/faults", json=values, headers=ADMIN)
        assert r.status_code == 200, r.text

    async def stats(self) -> dict:
        return (await self.sim_http.get("/admin/stats", headers=ADMIN)).json()

    async def dispatch(self) -> int:
        return await outbox.dispatch_once("test-worker", POLICY)

    async def until(self, predicate, within: float = 5.0):
        deadline = asyncio.get_running_loop().time() + within
        while True:
            value = await predicate()
            if value:
                return value
            assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
            await asyncio.sleep(0.02)


@pytest.fixture
async def round_trip(client, tmp_path):
    """A district app (the `client` fixture's) and a simulator whose callbacks reach the district's app."""
    from api.app import create_app

    settings = get_settings()
    district = create_app(settings, manage_database=False)
    callbacks = _SwitchableTransport(district)
    app_key, secret = next(iter(settings.province_callback_keys.items()))
    config = SimConfig(database_path=str(tmp_path / f"sim-{uuid.uuid4().hex[:6]}.sqlite3"),
                       district_keys={settings.province_app_key: settings.province_secret}, app_key=app_key,
                       secret=secret, decision_delay_seconds=0.05, poll_interval_seconds=0.02,
                       callback_backoff_seconds=0.02, callback_backoff_max_seconds=0.05, admin_token="test-admin")
    sim = create_sim_app(config, callback_transport=callbacks)
    settings.public_base_url = "http://district.test"
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(sim.router.lifespan_context(sim))
        sim_http = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=sim), base_url="http://province.test"))
        province.configure_client(ProvinceClient("http://province.test", settings.province_app_key,
                                                 settings.province_secret, timeout=2,
                                                 transport=httpx.ASGITransport(app=sim)))
        province.register_handlers()
        yield RoundTrip(district=district, sim=sim, sim_http=sim_http, callbacks=callbacks)
        province.configure_client(None)


async def accepted_gaoling_case(birth: date = date(1940, 3, 1)):
    """Submits and accepts a 高龄津贴 application (which queues the provincial push)."""
    applicant = await make_applicant(birth=birth)
    case = await submit_case(applicant, "gaoling")
    case, _ = await act(case.id, "accept", role="township_officer")
    return case


async def case_status(case_id: int) -> str:
    from api.cases.models import Case

    return (await Case.get(id=case_id)).status


async def reload_sync(case_id: int):
    from api.province.models import ProvinceSync

    return await ProvinceSync.get(case_id=case_id)


async def in_tx(coro_fn):
    async with unit_of_work():
        return await coro_fn()
