from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Region(Model):
    """A node of the district → township → village tree, keyed by its statistical code."""

    code = fields.CharField(max_length=12, primary_key=True)
    name = fields.CharField(max_length=64)
    level = fields.CharField(max_length=16)  # district | township | village
    parent: fields.ForeignKeyNullableRelation[Region] = fields.ForeignKeyField(
        "models.Region", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    sample = fields.BooleanField(default=False)
    sort_order = fields.IntField(default=0)

    class Meta:
        table = "region"
