"""Operations: liveness and readiness, Prometheus metrics, JSON log lines with the request id."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

from api.kit import clock
from api.kit.db import unit_of_work
from api.kit.logs import JsonFormatter
from api.kit.metrics import REGISTRY, operation_label
from tests.graphql.helpers import bearer, gql, staff_token
from tests.harness.pg import free_port


def _sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_healthz_answers_without_looking_at_anything(client, db):
    response = await client.get("/healthz")

    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_when_database_and_broker_answer(client, db):
    response = await client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


async def test_readyz_with_redis_answering(make_client, redis_server):
    async with make_client(redis_url=redis_server.url) as client:
        response = await client.get("/readyz")

    assert response.json()["checks"]["broker"] == "ok"


async def test_readyz_says_503_and_which_part_when_redis_is_down(make_client):
    async with make_client(redis_url=f"redis://127.0.0.1:{free_port()}/0") as client:
        response = await client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "broker": "unavailable"}}


async def test_metrics_count_and_time_graphql_operations_by_name(client, db):
    before = _sample("dachuan_graphql_operations_total", operation="WhoAmI", type="query", outcome="ok")
    timed = _sample("dachuan_graphql_operation_seconds_count", operation="WhoAmI", type="query")
    failed = _sample("dachuan_graphql_operations_total", operation="WhoAmI", type="query", outcome="error")

    for _ in range(3):
        await gql(client, "query WhoAmI { me { kind } }")
    await client.post("/graphql", json={"query": "query WhoAmI { me { nope } }"})
    text = (await client.get("/metrics")).text

    assert _sample("dachuan_graphql_operations_total", operation="WhoAmI", type="query", outcome="ok") == before + 3
    assert _sample("dachuan_graphql_operation_seconds_count", operation="WhoAmI", type="query") == timed + 4
    assert _sample("dachuan_graphql_operations_total", operation="WhoAmI", type="query", outcome="error") == failed + 1
    assert 'dachuan_graphql_operation_seconds_bucket{le="0.1",operation="WhoAmI",type="query"}' in text
    assert "dachuan_http_requests_total" in text


def test_operation_names_from_clients_cannot_grow_the_labels():
    assert operation_label(None) == "anonymous"
    assert operation_label("a b; drop") == "other"
    assert operation_label("x" * 100) == "other"


async def test_metrics_show_outbox_depth_and_provincial_sync_age(client, db):
    from api.outbox import service as outbox
    from api.province.models import ProvinceSync
    from tests.factories import make_case

    case = await make_case("gaoling")
    async with unit_of_work():
        await outbox.enqueue("test.metrics", "metrics-1", {})
        await outbox.enqueue("test.metrics", "metrics-2", {})
    await ProvinceSync.filter(case_id=case.id).delete()
    await ProvinceSync.create(case_id=case.id, request_id="metrics-sync-1", state="sent",
                              created_at=clock.now() - timedelta(minutes=30))

    text = (await client.get("/metrics")).text

    assert _sample("dachuan_outbox_depth") >= 2
    assert 1790 <= _sample("dachuan_province_sync_oldest_open_seconds") <= 1900
    assert _sample("dachuan_province_syncs_open", state="sent") == 1
    assert "dachuan_province_last_decision_age_seconds -1.0" in text


async def test_metrics_token_is_required_when_configured(make_client):
    async with make_client(metrics_token="scrape-secret-123") as client:
        without = await client.get("/metrics")
        wrong = await client.get("/metrics", headers=bearer("nope"))
        right = await client.get("/metrics", headers=bearer("scrape-secret-123"))

    assert (without.status_code, wrong.status_code, right.status_code) == (401, 401, 200)


async def test_open_subscriptions_are_counted_until_they_end(db, sms):
    from api.accounts.sms import use_sms
    from api.app import create_app
    from api.settings import get_settings
    from tests.subscriptions.client import connected, serve

    app = create_app(get_settings(), manage_database=False)
    use_sms(sms)
    start = _sample("dachuan_subscriptions_open")
    async with serve(app) as server:
        token = await staff_token(server.http, "township_officer")
        async with connected(server, token) as ws:
            op = await ws.subscribe("subscription Queue { workQueue { caseId } }")
            async with asyncio.timeout(5):
                while _sample("dachuan_subscriptions_open") < start + 1:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            during = _sample("dachuan_subscriptions_open")
            await ws.complete(op)
            async with asyncio.timeout(5):
                while _sample("dachuan_subscriptions_open") > start:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)

    assert during == start + 1
    assert _sample("dachuan_subscriptions_open") == start


async def test_access_log_lines_are_json_with_the_request_id(client, db, caplog):
    caplog.set_level(logging.INFO, logger="dachuan.access")

    response = await client.post("/graphql", json={"query": "query Ping { me { kind } }"},
                                 headers={"X-Request-ID": "req-json-log-01"})

    [record] = [r for r in caplog.records if r.name == "dachuan.access"]
    line = json.loads(JsonFormatter().format(record))
    assert response.headers["x-request-id"] == "req-json-log-01"
    assert line["request_id"] == "req-json-log-01"
    assert (line["method"], line["path"], line["status"], line["operation"]) == ("POST", "/graphql", 200, "Ping")
    assert line["level"] == "info"
    assert isinstance(line["duration_ms"], float)


def test_an_error_log_line_carries_its_exception():
    logger = logging.getLogger("dachuan.test")
    try:
        raise ValueError("boom")
    except ValueError:
        record = logger.makeRecord("dachuan.test", logging.ERROR, __file__, 1, "failed %s", ("x",), __import__(
            "sys").exc_info())

    line = json.loads(JsonFormatter().format(record))

    assert line["message"] == "failed x"
    assert "ValueError: boom" in line["exception"]


async def test_an_unsafe_request_id_is_replaced(client, db):
    response = await client.get("/healthz", headers={"X-Request-ID": "bad id\r\nwith newline"})

    assert response.headers["x-request-id"] != "bad id\r\nwith newline"
    assert len(response.headers["x-request-id"]) == 16
