"""The contract between the district and the provincial elderly-allowance system (DOMAIN.md).

No public specification of the provincial system exists, so this module *is* the contract; the
simulator in `province_sim/` and the district's client and callback endpoint both use it.

Transport: JSON over HTTPS. Every request (both directions) carries four headers:

    X-App-Key:    the caller's app key
    X-Timestamp:  unix seconds when it was signed
    X-Nonce:      16–64 random URL-safe characters, never reused
    X-Signature:  hex HMAC-SHA256(secret, METHOD \\n PATH \\n TIMESTAMP \\n NONCE \\n hex SHA-256(body))

A receiver refuses (401, `{"error": {"code": ..., "message": ...}}`) an unknown app key, a bad
signature, a timestamp more than 300 seconds off, or a nonce it has already seen.

Province endpoints (paths relative to PROVINCE_URL):

    POST /api/v1/allowance/applications       push one application (body: Application)
         → 200 {"reference": str, "request_id": str, "status": "pending"|"approved"|"rejected"}
         The request_id is the idempotency key: sending it again returns the same reference.
    GET  /api/v1/allowance/applications/{request_id}   reconcile: current status (body: Status)
         → 200 Status, or 404 {"error": {"code": "unknown_request"}}

District endpoint (the province calls it back):

    POST /province/callback                    body: Decision → 200 {"ok": true}
         Idempotent: a decision already recorded (same request_id) answers 200 and changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

APPLICATIONS_PATH = "/api/v1/allowance/applications"
CALLBACK_PATH = "/province/callback"
MAX_SKEW_SECONDS = 300
NONCE_RE = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")

# Body shapes (JSON objects), for reference:
# Application = {"request_id", "county_code", "case_number", "applied_on": "YYYY-MM-DD",
#                "applicant": {"name", "id_number", "birth_date", "address"},
#                "bank": {"bank_name", "account"} | null, "callback_url"}
# Status      = {"reference", "request_id", "status": "pending"|"approved"|"rejected", "reason",
#                "monthly_amount": "100.00" | null, "first_month": "YYYY-MM" | null, "decided_at" | null}
# Decision    = Status with "status" in ("approved", "rejected") plus "callback_id" (unique per send)


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def signature(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    """Returns the hex HMAC-SHA256 of the canonical request."""
    canonical = "\n".join([method.upper(), path, timestamp, nonce, body_digest(body)])
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def sign(app_key: str, secret: str, method: str, path: str, body: bytes, *, now: float | None = None,
         nonce: str | None = None) -> dict[str, str]:
    """Returns the four signing headers for a request."""
    ts = str(int(now if now is not None else time.time()))
    nonce = nonce or secrets.token_urlsafe(18)
    return {"X-App-Key": app_key, "X-Timestamp": ts, "X-Nonce": nonce,
            "X-Signature": signature(secret, method, path, ts, nonce, body)}


@dataclass(frozen=True)
class SignatureProblem:
    code: str
    message: str


def check(headers: Any, method: str, path: str, body: bytes, secrets_by_key: dict[str, str],
          *, now: float | None = None) -> tuple[str, str] | SignatureProblem:
    """Verifies the headers of a signed request; returns (app_key, nonce) or the problem.

    The nonce is returned so the caller can record it (and refuse it next time) in its own store."""
    app_key = headers.get("x-app-key") or ""
    ts = headers.get("x-timestamp") or ""
    nonce = headers.get("x-nonce") or ""
    sig = headers.get("x-signature") or ""
    secret = secrets_by_key.get(app_key)
    if secret is None:
        return SignatureProblem("unknown_app_key", "unknown app key")
    if not ts.isdigit():
        return SignatureProblem("bad_timestamp", "missing or malformed timestamp")
    if abs((now if now is not None else time.time()) - int(ts)) > MAX_SKEW_SECONDS:
        return SignatureProblem("stale_timestamp", "timestamp outside the allowed window")
    if not NONCE_RE.match(nonce):
        return SignatureProblem("bad_nonce", "missing or malformed nonce")
    expected = signature(secret, method, path, ts, nonce, body)
    # compare bytes: compare_digest raises TypeError on a str with non-ASCII characters (a forged header)
    if not hmac.compare_digest(expected.encode(), sig.encode("utf-8", "replace")):
        return SignatureProblem("bad_signature", "signature does not match")
    return app_key, nonce
