from __future__ import annotations

from collections.abc import Awaitable, Callable

import strawberry

from api.accounts import service
from api.accounts.types import (
    CodeSentSuccess,
    OkSuccess,
    SignInSuccess,
    StaffAccount,
    StaffCreateInput,
    StaffCreateSuccess,
    StaffCredentials,
    StaffSessionsEndSuccess,
    StaffSuccess,
)
from api.graphql.payloads import parse_id as _int
from api.graphql.payloads import payload, run_mutation
from api.kit import requests
from api.kit.errors import DomainError
from api.kit.phones import normalize_phone
from api.kit.ratelimit import get_rate_limiter

AuthCodePayload = payload("AuthCodeRequestPayload", CodeSentSuccess)
SignInPayload = payload("SignInPayload", SignInSuccess)
OkPayload = payload("OkPayload", OkSuccess)
StaffCreatePayload = payload("StaffCreatePayload", StaffCreateSuccess)
StaffPayload = payload("StaffPayload", StaffSuccess)
StaffSessionsEndPayload = payload("StaffSessionsEndPayload", StaffSessionsEndSuccess)


async def _limit_code_request(phone: str) -> None:
    limiter, rules = get_rate_limiter()
    await limiter.hit(rules.code_per_client, requests.current_client())
    await limiter.hit(rules.code_per_phone, normalize_phone(phone))


async def _guarded_sign_in(account: str, sign_in: Callable[[], Awaitable[service.SignInResult]]) -> SignInSuccess:
    """Signs in unless this address or account has failed too often lately; a failure counts against both."""
    limiter, rules = get_rate_limiter()
    client = requests.current_client()
    await limiter.check(rules.sign_in_per_client, client)
    await limiter.check(rules.sign_in_per_account, account)
    try:
        return _signed_in(await sign_in())
    except DomainError:
        await limiter.hit(rules.sign_in_per_client, client, refuse=False)
        await limiter.hit(rules.sign_in_per_account, account, refuse=False)
        raise


def _signed_in(r: service.SignInResult) -> SignInSuccess:
    return SignInSuccess(token=r.token, expires_at=r.expires_at, must_change_password=r.must_change_password)


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Sends a 6-digit sign-in code to a phone (once per 60 seconds).")
    async def auth_code_request(self, info: strawberry.Info, phone: str) -> AuthCodePayload:
        async def work():
            await _limit_code_request(phone)
            return CodeSentSuccess(retry_after=await service.request_code(phone))

        return await run_mutation(info.context, work, signed_in=False)

    @strawberry.mutation(description="Signs an applicant in with phone and code.")
    async def auth_code_sign_in(self, info: strawberry.Info, phone: str, code: str) -> SignInPayload:
        async def work():
            return await _guarded_sign_in(f"phone:{phone.strip()}", lambda: service.sign_in_with_code(phone, code))

        return await run_mutation(info.context, work, signed_in=False)

    @strawberry.mutation(description="Signs a staff member in with an allocated account.")
    async def auth_staff_sign_in(self, info: strawberry.Info, username: str, password: str) -> SignInPayload:
        async def work():
            return await _guarded_sign_in(f"staff:{(username or '').strip().lower()}",
                                          lambda: service.sign_in_staff(username, password))

        return await run_mutation(info.context, work, signed_in=False)

    @strawberry.mutation(description="Ends the current session.")
    async def auth_sign_out(self, info: strawberry.Info) -> OkPayload:
        async def work():
            await service.sign_out(info.context.token or "")
            return OkSuccess()

        return await run_mutation(info.context, work, allow_password_change=True)

    @strawberry.mutation(description="Changes the signed-in staff member's password.")
    async def password_change(self, info: strawberry.Info, old_password: str, new_password: str) -> OkPayload:
        async def work():
            await service.change_password(info.context.actor, old_password, new_password)
            return OkSuccess()

        return await run_mutation(info.context, work, allow_password_change=True)

    @strawberry.mutation(description="Allocates one staff account (admin).")
    async def staff_create(self, info: strawberry.Info, input: StaffCreateInput) -> StaffCreatePayload:
        async def work():
            staff, pw = await service.create_staff(info.context.actor, username=input.username,
                                                   display_name=input.display_name, role=input.role,
                                                   region_code=input.region_code, phone=input.phone)
            return StaffCreateSuccess(credentials=[StaffCredentials(account=StaffAccount.from_model(staff),
                                                                    initial_password=pw)])

        return await run_mutation(info.context, work)

    @strawberry.mutation(description="Allocates one village_worker account for each village listed (admin).")
    async def staff_create_village_workers(self, info: strawberry.Info, village_codes: list[str]) -> StaffCreatePayload:
        async def work():
            rows = await service.create_village_workers(info.context.actor, village_codes)
            return StaffCreateSuccess(credentials=[StaffCredentials(account=StaffAccount.from_model(s),
                                                                    initial_password=pw) for s, pw in rows])

        return await run_mutation(info.context, work)

    @strawberry.mutation(description="Gives a staff account a new initial password (admin).")
    async def staff_password_reset(self, info: strawberry.Info, staff_id: strawberry.ID) -> StaffCreatePayload:
        async def work():
            staff, pw = await service.reset_password(info.context.actor, _int(staff_id))
            return StaffCreateSuccess(credentials=[StaffCredentials(account=StaffAccount.from_model(staff),
                                                                    initial_password=pw)])

        return await run_mutation(info.context, work)

    @strawberry.mutation(description="Disables or re-enables a staff account (admin).")
    async def staff_disabled_set(self, info: strawberry.Info, staff_id: strawberry.ID, disabled: bool) -> StaffPayload:
        async def work():
            return StaffSuccess(account=StaffAccount.from_model(
                await service.set_disabled(info.context.actor, _int(staff_id), disabled)))

        return await run_mutation(info.context, work)


    @strawberry.mutation(description="Ends one session of a staff member, or all of them when no sessionId is given (admin).")
    async def staff_sessions_end(self, info: strawberry.Info, staff_id: strawberry.ID,
                                 session_id: strawberry.ID | None = None) -> StaffSessionsEndPayload:
        async def work():
            ended = await service.end_staff_sessions(info.context.actor, _int(staff_id),
                                                     _int(session_id) if session_id is not None else None)
            return StaffSessionsEndSuccess(ended=ended)

        return await run_mutation(info.context, work)
