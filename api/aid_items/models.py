from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AidItem(Model):
    """One kind of aid, defined as data: materials, form, route and time limits."""

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=32, unique=True)
    name = fields.CharField(max_length=64)
    short_name = fields.CharField(max_length=32)
    name_en = fields.CharField(max_length=128, default="")
    description = fields.TextField(default="")
    materials = fields.JSONField(default=list)
    form = fields.JSONField(default=list)
    route = fields.JSONField(default=list)
    stage_limits = fields.JSONField(default=dict)
    notice_days = fields.IntField(default=0)
    payment = fields.CharField(max_length=16, null=True)
    syncs_to_province = fields.BooleanField(default=False)
    whole_case_working_days = fields.IntField(null=True)
    whole_case_extended_working_days = fields.IntField(null=True)
    emergency_allowed = fields.BooleanField(default=False)
    emergency_hours = fields.IntField(null=True)
    emergency_paperwork_working_days = fields.IntField(null=True)
    township_approval_limit = fields.DecimalField(max_digits=12, decimal_places=2, null=True)
    enabled = fields.BooleanField(default=True)
    sort_order = fields.IntField(default=0)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "aid_item"
