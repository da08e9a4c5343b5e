"""Sign-in for applicants (phone + one-time code) and staff (allocated accounts), and sessions."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from api.accounts import repository
from api.accounts.models import AuthSession, StaffAccount
from api.accounts.sms import get_sms
from api.audit import service as audit
from api.kit import clock, requests
from api.kit.actors import ROLE_LEVELS, STAFF_ROLES, Actor
from api.kit.broker import get_broker
from api.kit.crypto import new_token, token_hash
from api.kit.db import after_commit
from api.kit.errors import (
    AuthError,
    ConflictError,
    NotAllowedError,
    NotFoundError,
    RateLimitedError,
    ValidationError,
    echo,
)
from api.kit.phones import mask_phone, normalize_phone
from api.regions import service as regions
from api.settings import Settings, get_settings

_hasher = PasswordHasher()
# how stale `last_seen_at` may be before a request refreshes it (a write per minute, not per request)
TOUCH_EVERY = timedelta(seconds=60)


@dataclass
class SignInResult:
    token: str
    expires_at: object
    must_change_password: bool = False


def _settings() -> Settings:
    return get_settings()


def _code_hash(phone: str, code: str) -> str:
    return hmac.new(_settings().secret_key.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


async def request_code(phone: str) -> int:
    """Sends a 6-digit sign-in code; returns the seconds before another may be sent."""
    s = _settings()
    phone = normalize_phone(phone)
    now = clock.now()
    # a second request for the phone (a double tap) waits for the first to commit and then finds its code
    await repository.lock_phone(phone)
    last = await repository.latest_code(phone)
    if last is not None:
        wait = s.otp_resend_seconds - int((now - last.created_at).total_seconds())
        if wait > 0:
            raise RateLimitedError(f"验证码已发送，请在{wait}秒后再重新获取", retry_after=wait, code="otp_too_soon")
    code = f"{secrets.randbelow(1_000_000):06d}"
    await repository.add_code(phone, _code_hash(phone, code), now, now + timedelta(seconds=s.otp_ttl_seconds))

    async def send() -> None:
        await get_sms().send_code(phone, code)

    after_commit(send)
    return s.otp_resend_seconds


async def sign_in_with_code(phone: str, code: str) -> SignInResult:
    """Checks a one-time code and opens an applicant session; a profile with this phone becomes theirs."""
    s = _settings()
    phone = normalize_phone(phone)
    code = (code or "").strip()
    if not (len(code) == 6 and code.isdigit()):
        raise ValidationError("请输入6位数字验证码", code="otp_format", field="code")
    now = clock.now()
    # held until the end: sign-ins with one code run one at a time, so each wrong guess counts and the code
    # signs in once
    otp = await repository.latest_code(phone, for_update=True)
    if otp is None or otp.used_at is not None:
        raise _failed(AuthError("请先获取验证码", code="otp_missing"), phone=phone)
    if otp.expires_at <= now:
        raise _failed(AuthError("验证码已过期，请重新获取", code="otp_expired"), phone=phone)
    if otp.attempts >= s.otp_max_attempts:
        raise _failed(AuthError("验证码错误次数过多，请重新获取", code="otp_locked"), phone=phone)
    if not hmac.compare_digest(otp.code_hash, _code_hash(phone, code)):
        otp.attempts += 1
        await otp.save(update_fields=["attempts"])
        left = s.otp_max_attempts - otp.attempts
        message = f"验证码不正确，还可尝试{left}次" if left else "验证码错误次数过多，请重新获取"
        raise _failed(AuthError(message, code="otp_wrong" if left else "otp_locked", commit=True), phone=phone)
    otp.used_at = now
    await otp.save(update_fields=["used_at"])
    from api.applicants import service as applicants

    citizen = await repository.citizen_by_phone(phone)
    if citizen is None:
        citizen = await repository.add_citizen(phone, last_login_at=now)
        profile_id = await applicants.claim_profile_for(citizen.id, phone, new_account=True)
    else:
        citizen.last_login_at = now
        await citizen.save(update_fields=["last_login_at"])
        profile_id = await applicants.claim_profile_for(citizen.id, phone)
    audit.note(Actor(kind="applicant", role="applicant", citizen_id=citizen.id), "sign_in",
               applicant_id=profile_id, name=mask_phone(phone))
    return await _open_session(kind="citizen", citizen_id=citizen.id, hours=s.applicant_session_hours)


def _failed(error: AuthError, *, phone: str | None = None, username: str | None = None,
            staff: StaffAccount | None = None) -> AuthError:
    """Notes a failed sign-in in the audit log and returns the error to raise."""
    actor = Actor(kind="staff" if staff else "anonymous", role=staff.role if staff else "anonymous",
                  staff_id=staff.id if staff else None)
    audit.note(actor, "sign_in_failed", name=username if username is not None else mask_phone(phone or ""),
               detail=error.code)
    return error


async def _open_session(*, kind: str, hours: int, citizen_id: int | None = None,
                        staff_id: int | None = None, must_change_password: bool = False) -> SignInResult:
    token = new_token()
    now = clock.now()
    expires = now + timedelta(hours=hours)
    await repository.add_session(token_hash=token_hash(token), kind=kind, citizen_id=citizen_id, staff_id=staff_id,
                                 created_at=now, expires_at=expires, last_seen_at=now,
                                 client=requests.current_client(), user_agent=requests.current_user_agent())
    return SignInResult(token=token, expires_at=expires, must_change_password=must_change_password)


async def sign_in_staff(username: str, password: str) -> SignInResult:
    """Checks a staff password; five failures lock the account for 15 minutes."""
    s = _settings()
    username = (username or "").strip()
    if not username or not password:
        raise ValidationError("请输入用户名和密码", code="credentials_empty")
    now = clock.now()
    # held until the end: sign-ins to one account run one at a time, so each wrong password counts
    staff = await repository.staff_by_username(username, for_update=True)
    if staff is None:
        # same answer as a wrong password: do not reveal which usernames exist
        raise _failed(AuthError("用户名或密码不正确", code="bad_credentials"), username=username)
    if staff.locked_until is not None and staff.locked_until > now:
        minutes = max(1, int((staff.locked_until - now).total_seconds() + 59) // 60)
        raise _failed(AuthError(f"密码错误次数过多，账号已锁定，请在{minutes}分钟后再试", code="account_locked"),
                      username=username, staff=staff)
    if not _verify_password(staff.password_hash, password):
        staff.failed_logins += 1
        if staff.failed_logins >= s.login_max_failures:
            staff.failed_logins = 0
            staff.locked_until = now + timedelta(minutes=s.login_lock_minutes)
            await staff.save(update_fields=["failed_logins", "locked_until"])
            raise _failed(AuthError(f"密码错误次数过多，账号已锁定{s.login_lock_minutes}分钟", code="account_locked",
                                    commit=True), username=username, staff=staff)
        await staff.save(update_fields=["failed_logins"])
        left = s.login_max_failures - staff.failed_logins
        raise _failed(AuthError(f"用户名或密码不正确，再错{left}次账号将被锁定", code="bad_credentials", commit=True),
                      username=username, staff=staff)
    if staff.disabled:
        # said only after the right password, so a guesser learns nothing about the account
        raise _failed(AuthError("账号已停用，请联系系统管理员", code="account_disabled"), username=username, staff=staff)
    staff.failed_logins = 0
    staff.locked_until = None
    staff.last_login_at = now
    await staff.save(update_fields=["failed_logins", "locked_until", "last_login_at"])
    audit.note(_staff_actor(staff), "sign_in")
    return await _open_session(kind="staff", staff_id=staff.id, hours=s.staff_session_hours,
                               must_change_password=staff.must_change_password)


def _verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password_strength(password: str) -> None:
    """Refuses passwords shorter than 8 characters or without both letters and digits."""
    if len(password or "") < 8:
        raise ValidationError("新密码至少8位", code="password_weak", field="newPassword")
    if not any(c.isdigit() for c in password) or not any(c.isalpha() for c in password):
        raise ValidationError("新密码须同时包含字母和数字", code="password_weak", field="newPassword")


async def change_password(actor: Actor, old_password: str, new_password: str) -> None:
    """Changes the caller's own password; the first sign-in must do this before anything else."""
    if not actor.is_staff or actor.staff_id is None:
        raise NotAllowedError("只有工作人员账号有密码", code="staff_only")
    staff = await repository.staff_by_id(actor.staff_id)
    if staff is None or not _verify_password(staff.password_hash, old_password or ""):
        raise AuthError("原密码不正确", code="bad_credentials")
    check_password_strength(new_password)
    if new_password == old_password:
        raise ValidationError("新密码不能与原密码相同", code="password_reused", field="newPassword")
    staff.password_hash = _hasher.hash(new_password)
    staff.must_change_password = False
    await staff.save(update_fields=["password_hash", "must_change_password"])


