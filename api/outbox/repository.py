"""Every query of the outbox."""

from __future__ import annotations

from datetime import datetime

from tortoise import connections
from tortoise.expressions import Q

from api.kit import db
from api.outbox.models import OutboxMessage

_CLAIM_PG = """
UPDATE outbox_message SET status = 'sending', claimed_by = $1, claimed_until = $2, attempts = attempts + 1
WHERE id IN (
    SELECT id FROM outbox_message
    WHERE (status = 'pending' AND next_attempt_at <= $3) OR (status = 'sending' AND claimed_until < $3)
    ORDER BY next_attempt_at, id
    LIMIT $4
    FOR UPDATE SKIP LOCKED
)
RETURNING *
"""
_CLAIM_SQLITE = """
UPDATE outbox_message SET status = 'sending', claimed_by = ?, claimed_until = ?, attempts = attempts + 1
WHERE id IN (
    SELECT id FROM outbox_message
    WHERE (status = 'pending' AND next_attempt_at <= ?) OR (status = 'sending' AND claimed_until < ?)
    ORDER BY next_attempt_at, id
    LIMIT ?
)
RETURNING *
"""


async def add_once(**values) -> None:
    """Adds a message unless one with its key exists (one statement: the key's unique index decides)."""
    await db.add_once(OutboxMessage(**values))


async def by_key(key: str) -> OutboxMessage | None:
    return await OutboxMessage.get_or_none(key=key)


async def claim(worker: str, lease_until: datetime, now: datetime, limit: int) -> list[OutboxMessage]:
    """Claims due messages (and ones whose claimer died) for one worker; many workers never share a row."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict(_CLAIM_PG, [worker, lease_until, now, limit])
    else:
        lease, at = _sqlite_ts(lease_until), _sqlite_ts(now)
        rows = await conn.execute_query_dict(_CLAIM_SQLITE, [worker, lease, at, at, limit])
    # the claimed rows come back whole: no second read
    return sorted((OutboxMessage._init_from_db(**row) for row in rows), key=lambda m: m.id)


def _sqlite_ts(moment: datetime) -> str:
    # the format Tortoise writes for aware datetimes on SQLite, so text comparison orders correctly
    return moment.isoformat(sep=" ")


async def save(message: OutboxMessage, fields: list[str]) -> None:
    await message.save(update_fields=fields)


async def save_claimed(message: OutboxMessage, fields: list[str]) -> bool:
    """Writes the outcome of a delivery unless the message was claimed again meanwhile (its lease ran out: each
    claim counts an attempt) or put back by hand; False when it was, and nothing is written."""
    updated = await OutboxMessage.filter(id=message.id, status="sending", attempts=message.attempts).update(
        **{name: getattr(message, name) for name in fields})
    return bool(updated)


async def mark_done(messages: list[OutboxMessage], at: datetime) -> int:
    """Records several deliveries in one UPDATE, each only while its claim holds (as `save_claimed`); returns how
    many were recorded."""
    by_attempts: dict[int, list[int]] = {}
    for m in messages:
        by_attempts.setdefault(m.attempts, []).append(m.id)
    claims = Q(*(Q(id__in=ids, attempts=attempts) for attempts, ids in by_attempts.items()), join_type=Q.OR)
    return await OutboxMessage.filter(claims, status="sending").update(
        status="done", done_at=at, last_error=None, claimed_by=None, claimed_until=None)


async def dead(limit: int) -> list[OutboxMessage]:
    return await OutboxMessage.filter(status="dead").order_by("-id").limit(limit)


async def depth() -> int:
    return await OutboxMessage.filter(status__in=["pending", "sending"]).count()
