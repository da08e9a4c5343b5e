from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ProvinceSync(Model):
    """The provincial side of one 高龄津贴 case: what was sent, what came back, what is failing."""

    id = fields.IntField(primary_key=True)
    case = fields.OneToOneField("models.Case", related_name="province_sync", on_delete=fields.CASCADE)
    request_id = fields.CharField(max_length=64, unique=True)
    reference = fields.CharField(max_length=64, null=True)
    state = fields.CharField(max_length=16, db_index=True)  # pending | sent | decided | failing | dead
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField()
    pushed_at = fields.DatetimeField(null=True)
    decided_at = fields.DatetimeField(null=True)
    last_checked_at = fields.DatetimeField(null=True)
    decision = fields.JSONField(null=True)

    class Meta:
        table = "province_sync"


class SeenNonce(Model):
    """A nonce of a signed provincial callback, kept to refuse replays."""

    nonce = fields.CharField(max_length=64, primary_key=True)
    seen_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "province_nonce"
