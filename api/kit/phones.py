"""Mainland mobile numbers, normalised to 11 digits."""

from __future__ import annotations

import re

from api.kit.errors import ValidationError

_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(value: str | None, *, field: str = "phone") -> str:
    """Returns the 11-digit number, or raises a ValidationError saying what is wrong."""
    raw = re.sub(r"[\s\-()]", "", value or "")
    if raw.startswith("+86"):
        raw = raw[3:]
    elif raw.startswith("0086"):
        raw = raw[4:]
    if not raw:
        raise ValidationError("请填写手机号码", code="phone_empty", field=field)
    if not raw.isdigit():
        raise ValidationError("手机号码只能包含数字", code="phone_invalid", field=field)
    if not _MOBILE.match(raw):
        raise ValidationError("手机号码应为以1开头的11位数字", code="phone_invalid", field=field)
    return raw


def mask_phone(phone: str | None) -> str | None:
    """Returns 138****5678."""
    if not phone:
        return phone
    return phone[:3] + "****" + phone[-4:]