# Broker channel on which ended sessions are announced, so that every API process closes the live connections
# signed in with them at once (api/graphql/websocket.py SessionWatch). Each connection also checks its session
# again every minute: the fallback for an announcement lost while Redis was away, and for expiry and idle time.
SESSIONS_ENDED = "sessions-ended"


def _announce_ended(*, session_id: int | None = None, staff_id: int | None = None) -> None:
    """Once the change commits: one session ended (`session_id`), or every session of a staff account."""
    message = {"session_id": session_id, "staff_id": staff_id}

    async def announce() -> None:
        await get_broker().publish(SESSIONS_ENDED, message)

    after_commit(announce)


async def sign_out(token: str) -> None:
    """Revokes the session of this token."""
    session = await repository.session_by_hash(token_hash(token))
    if session is not None and session.revoked_at is None:
        session.revoked_at = clock.now()
        await session.save(update_fields=["revoked_at"])
        _announce_ended(session_id=session.id)
        if session.kind == "staff" and session.staff is not None:
            audit.note(_staff_actor(session.staff), "sign_out")
        else:
            audit.note(Actor(kind="applicant", role="applicant", citizen_id=session.citizen_id), "sign_out",
                       name=mask_phone(session.citizen.phone) if session.citizen else "")


async def resolve_session(token: str | None) -> Actor | None:
    """Returns the caller behind a bearer token, or None when it is unknown, expired or revoked."""
    if not token:
        return None
    return await _actor_of(await repository.live_session(token_hash=token_hash(token)))


