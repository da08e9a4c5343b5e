"""What the HTTP endpoints beside GraphQL share: the caller behind a bearer token (never a cookie), and expected
failures answered as JSON with a stable code, a Chinese message and the status that fits."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

from api.kit.actors import Actor
from api.kit.errors import AuthError, DomainError, NotAllowedError, RateLimitedError

STATUS = {"validation": 400, "auth": 401, "not_allowed": 403, "not_found": 404, "conflict": 409,
          "rate_limited": 429}
# codes whose status says more than their kind's
STATUS_OF_CODE = {"file_too_large": 413}


def error_response(e: DomainError) -> JSONResponse:
    """Returns an expected failure as `{"error": {code, message, field}}` with its status (and Retry-After)."""
    status = STATUS_OF_CODE.get(e.code) or STATUS.get(e.kind, 400)
    headers = {"Retry-After": str(e.retry_after)} if isinstance(e, RateLimitedError) else None
    return JSONResponse({"error": {"code": e.code, "message": e.message, "field": e.field}}, status_code=status,
                        headers=headers)


async def caller(request: Request) -> Actor:
    """Returns the signed-in caller of the request's bearer token (a FastAPI dependency); refuses anyone else."""
    # imported here: the kit sits below the domains and the GraphQL layer
    from api.accounts import service as accounts
    from api.graphql.context import bearer_token

    actor = await accounts.resolve_session(bearer_token(request.headers))
    if actor is None:
        raise AuthError("请先登录", code="unauthenticated")
    if actor.needs_password_change:
        raise NotAllowedError("首次登录请先修改初始密码", code="password_change_required")
    return actor


class DomainErrorRoute(APIRoute):
    """A route whose expected failures, in its dependencies as in its body, answer as `error_response`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except DomainError as e:
                return error_response(e)

        return answer
