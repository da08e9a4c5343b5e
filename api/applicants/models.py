from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Applicant(Model):
    """A real-name person who applies for aid, with ID and bank numbers stored encrypted."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=64)
    id_number_enc = fields.CharField(max_length=255)
    id_number_hash = fields.CharField(max_length=64, unique=True)
    id_masked = fields.CharField(max_length=18)
    birth_date = fields.DateField()
    sex = fields.CharField(max_length=8)
    phone = fields.CharField(max_length=16, null=True, db_index=True)
    address = fields.CharField(max_length=255, default="")
    region = fields.ForeignKeyField("models.Region", related_name="applicants", on_delete=fields.RESTRICT)
    account = fields.OneToOneField(
        "models.CitizenAccount", related_name="applicant", null=True, on_delete=fields.SET_NULL
    )
    registered_by = fields.ForeignKeyField(
        "models.StaffAccount", related_name="registered_applicants", null=True, on_delete=fields.SET_NULL
    )
    bank_name = fields.CharField(max_length=64, null=True)
    bank_account_enc = fields.CharField(max_length=255, null=True)
    bank_masked = fields.CharField(max_length=32, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "applicant"


class HouseholdMember(Model):
    """Someone who shares the applicant's household."""

    id = fields.IntField(primary_key=True)
    applicant = fields.ForeignKeyField("models.Applicant", related_name="members", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=64)
    relation = fields.CharField(max_length=16)
    id_number_enc = fields.CharField(max_length=255)
    id_number_hash = fields.CharField(max_length=64)
    id_masked = fields.CharField(max_length=18)
    birth_date = fields.DateField()
    sex = fields.CharField(max_length=8)
    monthly_income = fields.DecimalField(max_digits=12, decimal_places=2, default=0)
    health = fields.CharField(max_length=64, default="")
    disability = fields.CharField(max_length=64, default="")

    class Meta:
        table = "household_member"
        unique_together = (("applicant", "id_number_hash"),)
