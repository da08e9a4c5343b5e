"""Serves the built PWA at `/`: the app shell never cached stale, hashed assets cached for a year."""

from __future__ import annotations

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
            headers = {"Cache-Control": cache_control(path), "X-Content-Type-Options": "nosniff"}
            if target.name == "sw.js":
                headers["Service-Worker-Allowed"] = "/"
            media = "application/manifest+json" if target.suffix == ".webmanifest" else None
            return FileResponse(target, headers=headers, media_type=media)
        if path.startswith("assets/"):
            return JSONResponse({"error": {"code": "not_found", "message": "文件不存在"}}, status_code=404)
        return FileResponse(index, headers={"Cache-Control": NO_CACHE, "X-Content-Type-Options": "nosniff"})
