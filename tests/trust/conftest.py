"""Fixtures for the trust tests: an app with settings of the test's choosing, a Redis server of its own."""

from __future__ import annotations

from contextlib import asynccontextmanager

import httpx
import pytest

from api.accounts.sms import use_sms
from api.kit.broker import configure_broker
from api.kit.ratelimit import configure_rate_limits
from api.settings import get_settings, use_settings
from tests.harness.redis import start_redis


@pytest.fixture
def redis_server():
    server = start_redis()
    yield server
    server.stop()


@pytest.fixture
def make_client(db, sms):
    """Returns `async with make_client(**settings) as client`: the app built with those settings changed."""
    original = get_settings()

    @asynccontextmanager
    async def factory(*, rate_redis_url: str | None = None, **changes):
        from api.app import create_app

        settings = original.model_copy(update=changes)
        app = create_app(settings, manage_database=False)
        if rate_redis_url:
            limiter = configure_rate_limits(settings.model_copy(update={"redis_url": rate_redis_url}))
        use_sms(sms)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.1.2.3", 5000)),
                                         base_url="http://test") as client:
                yield client
        finally:
            if rate_redis_url:
                await limiter.close()
            use_settings(original)
            configure_broker(original)
            configure_rate_limits(original)

    return factory
