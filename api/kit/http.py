"""HTTP-level guards shared by every endpoint."""

from __future__ import annotations

import json
import re


class BodySizeLimit:
    """Refuses request bodies over a limit with 413, whether or not Content-Length was sent."""

    def __init__(self, app, *, default_limit: int, limits: dict[str, int] | None = None) -> None:
        self.app = app
        self.default_limit = default_limit
        self.limits = limits or {}

    def _limit(self, path: str) -> int:
        for prefix, limit in self.limits.items():
            if path.startswith(prefix):
                return limit
        return self.default_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self._limit(scope.get("path", ""))
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _too_large(send, limit, scope.get("path", ""))
        seen = 0
        started = False

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge()
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _too_large(send, limit, scope.get("path", ""))


class _TooLarge(Exception):
    pass


async def _too_large(send, limit: int, path: str) -> None:
    error = ({"code": "file_too_large", "message": f"文件过大，单个文件不能超过{limit // 1048576}MB", "field": "file"}
             if path.startswith("/api/materials") else
             {"code": "body_too_large", "message": f"提交的内容过大（上限{limit // 1048576 or 1}MB）"})
    body = json.dumps({"error": error}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class NoBatching:
    """Refuses a JSON array of operations at the GraphQL endpoint with a clear error: one operation a request."""

    def __init__(self, app, *, path: str = "/graphql") -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path") != self.path:
            return await self.app(scope, receive, send)
        # the body is small here: BodySizeLimit, outside this guard, has already capped it
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if body.lstrip()[:1] == b"[":
            error = {"message": "不支持批量请求：每次请求只能包含一个操作", "extensions": {"code": "batching_not_allowed"}}
            payload = json.dumps({"data": None, "errors": [error]}, ensure_ascii=False).encode()
            await send({"type": "http.response.start", "status": 400,
                        "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                    (b"content-length", str(len(payload)).encode())]})
            await send({"type": "http.response.body", "body": payload})
            return
        delivered = False

        async def replay():
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


# The PWA under this policy: scripts and workers only from its own origin (no inline script in the build), styles
# from its own files plus the inline boot style and Vue's style bindings, photos previewed from blob: URLs, the
# signature pad's data: images, live progress over ws(s) to the same host.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "font-src 'self' data:; connect-src 'self' {ws}; worker-src 'self'; manifest-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
PERMISSIONS = "camera=(self), microphone=(), geolocation=(self), payment=(), usb=(), interest-cohort=()"
HSTS = "max-age=31536000; includeSubDomains"
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:]+\](:\d{1,5})?$")


class SecurityHeaders:
    """Adds a Content-Security-Policy and the usual hardening headers to every answer; HSTS only over TLS."""

    def __init__(self, app, *, trust_forwarded_proto: bool = False, exempt: tuple[str, ...] = ()) -> None:
        self.app = app
        self.trust_forwarded_proto = trust_forwarded_proto
        self.exempt = exempt  # paths whose page brings its own scripts (GraphiQL in development)

    def _tls(self, scope) -> bool:
        if scope.get("scheme") in ("https", "wss"):
            return True
        if self.trust_forwarded_proto:
            for name, value in scope.get("headers") or []:
                if name == b"x-forwarded-proto":
                    return value.split(b",")[0].strip().lower() == b"https"
        return False

    def _policy(self, scope, tls: bool) -> bytes:
        host = next((v.decode("latin-1") for k, v in scope.get("headers") or [] if k == b"host"), "")
        ws = f"{'wss' if tls else 'ws'}://{host}" if _HOST.match(host) else ""
        return CSP.format(ws=ws).replace(" ;", ";").encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        tls = self._tls(scope)
        exempt = scope.get("method") == "GET" and scope.get("path") in self.exempt

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer"),
                         (b"x-frame-options", b"DENY"), (b"permissions-policy", PERMISSIONS.encode()),
                         (b"cross-origin-opener-policy", b"same-origin")]
                if not exempt:
                    extra.append((b"content-security-policy", self._policy(scope, tls)))
                if tls:
                    extra.append((b"strict-transport-security", HSTS.encode()))
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
