"""The district's signed client for the provincial system."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import httpx

from api.outbox.service import PermanentFailure
from api.province import contract


class ProvinceUnavailable(Exception):
    """The province did not answer usefully (down, slow, erroring); the attempt will be retried."""


class ProvinceClient:
    """Pushes applications and asks for their status, signing every request."""

    def __init__(self, base_url: str, app_key: str, secret: str, *, timeout: float = 10.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_key = app_key
        self.secret = secret
        # an idle connection is let go after 2 s, before a server's keep-alive ends it (uvicorn: 5 s, as httpx's
        # default): a push sent on a connection the province is closing at that moment would fail and wait a retry
        self._http = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=min(3.0, timeout)),
                                       limits=httpx.Limits(keepalive_expiry=2.0), transport=transport)

    async def close(self) -> None:
        await self._http.aclose()

    async def _request(self, method: str, path: str, body: dict | None) -> httpx.Response:
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode() if body is not None else b""
        url = self.base_url + path
        headers = contract.sign(self.app_key, self.secret, method, urlsplit(url).path, raw)
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            return await self._http.request(method, url, content=raw, headers=headers)
        except httpx.HTTPError as e:
            raise ProvinceUnavailable(f"{type(e).__name__}: {e}") from e

    async def push(self, application: dict) -> dict:
        """Sends one application; returns the province's answer (reference, status)."""
        r = await self._request("POST", contract.APPLICATIONS_PATH, application)
        if r.status_code == 200:
            return r.json()
        _raise_for(r)
        raise AssertionError("unreachable")

    async def push_batch(self, applications: list[dict]) -> list[dict]:
        """Sends several applications in one request; returns one result per application, in order: the
        province's answer, or {"request_id", "error": {...}} for one it refused."""
        r = await self._request("POST", contract.APPLICATIONS_BATCH_PATH, {"applications": applications})
        if r.status_code == 200:
            results = r.json().get("results")
            if not isinstance(results, list) or len(results) != len(applications):
                raise ProvinceUnavailable(f"province answered {len(applications)} applications with "
                                          f"{len(results) if isinstance(results, list) else 'no'} results")
            return results
        _raise_for(r)
        raise AssertionError("unreachable")

    async def status(self, request_id: str) -> dict | None:
        """Returns the province's view of a request, or None when it has never heard of it."""
        r = await self._request("GET", f"{contract.APPLICATIONS_PATH}/{request_id}", None)
        if r.status_code == 200:
            return r.json()
        if r.status_code == 404:
            return None
        _raise_for(r)
        raise AssertionError("unreachable")


def _raise_for(r: httpx.Response) -> None:
    text = r.text[:500]
    # 400/404/409/422: the province refuses the message itself; sending it again cannot help
    if r.status_code in (400, 404, 409, 422):
        raise PermanentFailure(f"province refused ({r.status_code}): {text}")
    raise ProvinceUnavailable(f"province answered {r.status_code}: {text}")
