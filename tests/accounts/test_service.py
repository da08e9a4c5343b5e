from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import TypeVar

import pytest
from tortoise import connections

from api.accounts import service as accounts
from api.accounts.models import AuthSession, OtpCode, StaffAccount
from api.graphql.payloads import AuthError as AuthErrorPayload
from api.graphql.payloads import run_mutation
from api.kit import clock
from api.kit.actors import ANONYMOUS
from api.kit.crypto import token_hash
from api.kit.db import unit_of_work
from api.kit.errors import (
    AuthError,
    ConflictError,
    DomainError,
    NotAllowedError,
    RateLimitedError,
    ValidationError,
)
from tests.factories import ADMIN, CUIPING, DISTRICT, XINQIAO, YANBA, make_staff, reading_together, staff_actor

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PHONE = "13800138000"
PASSWORD = "Passw0rd!x"
T = TypeVar("T")


async def at_boundary(work: Callable[[], Awaitable[T]]) -> T:
    """Runs `work` in one unit of work like run_mutation: a failure marked commit=True still commits."""
    failure: DomainError | None = None
    async with unit_of_work():
        try:
            return await work()
        except DomainError as e:
            if not e.commit:
                raise
            failure = e
    raise failure


async def request_code(phone: str = PHONE) -> int:
    return await at_boundary(lambda: accounts.request_code(phone))


async def sign_in_with_code(code: str, phone: str = PHONE) -> accounts.SignInResult:
    return await at_boundary(lambda: accounts.sign_in_with_code(phone, code))


async def sign_in_staff(username: str, password: str = PASSWORD) -> accounts.SignInResult:
    return await at_boundary(lambda: accounts.sign_in_staff(username, password))


async def resolve(token: str):
    async with unit_of_work():
        return await accounts.resolve_session(token)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture
def frozen(db):
    clock.freeze(T0)
    return T0


async def test_requested_code_is_six_digits_and_delivered(frozen, sms):
    await request_code()

    code = sms.last_code(PHONE)
    assert len(code) == 6
    assert code.isdigit()


async def test_resend_within_60_seconds_is_refused_with_retry_after(frozen, sms):
    await request_code()
    clock.freeze(T0 + timedelta(seconds=59))

    with pytest.raises(RateLimitedError) as caught:
        await request_code()

    assert caught.value.retry_after > 0
    assert len(sms.sent) == 1


async def test_resend_after_60_seconds_is_allowed(frozen, sms):
    await request_code()
    clock.freeze(T0 + timedelta(seconds=60))

    await request_code()

    assert len(sms.sent) == 2


async def test_code_expires_after_five_minutes(frozen, sms):
    await request_code()
    clock.freeze(T0 + timedelta(minutes=5))

    with pytest.raises(AuthError) as caught:
        await sign_in_with_code(sms.last_code(PHONE))

    assert caught.value.code == "otp_expired"


async def test_code_works_just_before_it_expires(frozen, sms):
    await request_code()
    clock.freeze(T0 + timedelta(minutes=5) - timedelta(seconds=1))

    result = await sign_in_with_code(sms.last_code(PHONE))

    assert result.token


async def test_five_wrong_codes_lock_the_code_so_the_right_one_is_refused(frozen, sms):
    await request_code()
    code = sms.last_code(PHONE)
    for _ in range(5):
        with pytest.raises(AuthError):
            await sign_in_with_code(wrong(code))

    with pytest.raises(AuthError) as caught:
        await sign_in_with_code(code)

    assert caught.value.code == "otp_locked"


async def test_right_code_after_four_wrong_ones_still_signs_in(frozen, sms):
    await request_code()
    code = sms.last_code(PHONE)
    for _ in range(4):
        with pytest.raises(AuthError):
            await sign_in_with_code(wrong(code))

    result = await sign_in_with_code(code)

    assert result.token


async def test_used_code_cannot_be_reused(frozen, sms):
    await request_code()
    code = sms.last_code(PHONE)
    await sign_in_with_code(code)

    with pytest.raises(AuthError) as caught:
        await sign_in_with_code(code)

    assert caught.value.code == "otp_missing"


async def test_wrong_code_attempt_is_committed_by_the_mutation_boundary(frozen, sms):
    await request_code()
    ctx = SimpleNamespace(actor=ANONYMOUS, request_id="test")

    result = await run_mutation(ctx, lambda: accounts.sign_in_with_code(PHONE, wrong(sms.last_code(PHONE))),
                                signed_in=False)

    assert isinstance(result, AuthErrorPayload)
    assert result.code == "otp_wrong"
    otp = await OtpCode.get(phone=PHONE)
    assert otp.attempts == 1


