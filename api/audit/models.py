from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AccessLog(Model):
    """One access to personal data or one sign-in event: who, in what role, when, whose data, from which request."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(db_index=True)
    # id_number_read | bank_account_read | material_download | sign_in | sign_out | sign_in_failed
    action = fields.CharField(max_length=32, db_index=True)
    actor_kind = fields.CharField(max_length=16)  # staff | applicant | anonymous
    actor_role = fields.CharField(max_length=32)
    # plain ids, not foreign keys: the log outlives the accounts and people it names
    staff_id = fields.IntField(null=True, db_index=True)
    citizen_id = fields.IntField(null=True)
    actor_name = fields.CharField(max_length=64, default="")
    applicant_id = fields.IntField(null=True, db_index=True)
    field = fields.CharField(max_length=64, null=True)
    material_id = fields.CharField(max_length=36, null=True)
    request_id = fields.CharField(max_length=64, default="")
    client = fields.CharField(max_length=64, null=True)
    detail = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "access_log"
