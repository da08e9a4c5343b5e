"""Test set-up: every database test runs on SQLite and on a real PostgreSQL cluster started here."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import httpx
import pytest
from tortoise import connections

from api.accounts.sms import MemorySms, configure_sms, use_sms
from api.kit import clock
from api.kit.crypto import configure_cipher
from api.kit.db import close_db, init_db, unit_of_work
from api.kit.storage import configure_store
from api.settings import Settings, use_settings

BACKENDS = [b for b in os.environ.get("TEST_DATABASES", "sqlite,postgres").split(",") if b]
TABLES = ["access_log", "payment_line", "payment_batch", "satisfaction", "province_nonce", "province_sync", "outbox_message", "case_event", "material", "aid_case", "household_member", "applicant", "auth_session", "otp_code",
          "citizen_account", "staff_account", "aid_item", "region"]


@pytest.fixture(scope="session")
def tmp_root() -> Path:
    return Path(tempfile.mkdtemp(prefix="dachuan-test-"))


@pytest.fixture(scope="session")
def postgres():
    from tests.harness.pg import start_postgres

    cluster = start_postgres()
    yield cluster
    cluster.stop()


def _settings(tmp_root: Path, url: str) -> Settings:
    return Settings(environment="test", database_url=url, storage_root=tmp_root / "materials",
                    sms_backend="memory", load_demo_data=False, embedded_province_sim=False,
                    embedded_workers=False)


@pytest.fixture(scope="session", params=BACKENDS)
async def database(request, tmp_root):
    """Connects to one backend for a block of tests and applies the migrations once."""
    if request.param == "postgres":
        cluster = request.getfixturevalue("postgres")
        cluster.psql("drop database if exists dachuan_test")
        cluster.psql("create database dachuan_test")
        url = cluster.dsn_for("dachuan_test")
    else:
        url = f"sqlite://{tmp_root / 'test.sqlite3'}"
        (tmp_root / "test.sqlite3").unlink(missing_ok=True)
    settings = use_settings(_settings(tmp_root, url))
    configure_cipher(settings)
    configure_store(settings.storage_root)
    await init_db(url)
    yield request.param
    await close_db()


async def _truncate(backend: str) -> None:
    conn = connections.get("default")
    if backend == "postgres":
        await conn.execute_script(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE;")
    else:
        for table in TABLES:
            if table == "region":
                # SQLite checks RESTRICT row by row: delete villages, then townships, then districts
                for length in (12, 9, 6):
                    await conn.execute_script(f"DELETE FROM region WHERE length(code) = {length};")
            await conn.execute_script(f"DELETE FROM {table};")
        await conn.execute_script("DELETE FROM sqlite_sequence;")


@pytest.fixture
async def db(database):
    """A clean database with the sample regions and the ten default items."""
    from api.aid_items import service as aid_items
    from api.regions import service as regions

    await _truncate(database)
    clock.freeze(None)
    async with unit_of_work():
        await regions.ensure_sample_tree()
        await aid_items.ensure_defaults()
    yield database
    clock.freeze(None)


@pytest.fixture
def sms() -> MemorySms:
    return configure_sms("memory")  # type: ignore[return-value]


@pytest.fixture
async def client(db, sms):
    """An HTTP client for the app, sharing the test database."""
    from api.app import create_app
    from api.settings import get_settings

    app = create_app(get_settings(), manage_database=False)
    use_sms(sms)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c
