from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class StaffAccount(Model):
    """A centrally allocated staff account, bound to one role and one region node."""

    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=64, unique=True)
    display_name = fields.CharField(max_length=64)
    role = fields.CharField(max_length=32)
    region = fields.ForeignKeyField("models.Region", related_name="staff", on_delete=fields.RESTRICT)
    phone = fields.CharField(max_length=16, null=True)
    password_hash = fields.CharField(max_length=255)
    must_change_password = fields.BooleanField(default=True)
    failed_logins = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    disabled = fields.BooleanField(default=False)
    created_by = fields.ForeignKeyField(
        "models.StaffAccount", related_name="created_accounts", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    last_login_at = fields.DatetimeField(null=True)

    class Meta:
        table = "staff_account"


class CitizenAccount(Model):
    """A citizen's sign-in identity: a verified phone number."""

    id = fields.IntField(primary_key=True)
    phone = fields.CharField(max_length=16, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_login_at = fields.DatetimeField(null=True)

    class Meta:
        table = "citizen_account"


class OtpCode(Model):
    """A one-time sign-in code sent to a phone, kept only as a hash."""

    id = fields.IntField(primary_key=True)
    phone = fields.CharField(max_length=16, db_index=True)
    code_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "otp_code"


class AuthSession(Model):
    """A signed-in session, whose bearer token is stored only as its hash."""

    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    kind = fields.CharField(max_length=16)  # staff | citizen
    staff = fields.ForeignKeyField("models.StaffAccount", related_name="sessions", null=True, on_delete=fields.CASCADE)
    citizen = fields.ForeignKeyField(
        "models.CitizenAccount", related_name="sessions", null=True, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)
    # staff sessions end after a spell of inactivity; refreshed at most once a minute, not on every request
    last_seen_at = fields.DatetimeField(null=True)
    client = fields.CharField(max_length=64, null=True)
    user_agent = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "auth_session"
