"""The 高龄津贴 round trip: push on acceptance, record the decision once (callback or reconcile)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from api.kit import clock
from api.kit.actors import PROVINCE, SYSTEM, Actor
from api.kit.db import unit_of_work
from api.kit.errors import ConflictError, NotAllowedError, NotFoundError, ValidationError, echo_all
from api.outbox import service as outbox
from api.outbox.models import OutboxMessage
from api.province import repository
from api.province.client import ProvinceClient
from api.province.models import ProvinceSync
from api.settings import get_settings

if TYPE_CHECKING:
    from api.cases.models import Case

log = logging.getLogger("dachuan.province")
PUSH_TOPIC = "province.push"
SYNC_STATES = ("pending", "sent", "decided", "failing", "dead")
_client: ProvinceClient | None = None


def configure_client(client: ProvinceClient | None) -> None:
    """Sets the client the workers use (tests inject one with their own transport)."""
    global _client
    _client = client


def get_client() -> ProvinceClient:
    global _client
    if _client is None:
        s = get_settings()
        _client = ProvinceClient(s.province_url, s.province_app_key, s.province_secret,
                                 timeout=s.province_timeout_seconds)
    return _client


def request_id_for(case_number: str) -> str:
    return f"{case_number}-GL"


async def request_push(case_id: int, case_number: str) -> None:
    """Records that a case must reach the province and enqueues the push, in the caller's transaction. A case
    accepted again (after a return for supplement) keeps its sync and its one message: both are written
    only when new (an insert that ignores the conflict, not a read and then a write)."""
    request_id = request_id_for(case_number)
    await repository.add_once(case_id=case_id, request_id=request_id, state="pending", created_at=clock.now())
    await outbox.enqueue(PUSH_TOPIC, request_id, {"case_id": case_id, "request_id": request_id})


def _application(case: Case, request_id: str) -> dict:
    """Returns the Application body of the contract for a case read with its applicant."""
    from api.applicants import service as applicants

    applicant = case.applicant
    s = get_settings()
    bank = None
    if applicant.bank_account_enc:
        bank = {"bank_name": applicant.bank_name, "account": applicants.full_bank_account(applicant)}
    return {
        "request_id": request_id, "county_code": s.county_code, "case_number": case.number,
        "applied_on": case.submitted_at.astimezone(clock.SHANGHAI).date().isoformat(),
        "applicant": {"name": applicant.name, "id_number": applicants.full_id_number(applicant),
                      "birth_date": applicant.birth_date.isoformat(), "address": applicant.address},
        "bank": bank, "callback_url": s.public_base_url.rstrip("/") + "/province/callback",
    }


async def deliver_push(message: OutboxMessage) -> None:
    """Outbox handler: pushes one application and moves the case to provincial review."""
    from api.cases import service as cases

    request_id = message.payload["request_id"]
    case_id = message.payload["case_id"]
    pushed = await repository.case_with_applicant(case_id)
    answer = await get_client().push(_application(pushed, request_id))
    reference = str(answer.get("reference") or "")
    if not reference:
        raise RuntimeError("province answered without a reference")
    async with unit_of_work():
        # the sync's row first, then the case's: the order a callback takes them in too
        await repository.mark_sent(request_id, reference, clock.now())
        case = await cases.repository.by_id(case_id, for_update=True)
        if case.status == "accepted":
            await cases.act(SYSTEM, case_id, "province_sent", {"reference": reference}, locked=case)


async def note_push_failure(message: OutboxMessage, error: str) -> None:
    """Shows a failed push to supervisors: failing while it will be retried, dead when it will not."""
    async with unit_of_work():
        sync = await repository.by_request_id(message.payload["request_id"], for_update=True)
        if sync is None or sync.state in ("sent", "decided"):
            return
        sync.attempts = message.attempts
        sync.last_error = error[:2000]
        sync.state = "dead" if message.status == "dead" else "failing"
        await repository.save(sync, ["attempts", "last_error", "state"])


async def record_decision(decision: dict) -> bool:
    """Records the province's decision once (from a callback or a reconcile); False when already recorded."""
    from api.cases import service as cases

    request_id = str(decision.get("request_id") or "")
    status = decision.get("status")
    if status not in ("approved", "rejected"):
        raise ConflictError("决定状态无效", code="decision_invalid")
    sync = await repository.by_request_id(request_id, for_update=True)
    if sync is None:
        raise NotFoundError("未知的省级申请编号", code="unknown_request")
    if sync.state == "decided":
        return False
    if sync.reference and decision.get("reference") and decision["reference"] != sync.reference:
        raise ConflictError("省级受理编号不一致", code="reference_mismatch")
    case = await cases.repository.by_id(sync.case_id, for_update=True)  # held for the steps below
    now = clock.now()
    if case.status == "accepted":
        # the decision overtook our own record of the push: record the push first, so seq stays in order
        case, _ = await cases.act(SYSTEM, case.id, "province_sent", {"reference": decision.get("reference")},
                                  locked=case)
    if case.status == "province_review":
        await cases.act(PROVINCE, case.id, "province_decide", {
            "approved": status == "approved", "amount": decision.get("monthly_amount"),
            "start_month": decision.get("first_month"), "reason": decision.get("reason") or "省级审核不通过",
            "reference": decision.get("reference")}, locked=case)
    else:
        log.warning("decision for %s arrived while the case is %s; recorded without a transition", request_id,
                    case.status)
    sync.state, sync.decided_at, sync.decision = "decided", now, decision
    sync.reference = sync.reference or decision.get("reference")
    sync.pushed_at = sync.pushed_at or now
    await repository.save(sync, ["state", "decided_at", "decision", "reference", "pushed_at"])
    return True