async def test_session_token_is_stored_only_as_its_hash(frozen, sms):
    await request_code()
    result = await sign_in_with_code(sms.last_code(PHONE))

    rows = await connections.get("default").execute_query_dict("SELECT * FROM auth_session")

    assert [r["token_hash"] for r in rows] == [token_hash(result.token)]
    assert not [v for r in rows for v in r.values() if result.token in str(v)]


async def test_citizen_session_resolves_to_an_applicant(frozen, sms):
    await request_code()
    result = await sign_in_with_code(sms.last_code(PHONE))

    actor = await resolve(result.token)

    assert (actor.kind, actor.phone) == ("applicant", PHONE)


async def test_sign_out_revokes_the_session(frozen, sms):
    await request_code()
    result = await sign_in_with_code(sms.last_code(PHONE))

    async with unit_of_work():
        await accounts.sign_out(result.token)

    assert await resolve(result.token) is None


async def test_expired_session_resolves_to_none(frozen):
    _, username = await make_staff("township_officer")
    result = await sign_in_staff(username)
    for minutes in range(20, 12 * 60, 20):  # used now and then, so the idle timeout does not end it first
        clock.freeze(result.expires_at - timedelta(hours=12, minutes=-minutes))
        assert await resolve(result.token) is not None
    clock.freeze(result.expires_at - timedelta(seconds=1))
    assert await resolve(result.token) is not None

    clock.freeze(result.expires_at)

    assert await resolve(result.token) is None


async def test_five_failed_staff_sign_ins_lock_the_account(frozen):
    _, username = await make_staff("township_officer")
    for _ in range(5):
        with pytest.raises(AuthError):
            await sign_in_staff(username, "Wrong0000x")

    with pytest.raises(AuthError) as caught:
        await sign_in_staff(username)

    assert caught.value.code == "account_locked"


async def test_locked_staff_account_unlocks_after_15_minutes(frozen):
    _, username = await make_staff("township_officer")
    for _ in range(5):
        with pytest.raises(AuthError):
            await sign_in_staff(username, "Wrong0000x")
    clock.freeze(T0 + timedelta(minutes=14, seconds=59))
    with pytest.raises(AuthError):
        await sign_in_staff(username)

    clock.freeze(T0 + timedelta(minutes=15))
    result = await sign_in_staff(username)

    assert result.token


async def test_disabled_staff_account_cannot_sign_in(frozen):
    staff_id, username = await make_staff("township_officer")
    async with unit_of_work():
        await accounts.set_disabled(ADMIN, staff_id, True)

    with pytest.raises(AuthError) as caught:
        await sign_in_staff(username)

    assert caught.value.code == "account_disabled"


async def test_disabling_staff_account_ends_its_sessions(frozen):
    staff_id, username = await make_staff("township_officer")
    result = await sign_in_staff(username)

    async with unit_of_work():
        await accounts.set_disabled(ADMIN, staff_id, True)

    assert await resolve(result.token) is None
    assert await AuthSession.filter(staff_id=staff_id, revoked_at=None).count() == 0


async def test_reset_password_gives_a_new_initial_password_that_must_be_changed(frozen):
    staff_id, username = await make_staff("township_officer")

    async with unit_of_work():
        _, initial = await accounts.reset_password(ADMIN, staff_id)

    with pytest.raises(AuthError):
        await sign_in_staff(username, PASSWORD)
    result = await sign_in_staff(username, initial)
    assert result.must_change_password is True


async def test_reset_password_revokes_old_sessions(frozen):
    staff_id, username = await make_staff("township_officer")
    result = await sign_in_staff(username)

    async with unit_of_work():
        await accounts.reset_password(ADMIN, staff_id)

    assert await resolve(result.token) is None


async def test_first_sign_in_reports_must_change_password(frozen):
    _, username = await make_staff("township_officer", must_change=True)

    result = await sign_in_staff(username)

    assert result.must_change_password is True
    assert (await resolve(result.token)).needs_password_change is True


async def test_change_password_clears_must_change(frozen):
    _, username = await make_staff("township_officer", must_change=True)
    actor = await resolve((await sign_in_staff(username)).token)

    async with unit_of_work():
        await accounts.change_password(actor, PASSWORD, "NewPassw0rd")

    result = await sign_in_staff(username, "NewPassw0rd")
    assert result.must_change_password is False
    assert (await resolve(result.token)).needs_password_change is False


