"""The request in progress: its id, the client's address, and work to finish before the answer leaves."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

access_log = logging.getLogger("dachuan.access")

# A request id a proxy sent is kept only if it is short and plain: it ends up in logs and in the audit log.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


@dataclass
class RequestScope:
    """What one HTTP request carries through every layer without being passed by hand."""

    request_id: str
    client: str | None = None
    # audit entries (and the like) noted while answering; written before the response starts
    pending: list[Any] = field(default_factory=list)
    operation: str | None = None
    user_agent: str | None = None
    # an HTTP answer is held until what it noted is written; a WebSocket lives for hours, so it writes at once
    buffered: bool = True


_scope: ContextVar[RequestScope | None] = ContextVar("request_scope", default=None)


def new_request_id(offered: str | None = None) -> str:
    """Returns the id a proxy offered if it is safe, else a fresh one."""
    if offered and _SAFE_ID.match(offered):
        return offered
    return uuid.uuid4().hex[:16]


def current() -> RequestScope | None:
    """Returns the scope of the request being answered, or None outside one."""
    return _scope.get()


def current_request_id() -> str | None:
    """Returns the id of the request being answered."""
    scope = _scope.get()
    return scope.request_id if scope else None


def current_client() -> str | None:
    """Returns the address of the client being answered."""
    scope = _scope.get()
    return scope.client if scope else None


def current_user_agent() -> str | None:
    """Returns the User-Agent of the request being answered."""
    scope = _scope.get()
    return scope.user_agent if scope else None


def client_address(scope: dict) -> str | None:
    """Returns the client's address behind our reverse proxy: the last X-Forwarded-For hop, the one the proxy
    added for the peer it saw (a client may send the header itself; whatever it wrote stands before that and is
    not believed), else the peer."""
    hops: list[str] = []
    for name, value in scope.get("headers") or []:
        if name == b"x-forwarded-for":  # several header lines count as one list, in order
            hops += [hop.strip() for hop in value.decode("latin-1").split(",") if hop.strip()]
    if hops:
        return hops[-1][:64]
    peer = scope.get("client")
    return str(peer[0])[:64] if peer else None


class RequestContext:
    """Gives each request an id (echoed as X-Request-ID) and runs `finish` before its response starts."""

    def __init__(self, app, *, finish: Callable[[RequestScope], Awaitable[None]] | None = None,
                 trust_forwarded: bool = False) -> None:
        self.app = app
        self.finish = finish
        self.trust_forwarded = trust_forwarded

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        offered = headers.get(b"x-request-id")
        request = RequestScope(
            buffered=scope["type"] == "http",
            request_id=new_request_id(offered.decode("latin-1") if offered else None),
            client=client_address(scope) if self.trust_forwarded else
            (str(scope["client"][0]) if scope.get("client") else None))
        agent = headers.get(b"user-agent")
        request.user_agent = agent.decode("latin-1")[:200] if agent else None
        token = _scope.set(request)
        finished = False
        started = time.perf_counter()
        status = 500

        async def finish() -> None:
            nonlocal finished
            if not finished and self.finish is not None:
                finished = True
                await self.finish(request)

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # what the answer promises (an audit entry for what it reveals) is written before it leaves
                await finish()
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-request-id", request.request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id if scope["type"] == "http" else send)
        finally:
            try:
                await finish()
            finally:
                if scope["type"] == "http":
                    self._done(scope, request, status, time.perf_counter() - started)
                _scope.reset(token)

    @staticmethod
    def _done(scope, request: RequestScope, status: int, seconds: float) -> None:
        from api.kit.metrics import observe_http

        path = scope.get("path", "")
        observe_http(path, status, seconds)
        access_log.info("%s %s %s %.1fms", scope.get("method"), path, status, seconds * 1000, extra={
            "request_id": request.request_id, "method": scope.get("method"), "path": path, "status": status,
            "duration_ms": round(seconds * 1000, 1), "client": request.client, "operation": request.operation})


def run_in_scope(request_id: str | None = None) -> Any:
    """Sets a scope for work outside HTTP (a WebSocket operation, a test); returns the reset token."""
    return _scope.set(RequestScope(request_id=new_request_id(request_id)))


def reset_scope(token: Any) -> None:
    """Ends a scope set by `run_in_scope`."""
    _scope.reset(token)
