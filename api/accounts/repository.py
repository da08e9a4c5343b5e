"""Every query of the accounts domain."""

from __future__ import annotations

from datetime import datetime

from api.accounts.models import AuthSession, CitizenAccount, OtpCode, StaffAccount
from api.kit.lookups import fits


async def latest_code(phone: str) -> OtpCode | None:
    return await OtpCode.filter(phone=phone).order_by("-created_at", "-id").first()


async def add_code(phone: str, code_hash: str, created_at: datetime, expires_at: datetime) -> OtpCode:
    return await OtpCode.create(phone=phone, code_hash=code_hash, created_at=created_at, expires_at=expires_at)


async def citizen_by_phone(phone: str) -> CitizenAccount | None:
    return await CitizenAccount.get_or_none(phone=phone)


async def add_citizen(phone: str) -> CitizenAccount:
    return await CitizenAccount.create(phone=phone)


async def staff_by_username(username: str) -> StaffAccount | None:
    if not fits(username, StaffAccount, "username"):
        return None
    return await StaffAccount.get_or_none(username=username)


async def staff_by_id(staff_id: int) -> StaffAccount | None:
    return await StaffAccount.get_or_none(id=staff_id)


async def staff_usernames(usernames: list[str]) -> set[str]:
    return set(await StaffAccount.filter(username__in=usernames).values_list("username", flat=True))


async def add_staff(**values) -> StaffAccount:
    return await StaffAccount.create(**values)


async def list_staff(region_prefix: str, role: str | None, limit: int, offset: int) -> list[StaffAccount]:
    if not fits(role, StaffAccount, "role"):
        return []
    qs = StaffAccount.filter(region_id__startswith=region_prefix)
    if role:
        qs = qs.filter(role=role)
    return await qs.order_by("id").offset(offset).limit(limit)


async def add_session(**values) -> AuthSession:
    return await AuthSession.create(**values)


async def session_by_hash(token_hash: str) -> AuthSession | None:
    return await AuthSession.get_or_none(token_hash=token_hash).select_related("staff", "citizen")


async def session_by_id(session_id: int) -> AuthSession | None:
    return await AuthSession.get_or_none(id=session_id).select_related("staff", "citizen")


async def revoke_sessions_of_staff(staff_id: int, at: datetime, session_id: int | None = None) -> int:
    qs = AuthSession.filter(staff_id=staff_id, revoked_at=None)
    if session_id is not None:
        qs = qs.filter(id=session_id)
    return await qs.update(revoked_at=at)


async def touch_session(session_id: int, at: datetime) -> None:
    await AuthSession.filter(id=session_id).update(last_seen_at=at)


async def live_sessions_of_staff(staff_id: int, now: datetime, seen_after: datetime) -> list[AuthSession]:
    return await AuthSession.filter(staff_id=staff_id, revoked_at=None, expires_at__gt=now,
                                    last_seen_at__gt=seen_after).order_by("-last_seen_at", "-id")


async def staff_many(ids: list[int]) -> list[StaffAccount]:
    return await StaffAccount.filter(id__in=ids)
