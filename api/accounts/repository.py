"""Every query of the accounts domain."""

from __future__ import annotations

from datetime import datetime

from tortoise import connections

from api.accounts.models import AuthSession, CitizenAccount, OtpCode, StaffAccount
from api.kit.lookups import fits


async def latest_code(phone: str, *, for_update: bool = False) -> OtpCode | None:
    qs = OtpCode.filter(phone=phone).order_by("-created_at", "-id")
    if for_update:
        qs = qs.select_for_update()
    return await qs.first()


async def lock_phone(phone: str) -> None:
    """Holds the phone's code requests until the transaction ends, so they run one at a time (PostgreSQL: a
    transaction-level advisory lock, there may be no row to lock yet; SQLite runs one transaction at a time)."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        await conn.execute_query("SELECT pg_advisory_xact_lock(1, hashtext($1))", [f"otp:{phone}"])


async def add_code(phone: str, code_hash: str, created_at: datetime, expires_at: datetime) -> OtpCode:
    return await OtpCode.create(phone=phone, code_hash=code_hash, created_at=created_at, expires_at=expires_at)


async def citizen_by_phone(phone: str) -> CitizenAccount | None:
    return await CitizenAccount.get_or_none(phone=phone)


async def add_citizen(phone: str, *, last_login_at: datetime | None = None) -> CitizenAccount:
    return await CitizenAccount.create(phone=phone, last_login_at=last_login_at)


async def staff_by_username(username: str, *, for_update: bool = False) -> StaffAccount | None:
    if not fits(username, StaffAccount, "username"):
        return None
    qs = StaffAccount.filter(username=username)
    if for_update:
        qs = qs.select_for_update()
    return await qs.first()


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


async def live_session(*, token_hash: str | None = None,
                       session_id: int | None = None) -> tuple[AuthSession, int | None] | None:
    """The session of a token hash (or of an id: a signed download link names it) with its staff account or
    citizen account loaded, and the id of the citizen's own applicant profile: what every request asks to know
    its caller, in one statement.

    The same objects as `session_by_hash` plus a profile look-up would give (the models are built by
    Tortoise's own `_init_from_db`), read by one hand-written SELECT instead of two ORM queries: on a hot
    path that every request takes, building the two queries cost more CPU than running them."""
    conn = AuthSession._meta.db
    pg = conn.capabilities.dialect == "postgres"
    key, value = ("token_hash", token_hash) if session_id is None else ("id", session_id)
    sql, splits = _session_statement(pg, key)
    rows = await conn.execute_query_dict(sql, [value])
    if not rows:
        return None
    values = list(rows[0].values())
    session_row, staff_row, citizen_row = (dict(zip(columns, values[start:start + len(columns)], strict=True))
                                           for columns, start in splits)
    session = AuthSession._init_from_db(**session_row)
    staff = StaffAccount._init_from_db(**staff_row) if staff_row["id"] is not None else None
    citizen = CitizenAccount._init_from_db(**citizen_row) if citizen_row["id"] is not None else None
    object.__setattr__(session, "_staff", staff)  # as select_related("staff", "citizen") leaves them
    object.__setattr__(session, "_citizen", citizen)
    return session, values[-1]


_SESSION_SQL: dict[tuple[bool, str], tuple[str, list[tuple[list[str], int]]]] = {}


def _session_statement(pg: bool, key: str) -> tuple[str, list[tuple[list[str], int]]]:
    """The SELECT of `live_session` for a dialect and key column, and where each model's columns sit in its row."""
    if (pg, key) not in _SESSION_SQL:
        from api.applicants.models import Applicant  # its table only: the citizen's own profile

        select, splits = [], []
        for model, alias in ((AuthSession, "s"), (StaffAccount, "st"), (CitizenAccount, "c")):
            columns = sorted(model._meta.db_fields)
            splits.append((columns, len(select)))
            select += [f'{alias}."{c}" AS "{alias}_{c}"' for c in columns]
        profile = (f'(SELECT a."id" FROM "{Applicant._meta.db_table}" a WHERE a."account_id" = s."citizen_id"'
                   ' LIMIT 1) AS "profile_id"')
        _SESSION_SQL[pg, key] = (
            f'SELECT {", ".join(select)}, {profile} FROM "{AuthSession._meta.db_table}" s'
            f' LEFT JOIN "{StaffAccount._meta.db_table}" st ON st."id" = s."staff_id"'
            f' LEFT JOIN "{CitizenAccount._meta.db_table}" c ON c."id" = s."citizen_id"'
            f' WHERE s."{key}" = {"$1" if pg else "?"}', splits)
    return _SESSION_SQL[pg, key]


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
