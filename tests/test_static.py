"""The API serves the built PWA at `/` with cache headers that never serve a stale shell."""

import httpx
import pytest

from api.app import create_app
from api.settings import get_settings


@pytest.fixture
async def web(db, tmp_path):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>达川救助</title>", encoding="utf-8")
    (dist / "assets" / "index-3f2a1b.js").write_text("console.log(1)")
    (dist / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    (dist / "manifest.webmanifest").write_text('{"name": "达川救助"}', encoding="utf-8")
    (tmp_path / "secret.txt").write_text("outside the web root")
    app = create_app(get_settings().model_copy(update={"pwa_dist": dist}), manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


async def test_the_app_shell_is_served_at_the_root_and_always_revalidated(web):
    r = await web.get("/")
    assert r.status_code == 200
    assert "达川救助" in r.text
    assert r.headers["cache-control"] == "no-cache"


async def test_hashed_assets_are_cached_for_a_year(web):
    r = await web.get("/assets/index-3f2a1b.js")
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("path", ["/sw.js", "/manifest.webmanifest"])
async def test_the_service_worker_and_manifest_are_never_cached_stale(web, path):
    r = await web.get(path)
    assert (r.status_code, r.headers["cache-control"]) == (200, "no-cache")


async def test_the_manifest_has_its_media_type(web):
    assert (await web.get("/manifest.webmanifest")).headers["content-type"].startswith("application/manifest+json")


async def test_a_client_side_route_gets_the_app_shell(web):
    r = await web.get("/cases/12")
    assert (r.status_code, r.headers["cache-control"]) == (200, "no-cache")
    assert "达川救助" in r.text


async def test_a_missing_asset_is_404_not_the_shell(web):
    assert (await web.get("/assets/gone-000000.js")).status_code == 404


async def test_files_outside_the_build_are_not_served(web):
    r = await web.get("/..%2Fsecret.txt")
    assert "outside the web root" not in r.text


async def test_unknown_api_paths_are_404_json_not_the_shell(web):
    r = await web.get("/api/nothing-here")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


async def test_graphql_still_answers(web):
    r = await web.post("/graphql", json={"query": "{ me { kind } }"})
    assert r.json()["data"]["me"]["kind"] == "anonymous"


async def test_a_precompressed_copy_is_served_to_a_browser_that_takes_it(db, tmp_path):
    import gzip

    dist = tmp_path / "dist2"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html>", encoding="utf-8")
    js = "console.log('达川救助');" * 200
    (dist / "assets" / "app-1a2b3c.js").write_text(js, encoding="utf-8")
    (dist / "assets" / "app-1a2b3c.js.gz").write_bytes(gzip.compress(js.encode()))
    app = create_app(get_settings().model_copy(update={"pwa_dist": dist}), manage_database=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        zipped = await c.get("/assets/app-1a2b3c.js", headers={"Accept-Encoding": "gzip"})
        plain = await c.get("/assets/app-1a2b3c.js", headers={"Accept-Encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.text == js  # httpx decodes it: the bytes on the wire were the .gz copy
    assert int(zipped.headers["content-length"]) < len(js.encode())
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-type"].startswith("text/javascript")