async def reconcile_once(*, limit: int = 50) -> int:
    """Asks the province about syncs pending too long; records any decision found; returns how many it asked."""
    s = get_settings()
    now = clock.now()
    due = await repository.due_for_reconcile(now - timedelta(seconds=s.reconcile_after_seconds),
                                             now - timedelta(seconds=s.reconcile_interval_seconds), limit)
    asked = 0
    for sync in due:
        try:
            status = await get_client().status(sync.request_id)
        except Exception as e:  # the province being down only delays reconciliation
            log.info("reconcile of %s failed: %s", sync.request_id, e)
            status = None
        asked += 1
        async with unit_of_work():
            if status and status.get("status") in ("approved", "rejected"):
                await record_decision(status)
            else:
                fresh = await repository.by_request_id(sync.request_id, for_update=True)
                fresh.last_checked_at = clock.now()
                await repository.save(fresh, ["last_checked_at"])
    return asked


async def retry(actor: Actor, case_id: int) -> ProvinceSync:
    """Sends a dead sync again (supervisor)."""
    if actor.role != "supervisor":
        raise NotAllowedError("只有督查股可以重新推送", code="role_not_allowed")
    # locked: a second tap waits, then finds the sync no longer dead (it would otherwise set a sync the worker
    # had just sent back to pending)
    sync = await repository.by_case_for_update(case_id)
    if sync is None:
        raise NotFoundError("该申请没有省级同步记录", code="sync_not_found")
    if sync.state != "dead":
        raise ConflictError("只有推送失败（已停止重试）的记录可以重新推送", code="sync_not_dead")
    await outbox.retry(sync.request_id)
    sync.state, sync.attempts, sync.last_error = "pending", 0, None
    await repository.save(sync, ["state", "attempts", "last_error"])
    return await repository.by_case(case_id)  # read again with its case number, as every sync the API shows


async def listing(actor: Actor, *, states: list[str] | None, first: int, offset: int) -> list[ProvinceSync]:
    """Returns sync records for supervisors."""
    if actor.role != "supervisor":
        raise NotAllowedError("只有督查股可以查看省级同步状态", code="role_not_allowed")
    unknown = sorted(set(states or []) - set(SYNC_STATES))
    if unknown:
        raise ValidationError(f"未知的同步状态：{echo_all(unknown)}", code="state_invalid", field="states")
    return await repository.listing(states, first, offset)


async def of_case(case_id: int) -> ProvinceSync | None:
    return await repository.by_case(case_id)


def register_handlers() -> None:
    """Tells the outbox how to deliver this domain's messages."""
    outbox.register(PUSH_TOPIC, deliver_push)
    outbox.on_failure(PUSH_TOPIC, note_push_failure)