@pytest.mark.parametrize("weak", ["Ab1", "onlyletters", "1234567890"])
async def test_weak_new_password_is_refused(frozen, weak):
    staff_id, username = await make_staff("township_officer", must_change=True)
    actor = staff_actor("township_officer", staff_id=staff_id)

    with pytest.raises(ValidationError) as caught:
        async with unit_of_work():
            await accounts.change_password(actor, PASSWORD, weak)

    assert caught.value.code == "password_weak"
    assert (await StaffAccount.get(id=staff_id)).must_change_password is True


async def test_bulk_allocation_gives_one_village_worker_per_village_with_passwords(db):
    async with unit_of_work():
        created = await accounts.create_village_workers(ADMIN, [XINQIAO, YANBA, XINQIAO])

    assert sorted((s.region_id, s.role) for s, _ in created) == [(XINQIAO, "village_worker"),
                                                                 (YANBA, "village_worker")]
    assert all(len(pw) >= 8 for _, pw in created)
    staff = await StaffAccount.filter(region_id__in=[XINQIAO, YANBA])
    assert sorted(s.region_id for s in staff) == [XINQIAO, YANBA]
    assert all(s.must_change_password for s in staff)


async def test_bulk_allocated_password_signs_in(db):
    async with unit_of_work():
        [(staff, initial)] = await accounts.create_village_workers(ADMIN, [XINQIAO])

    result = await sign_in_staff(staff.username, initial)

    assert result.must_change_password is True


async def test_bulk_allocation_with_a_township_writes_nothing(db):
    with pytest.raises(ValidationError) as caught:
        async with unit_of_work():
            await accounts.create_village_workers(ADMIN, [XINQIAO, CUIPING])

    assert caught.value.code == "role_region_mismatch"
    assert await StaffAccount.all().count() == 0


async def test_bulk_allocation_with_a_village_that_has_an_account_writes_nothing(db):
    async with unit_of_work():
        await accounts.create_village_workers(ADMIN, [YANBA])

    with pytest.raises(ConflictError) as caught:
        async with unit_of_work():
            await accounts.create_village_workers(ADMIN, [XINQIAO, YANBA])

    assert caught.value.code == "username_taken"
    assert await StaffAccount.filter(region_id=XINQIAO).count() == 0


@pytest.mark.parametrize(("role", "region"), [("village_worker", CUIPING), ("township_officer", XINQIAO),
                                              ("approver", CUIPING)])
async def test_staff_role_bound_to_wrong_region_level_is_refused(db, role, region):
    with pytest.raises(ValidationError) as caught:
        async with unit_of_work():
            await accounts.create_staff(ADMIN, username="someone", display_name="某人", role=role,
                                        region_code=region)

    assert caught.value.code == "role_region_mismatch"
    assert await StaffAccount.all().count() == 0


ADMIN_OPERATIONS = {
    "create_staff": lambda actor, staff_id: accounts.create_staff(
        actor, username="someone", display_name="某人", role="approver", region_code=DISTRICT),
    "create_village_workers": lambda actor, staff_id: accounts.create_village_workers(actor, [XINQIAO]),
    "reset_password": lambda actor, staff_id: accounts.reset_password(actor, staff_id),
    "set_disabled": lambda actor, staff_id: accounts.set_disabled(actor, staff_id, True),
}


@pytest.mark.parametrize("operation", ADMIN_OPERATIONS)
async def test_non_admin_cannot_manage_accounts(db, operation):
    staff_id, _ = await make_staff("supervisor")
    before = await StaffAccount.get(id=staff_id)

    with pytest.raises(NotAllowedError) as caught:
        async with unit_of_work():
            await ADMIN_OPERATIONS[operation](staff_actor("supervisor"), staff_id)

    assert caught.value.code == "admin_only"
    after = await StaffAccount.get(id=staff_id)
    assert await StaffAccount.all().count() == 1
    assert (after.password_hash, after.disabled) == (before.password_hash, before.disabled)


def _columns(model) -> dict | None:
    return None if model is None else {c: getattr(model, a) for c, a in model._meta.fields_db_projection_reverse.items()}


async def _orm_view(token: str):
    """What the ORM reads for a token: the session with staff and citizen (select_related) and the profile id."""
    from api.accounts import repository
    from api.applicants import service as applicants

    session = await repository.session_by_hash(token_hash(token))
    if session is None:
        return None
    profile = await applicants.profile_id_of(session.citizen_id) if session.citizen_id else None
    return _columns(session), _columns(session.staff), _columns(session.citizen), profile


