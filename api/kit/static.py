"""Serves the built PWA at `/`: the app shell never cached stale, hashed assets cached for a year."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response

# paths the API owns; everything else falls back to the PWA's index.html (client-side routes)
API_PREFIXES = ("/graphql", "/api/", "/province", "/healthz")
NO_CACHE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"


def cache_control(path: str) -> str:
    """Returns the Cache-Control for a file of the built app."""
    if path.startswith("assets/"):
        return IMMUTABLE  # Vite names these by content hash
    return NO_CACHE  # index.html, the service worker, the manifest, icons: always revalidated


def mount_pwa(app: FastAPI, dist: Path) -> None:
    """Serves `dist` (when built) at `/`, with a fallback to index.html for client-side routes."""
    root = dist.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    async def pwa(path: str, request: Request) -> Response:
        if ("/" + path).startswith(API_PREFIXES):
            return JSONResponse({"error": {"code": "not_found", "message": "接口不存在"}}, status_code=404)
        index = root / "index.html"
        if not index.is_file():
            return JSONResponse({"error": {"code": "pwa_not_built",
                                           "message": "手机应用尚未构建：请运行 make run（或 make pwa）"}},
                                status_code=404)
        target = (root / path).resolve()
        if path and target.is_file() and root in target.parents:
            headers = {"Cache-Control": cache_control(path), "X-Content-Type-Options": "nosniff",
                       "Vary": "Accept-Encoding"}
            if target.name == "sw.js":
                headers["Service-Worker-Allowed"] = "/"
            media = _media_type(target)
            body = _precompressed(target, request.headers.get("accept-encoding", ""), headers)
            return FileResponse(body, headers=headers, media_type=media)
        if path.startswith("assets/"):
            return JSONResponse({"error": {"code": "not_found", "message": "文件不存在"}}, status_code=404)
        headers = {"Cache-Control": NO_CACHE, "X-Content-Type-Options": "nosniff", "Vary": "Accept-Encoding"}
        body = _precompressed(index, request.headers.get("accept-encoding", ""), headers)
        return FileResponse(body, headers=headers, media_type="text/html; charset=utf-8")


def _media_type(target: Path) -> str | None:
    if target.suffix == ".webmanifest":
        return "application/manifest+json"
    return mimetypes.guess_type(target.name)[0]


def _precompressed(target: Path, accept_encoding: str, headers: dict[str, str]) -> Path:
    """Returns the build's .br or .gz copy of a file when the client takes it (setting Content-Encoding)."""
    accepted = {part.split(";")[0].strip() for part in accept_encoding.lower().split(",")}
    for encoding, suffix in (("br", ".br"), ("gzip", ".gz")):
        candidate = target.with_name(target.name + suffix)
        if encoding in accepted and candidate.is_file():
            headers["Content-Encoding"] = encoding
            return candidate
    return target
