"""Fixtures for live progress: a real uvicorn server sharing the test database, and a throw-away Redis."""

from __future__ import annotations

import pytest

from api.accounts.sms import use_sms
from api.kit.broker import configure_broker, get_broker
from api.settings import get_settings, use_settings
from tests.harness.redis import start_redis
from tests.subscriptions.client import serve


@pytest.fixture
async def live(db, sms):
    """The app served by uvicorn on a free port, with the in-process broker."""
    from api.app import create_app

    app = create_app(get_settings(), manage_database=False)
    use_sms(sms)
    async with serve(app) as server:
        yield server


@pytest.fixture
def redis_server():
    """A Redis server of its own for one test (the test may stop and restart it)."""
    server = start_redis()
    yield server
    server.stop()


@pytest.fixture
async def redis_live(db, sms, redis_server):
    """The app served by uvicorn with the Redis broker, started as the lifespan would start it."""
    from api.app import create_app

    original = get_settings()
    app = create_app(original.model_copy(update={"redis_url": redis_server.url}), manage_database=False)
    use_sms(sms)
    broker = get_broker()
    await broker.start()
    try:
        async with serve(app) as server:
            yield server
    finally:
        await broker.stop()
        configure_broker(use_settings(original))
