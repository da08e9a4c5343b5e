"""The callback the province calls with its decisions (signed; idempotent; replays refused)."""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from tortoise.exceptions import IntegrityError

from api.kit import clock
from api.kit.db import unit_of_work
from api.kit.errors import DomainError
from api.province import contract, repository, service
from api.settings import get_settings

log = logging.getLogger("dachuan.province")
router = APIRouter()
# Nonces older than twice the timestamp window can never be replayed (the timestamp is refused first), so
# forgetting them once in a while is enough.
NONCE_PRUNE_SECONDS = 60.0
_last_prune = float("-inf")  # when this process last forgot old nonces (time.monotonic())


def _refuse(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def _signed(request: Request) -> tuple[bytes, str] | JSONResponse:
    """The request's body and nonce when the province signed it, or the refusal to answer with."""
    body = await request.body()
    checked = contract.check(request.headers, "POST", request.url.path, body, get_settings().province_callback_keys)
    if isinstance(checked, contract.SignatureProblem):
        log.warning("refused provincial callback to %s: %s", request.url.path, checked.code)
        return _refuse(401, checked.code, checked.message)
    return body, checked[1]


async def _remember(nonce: str) -> None:
    """Records the request's nonce in the current transaction (IntegrityError when it was seen before), and now
    and then forgets the ones too old to be replayed."""
    global _last_prune
    now = clock.now()
    await repository.remember_nonce(nonce, now)
    if time.monotonic() - _last_prune > NONCE_PRUNE_SECONDS:
        _last_prune = time.monotonic()
        await repository.forget_nonces_before(now - timedelta(seconds=2 * contract.MAX_SKEW_SECONDS))


@router.post(contract.CALLBACK_PATH)
async def callback(request: Request) -> JSONResponse:
    """Records a provincial decision; a forged, stale, replayed or unknown callback changes nothing."""
    signed = await _signed(request)
    if isinstance(signed, JSONResponse):
        return signed
    body, nonce = signed
    try:
        decision = json.loads(body)
        if not isinstance(decision, dict):
            raise ValueError
    except ValueError:
        return _refuse(400, "bad_body", "body is not a JSON object")
    try:
        async with unit_of_work():
            await _remember(nonce)
            changed = await service.record_decision(decision)
    except IntegrityError:
        log.warning("refused replayed provincial callback (nonce %s)", nonce)
        return _refuse(401, "replayed_nonce", "nonce already used")
    except DomainError as e:
        log.warning("refused provincial callback for %s: %s", decision.get("request_id"), e.code)
        return _refuse(404 if e.code == "unknown_request" else 409, e.code, e.message)
    return JSONResponse({"ok": True, "changed": changed})


@router.post(contract.CALLBACKS_PATH)
async def callbacks(request: Request) -> JSONResponse:
    """Records several provincial decisions sent together; each is answered apart (see the contract), and a
    forged, stale or replayed request changes nothing."""
    signed = await _signed(request)
    if isinstance(signed, JSONResponse):
        return signed
    body, nonce = signed
    try:
        decisions = json.loads(body).get("decisions")
    except (ValueError, AttributeError):
        decisions = None
    if not isinstance(decisions, list) or not 1 <= len(decisions) <= contract.MAX_BATCH:
        return _refuse(400, "bad_body", f"body is not {{\"decisions\": [1 to {contract.MAX_BATCH} decisions]}}")
    try:
        async with unit_of_work():
            await _remember(nonce)
            outcomes = await service.record_decisions(decisions)
    except IntegrityError:
        log.warning("refused replayed provincial callbacks (nonce %s)", nonce)
        return _refuse(401, "replayed_nonce", "nonce already used")
    except DomainError as e:  # each decision's own refusal is in its result; this one is about the whole request
        log.warning("refused provincial callbacks: %s", e.code)
        return _refuse(409, e.code, e.message)
    results = []
    for decision, outcome in zip(decisions, outcomes, strict=True):
        request_id = str(decision.get("request_id") or "") if isinstance(decision, dict) else ""
        if isinstance(outcome, DomainError):
            log.warning("refused provincial decision for %s: %s", request_id, outcome.code)
            results.append({"request_id": request_id, "error": {"code": outcome.code, "message": outcome.message}})
        else:
            results.append({"request_id": request_id, "ok": True, "changed": outcome})
    return JSONResponse({"results": results})
