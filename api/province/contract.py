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

    POST /api/v1/allowance/applications/batch  push 1 to 100 applications at once (body: ApplicationBatch)
         → 200 {"results": [PushResult, ...]}, one per application, in the order sent, where a PushResult is
         either what the single push answers ({"reference", "request_id", "status"}) or
         {"request_id", "error": {"code", "message"}} for an application refused as the single push would
         refuse it alone (400/409/422: invalid, or a request id already used for another case); the others still
         count. Each application is the same as if pushed alone (idempotent on its request id). The request as a
         whole is refused like a single push (401 bad signature, 400/422 bad shape, more than 100 applications,
         or a request id twice in one batch; 503/time-outs while the province is down or failing).

District endpoints (the province calls them back):

    POST /province/callback                    body: Decision → 200 {"ok": true}
         Idempotent: a decision already recorded (same request_id) answers 200 and changes nothing.
    POST /province/callbacks                   body: DecisionBatch (1 to 100 decisions)
         → 200 {"results": [{"request_id", "ok": true, "changed": bool} | {"request_id", "error": {"code",
         "message"}}, ...]}, one per decision, in the order sent. A decision with an error is not acknowledged
         (as a refused single callback: the province sends it again later); the others are. The request as a
         whole is refused (401/400) like a single callback.
         The province sends decisions this way only for applications that named a `batch_callback_url`, and
         batches only decisions naming the same one; it may still use the single `callback_url` for any of them.
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
APPLICATIONS_BATCH_PATH = "/api/v1/allowance/applications/batch"
CALLBACK_PATH = "/province/callback"
CALLBACKS_PATH = "/province/callbacks"
MAX_BATCH = 100
MAX_SKEW_SECONDS = 300
NONCE_RE = re.compile(r"^[A-Za-z0-9_\-]{16,64}$")

# Body shapes (JSON objects), for reference:
# Application = {"request_id", "county_code", "case_number", "applied_on": "YYYY-MM-DD",
#                "applicant": {"name", "id_number", "birth_date", "address"},
#                "bank": {"bank_name", "account"} | null, "callback_url"}
# Status      = {"reference", "request_id", "status": "pending"|"approved"|"rejected", "reason",
#                "monthly_amount": "100.00" | null, "first_month": "YYYY-MM" | null, "decided_at" | null}
# Decision    = Status with "status" in ("approved", "rejected") plus "callback_id" (unique per send)
# Application may also carry "batch_callback_url" (optional): where batched decisions may go (see above).
# ApplicationBatch = {"applications": [Application, ...]}   (1 to MAX_BATCH, request ids distinct)
# DecisionBatch    = {"decisions": [Decision, ...]}         (1 to MAX_BATCH)


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
