from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class PaymentBatch(Model):
    """One month's payments, built by finance from approved cases."""

    id = fields.IntField(primary_key=True)
    month = fields.CharField(max_length=7, db_index=True)
    created_by = fields.ForeignKeyField("models.StaffAccount", related_name="payment_batches",
                                        on_delete=fields.RESTRICT)
    created_at = fields.DatetimeField()
    exported_at = fields.DatetimeField(null=True)

    class Meta:
        table = "payment_batch"


class PaymentLine(Model):
    """One recipient's payment in a batch: pending, paid or failed (a failed line stays until paid)."""

    id = fields.IntField(primary_key=True)
    batch = fields.ForeignKeyField("models.PaymentBatch", related_name="lines", on_delete=fields.CASCADE)
    case = fields.ForeignKeyField("models.Case", related_name="payment_lines", on_delete=fields.RESTRICT)
    month = fields.CharField(max_length=7)
    amount = fields.DecimalField(max_digits=12, decimal_places=2)
    status = fields.CharField(max_length=8, default="pending", db_index=True)  # pending | paid | failed
    failure_reason = fields.CharField(max_length=200, null=True)
    paid_at = fields.DatetimeField(null=True)

    class Meta:
        table = "payment_line"
        unique_together = (("case", "month"),)  # one payment per case and month, whatever the batch
