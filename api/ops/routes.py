"""Operations endpoints: liveness (/healthz), readiness (/readyz: database and broker), Prometheus /metrics."""

from __future__ import annotations

import asyncio
import hmac
import logging
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from api.kit import clock, metrics
from api.ops import repository
from api.settings import get_settings

router = APIRouter()
log = logging.getLogger("dachuan.ops")
CHECK_TIMEOUT = 2.0


@router.get("/healthz")
async def healthz() -> dict:
    """Answers while the process serves requests (liveness): no dependency is checked."""
    return {"status": "ok"}


async def _check(name: str, probe) -> tuple[str, str]:
    try:
        await asyncio.wait_for(probe(), timeout=CHECK_TIMEOUT)
        return name, "ok"
    except Exception as e:  # any failure means not ready; the reason goes to the log, not to the caller
        log.warning("readiness check %s failed: %s", name, e)
        return name, "unavailable"


async def _broker_ping() -> None:
    url = get_settings().redis_url
    if not url:
        return  # the in-process broker is part of this process
    from redis import asyncio as aioredis

    client = aioredis.from_url(url, socket_timeout=CHECK_TIMEOUT, socket_connect_timeout=CHECK_TIMEOUT)
    try:
        await client.ping()
    finally:
        await client.aclose()


@router.get("/readyz")
async def readyz() -> JSONResponse:
    """Answers 200 when the database and the broker answer, 503 (saying which failed) when one does not."""
    checks = dict(await asyncio.gather(_check("database", repository.ping), _check("broker", _broker_ping)))
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse({"status": "ready" if ready else "unavailable", "checks": checks},
                        status_code=200 if ready else 503)


def _age(moment: datetime | None, now: datetime) -> float | None:
    return (now - moment).total_seconds() if moment is not None else None


async def _refresh_gauges() -> None:
    from api.outbox import service as outbox

    now = clock.now()
    metrics.OUTBOX_DEPTH.set(await outbox.depth())
    metrics.OUTBOX_DEAD.set(await repository.outbox_dead())
    by_state = await repository.province_open_by_state()
    for state in repository.OPEN_SYNC_STATES:
        metrics.PROVINCE_OPEN.labels(state).set(by_state.get(state, 0))
    metrics.PROVINCE_OLDEST_SECONDS.set(_age(await repository.province_oldest_open(), now) or 0)
    last = _age(await repository.province_last_decided(), now)
    metrics.PROVINCE_LAST_DECIDED_SECONDS.set(-1 if last is None else last)


@router.get("/metrics")
async def prometheus(request: Request) -> Response:
    """Prometheus text exposition; with METRICS_TOKEN set, only for `Authorization: Bearer <token>`."""
    token = get_settings().metrics_token
    if token:
        offered = request.headers.get("authorization", "")
        if not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
            return JSONResponse({"error": {"code": "unauthenticated", "message": "需要监控令牌"}}, status_code=401)
    try:
        await _refresh_gauges()
    except Exception:
        log.warning("metrics gauges not refreshed (database unavailable?)", exc_info=True)
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)
