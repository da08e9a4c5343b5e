from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Case(Model):
    """One application of one applicant for one aid item."""

    id = fields.IntField(primary_key=True)
    number = fields.CharField(max_length=20, unique=True)
    applicant = fields.ForeignKeyField("models.Applicant", related_name="cases", on_delete=fields.RESTRICT)
    item = fields.ForeignKeyField("models.AidItem", related_name="cases", on_delete=fields.RESTRICT)
    # The applicant's household-registration village at submission; staff scope is a prefix of it.
    region = fields.ForeignKeyField("models.Region", related_name="cases", on_delete=fields.RESTRICT)
    channel = fields.CharField(max_length=16)  # self | proxy | counter
    proxy_by = fields.ForeignKeyField(
        "models.StaffAccount", related_name="proxied_cases", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharField(max_length=24, db_index=True)
    # the staff member the case is assigned to (optional), set by a supervisor or the township's officer
    assignee = fields.ForeignKeyField(
        "models.StaffAccount", related_name="assigned_cases", null=True, on_delete=fields.SET_NULL
    )
    emergency = fields.BooleanField(default=False)
    form_data = fields.JSONField(default=dict)
    submission_key = fields.CharField(max_length=64, unique=True)
    # "applicant:item" while the case is open, NULL once it ends: one open case per person and item.
    open_key = fields.CharField(max_length=40, unique=True, null=True)
    submitted_at = fields.DatetimeField()
    # when the first answer of the draft was saved on the phone: time to apply = submitted_at - this
    draft_started_at = fields.DatetimeField(null=True)
    accepted_at = fields.DatetimeField(null=True)
    decided_at = fields.DatetimeField(null=True)
    closed_at = fields.DatetimeField(null=True)
    stage_started_at = fields.DatetimeField(null=True)
    warn_at = fields.DatetimeField(null=True, db_index=True)
    due_at = fields.DatetimeField(null=True, db_index=True)
    case_due_at = fields.DatetimeField(null=True)
    extended = fields.BooleanField(default=False)
    extension_reason = fields.TextField(null=True)
    notice_until = fields.DatetimeField(null=True)
    notice_ended = fields.BooleanField(default=False)
    # the clock state last announced to the work queues: ok | warning | overdue
    clock_flag = fields.CharField(max_length=8, default="ok")
    investigation = fields.JSONField(null=True)
    verification = fields.JSONField(null=True)
    amount = fields.DecimalField(max_digits=12, decimal_places=2, null=True)
    start_month = fields.CharField(max_length=7, null=True)
    decision_reason = fields.TextField(null=True)
    last_seq = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "aid_case"


class CaseEvent(Model):
    """An immutable step of a case, numbered per case without gaps."""

    id = fields.IntField(primary_key=True)
    case = fields.ForeignKeyField("models.Case", related_name="events", on_delete=fields.CASCADE)
    seq = fields.IntField()
    action = fields.CharField(max_length=32)
    from_status = fields.CharField(max_length=24, null=True)
    to_status = fields.CharField(max_length=24)
    actor_kind = fields.CharField(max_length=16)  # applicant | staff | system | province
    actor_staff = fields.ForeignKeyField(
        "models.StaffAccount", related_name="case_events", null=True, on_delete=fields.SET_NULL
    )
    actor_name = fields.CharField(max_length=64)
    actor_role = fields.CharField(max_length=32)
    comment = fields.TextField(default="")
    public = fields.BooleanField(default=True)
    data = fields.JSONField(default=dict)
    created_at = fields.DatetimeField()

    class Meta:
        table = "case_event"
        unique_together = (("case", "seq"),)