async def _one_statement_view(token: str):
    from api.accounts import repository

    found = await repository.live_session(token_hash=token_hash(token))
    if found is None:
        return None
    session, profile = found
    return _columns(session), _columns(session.staff), _columns(session.citizen), profile


async def test_live_session_reads_what_the_orm_reads_in_one_statement(frozen, sms):
    """The hand-written look-up every request makes gives the same objects as the ORM's two queries, for a staff
    session, a citizen without and with a profile, a revoked session and an unknown token."""
    from api.applicants import service as applicants
    from tests.applicants.test_service import MAN, profile

    _, username = await make_staff("township_officer")
    staff = await sign_in_staff(username)
    await request_code()
    citizen = await sign_in_with_code(sms.last_code(PHONE))
    other_phone = "13800138001"
    await request_code(other_phone)
    revoked = await sign_in_with_code(sms.last_code(other_phone), other_phone)
    async with unit_of_work():
        await accounts.sign_out(revoked.token)
    views = {}
    for name, token in (("staff", staff.token), ("citizen", citizen.token), ("revoked", revoked.token)):
        views[name] = await _one_statement_view(token)
        assert views[name] == await _orm_view(token), name
    assert views["staff"][1]["username"] == username and views["staff"][2] is None
    assert views["citizen"][1] is None and views["citizen"][2]["phone"] == PHONE and views["citizen"][3] is None
    assert views["revoked"][0]["revoked_at"] is not None
    assert await _one_statement_view("no-such-token") is None

    actor = await resolve(citizen.token)
    async with unit_of_work():
        saved = await applicants.save_own_profile(actor, profile(MAN))
    with_profile = await _one_statement_view(citizen.token)
    assert with_profile == await _orm_view(citizen.token)
    assert with_profile[3] == saved.id
    assert (await resolve(citizen.token)).applicant_id == saved.id


async def test_wrong_codes_sent_at_once_each_count_against_the_code(frozen, sms):
    """Guesses sent together (a script, not a person) must not share one attempt: after five, even the right
    code is refused."""
    import asyncio

    await request_code()
    code = sms.last_code(PHONE)
    guesses = [f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, 6)]

    results = await asyncio.gather(*(sign_in_with_code(g) for g in guesses), return_exceptions=True)
    with pytest.raises(AuthError) as caught:
        await sign_in_with_code(code)

    otp = await OtpCode.get(phone=PHONE)
    assert ([type(r).__name__ for r in results], otp.attempts, caught.value.code) == (
        ["AuthError"] * 5, 5, "otp_locked")


async def test_right_code_sent_twice_at_once_opens_one_session(frozen, sms):
    """A double-tapped 登录: the one-time code signs in once; the other tap is told to get a new code."""
    import asyncio

    await request_code()
    code = sms.last_code(PHONE)

    results = await asyncio.gather(sign_in_with_code(code), sign_in_with_code(code), return_exceptions=True)

    outcomes = sorted(r.code if isinstance(r, DomainError) else "signed_in" for r in results)
    assert (outcomes, await AuthSession.all().count()) == (["otp_missing", "signed_in"], 1)


async def test_code_requested_twice_at_once_is_sent_once(frozen, sms, monkeypatch):
    """A double-tapped 获取验证码: one code goes out (a second one would make the first, which may be the one
    the person types, wrong); the other tap is told to wait."""
    import asyncio

    from api.accounts import repository

    reading_together(monkeypatch, repository, "latest_code", 2)  # the two requests read before either writes

    results = await asyncio.gather(request_code(), request_code(), return_exceptions=True)

    outcomes = sorted(r.code if isinstance(r, DomainError) else "sent" for r in results)
    assert (outcomes, len(sms.sent), await OtpCode.filter(phone=PHONE).count()) == (["otp_too_soon", "sent"], 1, 1)


async def test_wrong_passwords_sent_at_once_each_count_towards_the_lock(frozen, monkeypatch):
    """Five guesses sent together (a script) lock the account as five in a row do; the right password is then
    refused too."""
    import asyncio

    from api.accounts import repository

    _, username = await make_staff("township_officer")
    # the guesses read the account before any writes
    reading_together(monkeypatch, repository, "staff_by_username", 5, within=0.5)
    results = await asyncio.gather(*(sign_in_staff(username, f"Wrong000{n}x") for n in range(5)),
                                   return_exceptions=True)
    with pytest.raises(AuthError) as caught:
        await sign_in_staff(username)

    assert ([type(r).__name__ for r in results], caught.value.code) == (["AuthError"] * 5, "account_locked")