async def resolve_session_id(session_id: int) -> Actor | None:
    """Returns the caller of a session by its id (a signed download link names it), if it is still live."""
    return await _actor_of(await repository.live_session(session_id=session_id))


async def _actor_of(found: tuple[AuthSession, int | None] | None) -> Actor | None:
    """The caller of a session read by `repository.live_session` (with its profile id), if it is still live."""
    if found is None:
        return None
    session, profile_id = found
    now = clock.now()
    if session.revoked_at is not None or session.expires_at <= now:
        return None
    if session.kind == "staff":
        staff = session.staff
        if staff is None or staff.disabled:
            return None
        seen = session.last_seen_at or session.created_at
        if now - seen >= timedelta(minutes=_settings().staff_idle_minutes):
            return None  # idle too long: sign in again
        if now - seen >= TOUCH_EVERY:
            await repository.touch_session(session.id, now)
        return _staff_actor(staff, session_id=session.id)
    citizen = session.citizen
    if citizen is None:
        return None
    return Actor(kind="applicant", role="applicant", name=citizen.phone, citizen_id=citizen.id,
                 applicant_id=profile_id, phone=citizen.phone, session_id=session.id)


def _staff_actor(staff: StaffAccount, *, session_id: int | None = None) -> Actor:
    return Actor(kind="staff", role=staff.role, name=staff.display_name, staff_id=staff.id,
                 region_code=staff.region_id, needs_password_change=staff.must_change_password,
                 session_id=session_id)


def _initial_password() -> str:
    alphabet = string.ascii_letters.replace("l", "").replace("I", "").replace("O", "") + "23456789"
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(10))
        if any(c.isdigit() for c in pw) and any(c.isalpha() for c in pw):
            return pw


def _require_admin(actor: Actor) -> None:
    if actor.role != "admin":
        raise NotAllowedError("只有系统管理员可以管理账号", code="admin_only")


async def _check_role_region(role: str, region_code: str) -> None:
    if role not in STAFF_ROLES:
        raise ValidationError(f"角色「{echo(role)}」无效", code="role_invalid", field="role")
    region = await regions.get(region_code)
    if region.level != ROLE_LEVELS[role]:
        level_names = {"village": "村(社区)", "township": "乡镇(街道)", "district": "区"}
        raise ValidationError(f"该角色的账号应绑定到{level_names[ROLE_LEVELS[role]]}一级的区划",
                              code="role_region_mismatch", field="regionCode")


def _check_username(username: str) -> str:
    username = (username or "").strip()
    if not (3 <= len(username) <= 64) or not all(c.isalnum() or c in "._-" for c in username):
        raise ValidationError("用户名应为3到64位字母、数字或 . _ -", code="username_invalid", field="username")
    return username


async def create_staff(actor: Actor, *, username: str, display_name: str, role: str, region_code: str,
                       phone: str | None = None, password: str | None = None) -> tuple[StaffAccount, str]:
    """Allocates one staff account; returns it with its initial password (shown once)."""
    _require_admin(actor)
    username = _check_username(username)
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > 64:
        raise ValidationError("请填写姓名（不超过64个字）", code="display_name_invalid", field="displayName")
    await _check_role_region(role, region_code)
    if phone:
        phone = normalize_phone(phone)
    if await repository.staff_by_username(username) is not None:
        raise ConflictError(f"用户名「{username}」已被使用", code="username_taken", field="username")
    initial = password or _initial_password()
    staff = await repository.add_staff(username=username, display_name=display_name, role=role,
                                       region_id=region_code, phone=phone, password_hash=_hasher.hash(initial),
                                       must_change_password=True, created_by_id=actor.staff_id)
    return staff, initial


