"""Security headers on every answer (a CSP the PWA works under, HSTS only over TLS) and CORS for configured origins."""

from __future__ import annotations

import re

from api.settings import ROOT

INDEX = "<!doctype html><html><head><style>body{margin:0}</style></head><body><div id=app></div></body></html>"


def _directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


async def test_the_app_shell_carries_a_policy_without_inline_scripts(make_client, tmp_path):
    (tmp_path / "index.html").write_text(INDEX)
    async with make_client(pwa_dist=tmp_path) as client:
        response = await client.get("/cases/12")

    csp = _directives(response.headers["content-security-policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["connect-src"] == ["'self'", "ws://test"]
    assert {"blob:", "data:"} <= set(csp["img-src"])
    assert csp["worker-src"] == ["'self'"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


async def test_api_answers_carry_the_headers_too(client, db):
    response = await client.post("/graphql", json={"query": "{ me { kind } }"})

    assert "content-security-policy" in response.headers
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_no_hsts_over_plain_http(client, db):
    response = await client.get("/healthz")

    assert "strict-transport-security" not in response.headers


async def test_hsts_over_tls_and_wss_in_the_policy(make_client):
    async with make_client() as client:
        response = await client.get("https://test/healthz")

    assert response.headers["strict-transport-security"].startswith("max-age=31536000")
    assert "wss://test" in response.headers["content-security-policy"]


async def test_forwarded_proto_counts_only_behind_a_trusted_proxy(make_client):
    https = {"X-Forwarded-Proto": "https"}
    async with make_client() as client:
        untrusted = await client.get("/healthz", headers=https)
    async with make_client(trust_forwarded_for=True) as client:
        trusted = await client.get("/healthz", headers=https)

    assert "strict-transport-security" not in untrusted.headers
    assert "strict-transport-security" in trusted.headers


async def test_a_forged_host_does_not_reach_the_policy(client, db):
    response = await client.get("/healthz", headers={"Host": "evil.example; script-src *"})

    assert "script-src *" not in response.headers["content-security-policy"]
    assert _directives(response.headers["content-security-policy"])["script-src"] == ["'self'"]


async def test_cors_allows_configured_origins_only(make_client):
    query = {"query": "{ me { kind } }"}
    async with make_client(cors_origins=["https://mz.dachuan.gov.cn"]) as client:
        allowed = await client.post("/graphql", json=query, headers={"Origin": "https://mz.dachuan.gov.cn"})
        other = await client.post("/graphql", json=query, headers={"Origin": "https://evil.example"})
        preflight_ok = await client.options("/graphql", headers={
            "Origin": "https://mz.dachuan.gov.cn", "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type"})
        preflight_bad = await client.options("/graphql", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})

    assert allowed.headers["access-control-allow-origin"] == "https://mz.dachuan.gov.cn"
    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-credentials" not in allowed.headers
    assert preflight_ok.status_code == 200
    assert "authorization" in preflight_ok.headers["access-control-allow-headers"].lower()
    assert preflight_bad.status_code == 400


async def test_no_origins_configured_means_no_cross_origin_access(client, db):
    response = await client.post("/graphql", json={"query": "{ me { kind } }"}, headers={"Origin": "https://a.example"})

    assert "access-control-allow-origin" not in response.headers


def test_the_built_pwa_needs_nothing_the_policy_forbids():
    dist = ROOT / "pwa" / "dist"
    html = (dist / "index.html").read_text()
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assets = "".join(p.read_text(errors="ignore") for p in (dist / "assets").glob("*.js"))
    styles = "".join(p.read_text(errors="ignore") for p in (dist / "assets").glob("*.css"))

    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)  # no inline script
    assert not re.search(r"\bon(click|load|error)=", html)
    assert not re.search(r"url\((['\"]?)https?://", styles)  # fonts and images come from the app itself
    assert "importScripts(\"http" not in (dist / "sw.js").read_text()
    assert "eval(" not in assets


def test_production_refuses_a_wildcard_cors_origin():
    import pytest
    from pydantic import ValidationError

    from api.settings import Settings
    from tests.trust.test_graphql_guard import PROD

    with pytest.raises(ValidationError, match="CORS_ORIGINS"):
        Settings(**PROD, cors_origins=["*"])
    assert Settings(**PROD, cors_origins=["https://mz.dachuan.gov.cn"]).cors_origins == ["https://mz.dachuan.gov.cn"]
