"""A simulator per test: its own database file, a tiny decision delay, and a scripted callback receiver."""

from __future__ import annotations

import contextlib
import uuid

import httpx
import pytest

from province_sim import create_sim_app
from tests.province_sim.support import Receiver, Sim, sim_config


@pytest.fixture
async def start_sim(tmp_path):
    """Returns a function that starts a simulator (lifespan running) with config overrides and a receiver."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(*, statuses: tuple[int, ...] = (), refuse: dict[str, int] | None = None,
                        **overrides) -> Sim:
            receiver = Receiver(statuses, refuse)
            config = sim_config(str(tmp_path / f"sim-{uuid.uuid4().hex[:8]}.sqlite3"), **overrides)
            app = create_sim_app(config, callback_transport=httpx.MockTransport(receiver.handle))
            await stack.enter_async_context(app.router.lifespan_context(app))
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://province.test"))
            return Sim(app=app, client=client, receiver=receiver, config=config)

        yield start


@pytest.fixture
async def sim(start_sim) -> Sim:
    return await start_sim()
