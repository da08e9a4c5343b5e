from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class OutboxMessage(Model):
    """Work that must reach another system, written in the same transaction as the change behind it."""

    id = fields.IntField(primary_key=True)
    topic = fields.CharField(max_length=64)
    key = fields.CharField(max_length=128, unique=True)  # idempotency key: one message per key
    payload = fields.JSONField(default=dict)
    status = fields.CharField(max_length=16, default="pending", db_index=True)  # pending | sending | done | dead
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    claimed_by = fields.CharField(max_length=64, null=True)
    claimed_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    done_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_message"
