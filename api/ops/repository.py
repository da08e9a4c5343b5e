"""The read-only queries behind the operations endpoints: counts over other domains' tables, for monitoring."""

from __future__ import annotations

from datetime import datetime

from tortoise import connections
from tortoise.functions import Count, Max, Min

from api.outbox.models import OutboxMessage
from api.province.models import ProvinceSync

OPEN_SYNC_STATES = ("pending", "sent", "failing")


async def ping() -> None:
    await connections.get("default").execute_query("SELECT 1")


async def outbox_dead() -> int:
    return await OutboxMessage.filter(status="dead").count()


async def province_open_by_state() -> dict[str, int]:
    rows = await (ProvinceSync.filter(state__in=OPEN_SYNC_STATES).annotate(n=Count("id"))
                  .group_by("state").values("state", "n"))
    return {r["state"]: r["n"] for r in rows}


async def province_oldest_open() -> datetime | None:
    row = await ProvinceSync.filter(state__in=OPEN_SYNC_STATES).annotate(oldest=Min("created_at")).values("oldest")
    return row[0]["oldest"] if row else None


async def province_last_decided() -> datetime | None:
    row = await ProvinceSync.filter(state="decided").annotate(last=Max("decided_at")).values("last")
    return row[0]["last"] if row else None
