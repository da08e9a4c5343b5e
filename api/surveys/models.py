from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Satisfaction(Model):
    """The applicant's 1–5 rating of a case that has ended, with an optional comment."""

    id = fields.IntField(primary_key=True)
    case = fields.OneToOneField("models.Case", related_name="satisfaction", on_delete=fields.CASCADE)
    rating = fields.IntField()
    comment = fields.TextField(default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "satisfaction"
