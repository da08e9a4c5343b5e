from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Material(Model):
    """An uploaded document, stored under a random name outside any web root."""

    id = fields.UUIDField(primary_key=True)
    case = fields.ForeignKeyField("models.Case", related_name="materials", null=True, on_delete=fields.CASCADE)
    applicant = fields.ForeignKeyField("models.Applicant", related_name="materials", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=32)
    content_type = fields.CharField(max_length=32)
    size = fields.IntField()
    sha256 = fields.CharField(max_length=64)
    storage_key = fields.CharField(max_length=80, unique=True)
    original_name = fields.CharField(max_length=255, default="")
    width = fields.IntField(null=True)
    height = fields.IntField(null=True)
    uploaded_by_kind = fields.CharField(max_length=16)  # applicant | staff
    uploaded_by_staff = fields.ForeignKeyField(
        "models.StaffAccount", related_name="uploaded_materials", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "material"
