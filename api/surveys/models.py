from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Satisfaction(Model):
    """The 回头看 survey of a decided case: how they applied, ease, satisfaction (1–5) and a comment."""

    id = fields.IntField(primary_key=True)
    case = fields.OneToOneField("models.Case", related_name="satisfaction", on_delete=fields.CASCADE)
    rating = fields.IntField()  # satisfaction, 1–5
    ease = fields.IntField(null=True)  # how easy applying was, 1–5
    helped = fields.BooleanField(null=True)  # whether someone helped them apply
    how_applied = fields.CharField(max_length=16, null=True)  # self | proxy | counter | other
    answered_by = fields.CharField(max_length=16, default="applicant")  # applicant | worker (at the door)
    comment = fields.TextField(default="")
    created_at = fields.DatetimeField()

    class Meta:
        table = "satisfaction"