async def create_village_workers(actor: Actor, village_codes: list[str]) -> list[tuple[StaffAccount, str]]:
    """Allocates one village_worker account for each village listed; all or nothing."""
    _require_admin(actor)
    codes = list(dict.fromkeys(c.strip() for c in village_codes if c and c.strip()))
    if not codes:
        raise ValidationError("请至少选择一个村(社区)", code="villages_empty", field="villageCodes")
    if len(codes) > 500:
        raise ValidationError("一次最多分配500个账号", code="too_many", field="villageCodes")
    villages = []
    for code in codes:
        region = await regions.get(code)
        if region.level != "village":
            raise ValidationError(f"「{region.name}」不是村(社区)", code="role_region_mismatch",
                                  field="villageCodes")
        villages.append(region)
    usernames = [f"cun{v.code}" for v in villages]
    taken = await repository.staff_usernames(usernames)
    if taken:
        raise ConflictError(f"以下村(社区)已有协理员账号：{'、'.join(sorted(taken))}", code="username_taken",
                            field="villageCodes")
    out = []
    for village, username in zip(villages, usernames, strict=True):
        initial = _initial_password()
        staff = await repository.add_staff(username=username, display_name=f"{village.name}协理员",
                                           role="village_worker", region_id=village.code,
                                           password_hash=_hasher.hash(initial), must_change_password=True,
                                           created_by_id=actor.staff_id)
        out.append((staff, initial))
    return out


async def _staff_for_admin(actor: Actor, staff_id: int) -> StaffAccount:
    _require_admin(actor)
    staff = await repository.staff_by_id(staff_id)
    # an administrator manages the accounts of their own region only
    if staff is None or not staff.region_id.startswith(actor.region_code or ""):
        raise NotFoundError("账号不存在", code="staff_not_found", field="staffId")
    return staff


async def reset_password(actor: Actor, staff_id: int) -> tuple[StaffAccount, str]:
    """Gives a staff account a new initial password and ends its sessions."""
    staff = await _staff_for_admin(actor, staff_id)
    initial = _initial_password()
    staff.password_hash = _hasher.hash(initial)
    staff.must_change_password = True
    staff.failed_logins = 0
    staff.locked_until = None
    await staff.save(update_fields=["password_hash", "must_change_password", "failed_logins", "locked_until"])
    await repository.revoke_sessions_of_staff(staff.id, clock.now())
    _announce_ended(staff_id=staff.id)
    return staff, initial


async def set_disabled(actor: Actor, staff_id: int, disabled: bool) -> StaffAccount:
    """Disables (ending its sessions) or re-enables a staff account."""
    staff = await _staff_for_admin(actor, staff_id)
    if staff.id == actor.staff_id and disabled:
        raise ConflictError("不能停用自己的账号", code="self_disable")
    staff.disabled = disabled
    await staff.save(update_fields=["disabled"])
    if disabled:
        await repository.revoke_sessions_of_staff(staff.id, clock.now())
        _announce_ended(staff_id=staff.id)
    return staff


async def staff_sessions(actor: Actor, staff_id: int) -> list[AuthSession]:
    """Returns a staff member's live sessions (admin), most recently used first."""
    staff = await _staff_for_admin(actor, staff_id)
    now = clock.now()
    return await repository.live_sessions_of_staff(
        staff.id, now, now - timedelta(minutes=_settings().staff_idle_minutes))


async def end_staff_sessions(actor: Actor, staff_id: int, session_id: int | None = None) -> int:
    """Ends one of a staff member's sessions, or all of them (admin); returns how many were ended."""
    staff = await _staff_for_admin(actor, staff_id)
    ended = await repository.revoke_sessions_of_staff(staff.id, clock.now(), session_id)
    if session_id is not None and ended == 0:
        raise NotFoundError("该会话不存在或已结束", code="session_not_found", field="sessionId")
    if ended:
        audit.note(_staff_actor(staff), "sign_out", detail=f"ended by admin {actor.staff_id}: {ended} session(s)")
        _announce_ended(session_id=session_id, staff_id=staff.id)
    return ended


async def list_staff(actor: Actor, *, role: str | None, first: int, offset: int) -> list[StaffAccount]:
    """Returns staff accounts inside the admin's region."""
    _require_admin(actor)
    return await repository.list_staff(actor.region_code or "", role, first, offset)


async def get_staff(staff_id: int) -> StaffAccount | None:
    """Returns a staff account by id."""
    return await repository.staff_by_id(staff_id)


def hash_password(password: str) -> str:
    """Returns the argon2 hash of a password."""
    return _hasher.hash(password)
