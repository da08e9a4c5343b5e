"""Typed errors and the mutation boundary: one transaction per mutation, failures as data."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar, Union

import strawberry
from tortoise.exceptions import IntegrityError

from api.graphql.context import Context
from api.kit import errors as domain
from api.kit.db import unit_of_work
from api.kit.ratelimit import check_mutation

log = logging.getLogger("dachuan.graphql")
T = TypeVar("T")


@strawberry.interface(description="A failure the user can act on: a stable code and a Chinese message.")
class Error:
    code: str
    message: str


@strawberry.type(description="Input that breaks a rule; `field` names the input at fault.")
class ValidationError(Error):
    field: str | None = None


@strawberry.type(description="The caller may not do this (role, region, or someone else's data).")
class NotAllowedError(Error):
    pass


@strawberry.type(description="The thing asked for does not exist or is not visible to the caller.")
class NotFoundError(Error):
    pass


@strawberry.type(description="The request clashes with the current state (order of steps, duplicates).")
class ConflictError(Error):
    field: str | None = None


@strawberry.type(description="Sign-in failed or the session has ended.")
class AuthError(Error):
    pass


@strawberry.type(description="Too many attempts; try again after `retryAfter` seconds.")
class RateLimitedError(Error):
    retry_after: int


ERROR_TYPES = (ValidationError, NotAllowedError, NotFoundError, ConflictError, AuthError, RateLimitedError)


def to_error(e: domain.DomainError):
    """Maps a domain failure to its GraphQL type."""
    if isinstance(e, domain.RateLimitedError):
        return RateLimitedError(code=e.code, message=e.message, retry_after=e.retry_after)
    if isinstance(e, domain.ValidationError):
        return ValidationError(code=e.code, message=e.message, field=e.field)
    if isinstance(e, domain.NotAllowedError):
        return NotAllowedError(code=e.code, message=e.message)
    if isinstance(e, domain.NotFoundError):
        return NotFoundError(code=e.code, message=e.message)
    if isinstance(e, domain.AuthError):
        return AuthError(code=e.code, message=e.message)
    return ConflictError(code=e.code, message=e.message, field=e.field)


def payload(name: str, success: type) -> object:
    """Returns the union `success | every error type`, named `name`."""
    return Annotated[Union[success, *ERROR_TYPES], strawberry.union(name)]  # noqa: UP007


def require_signed_in(ctx: Context, *, allow_password_change: bool = False) -> None:
    """Refuses anonymous callers and staff who must still change their initial password."""
    if ctx.actor.kind == "anonymous":
        raise domain.AuthError("请先登录", code="unauthenticated")
    if ctx.actor.needs_password_change and not allow_password_change:
        raise domain.NotAllowedError("首次登录请先修改初始密码", code="password_change_required")


async def run_mutation(ctx: Context, work: Callable[[], Awaitable[T]], *, signed_in: bool = True,
                       allow_password_change: bool = False) -> T | Error:
    """Runs one mutation in one transaction; domain failures roll back and come back as typed errors."""
    failure: domain.DomainError | None = None
    try:
        if signed_in:
            require_signed_in(ctx, allow_password_change=allow_password_change)
            await check_mutation(ctx.actor)
        async with unit_of_work():
            try:
                return await work()
            except domain.DomainError as e:
                if not e.commit:
                    raise
                failure = e  # work done before this failure (an attempt counter) must still commit
    except domain.DomainError as e:
        return to_error(e)
    except IntegrityError:
        log.warning("integrity error in mutation (request %s)", ctx.request_id, exc_info=True)
        return ConflictError(code="conflict", message="数据已被他人修改或重复提交，请刷新后重试")
    assert failure is not None
    return to_error(failure)


MAX_ID = 2**31 - 1  # primary keys are 32-bit serials; a larger number would fail in the database, not match


def parse_id(value: object) -> int:
    """Returns an integer id, or raises not-found for anything else."""
    try:
        number = int(str(value))
    except ValueError:
        raise domain.NotFoundError("编号无效", code="id_invalid") from None
    if not 0 < number <= MAX_ID:
        raise domain.NotFoundError("编号无效", code="id_invalid")
    return number
