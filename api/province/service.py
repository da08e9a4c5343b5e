"""The 高龄津贴 round trip: push on acceptance, record the decision once (callback or reconcile)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from api.kit import clock
from api.kit.actors import PROVINCE, SYSTEM, Actor
from api.kit.db import unit_of_work
from api.kit.errors import ConflictError, DomainError, NotAllowedError, NotFoundError, ValidationError, echo_all
from api.outbox import service as outbox
from api.outbox.models import OutboxMessage
from api.outbox.service import PermanentFailure
from api.province import contract, repository
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
        "bank": bank, "callback_url": s.public_base_url.rstrip("/") + contract.CALLBACK_PATH,
        "batch_callback_url": s.public_base_url.rstrip("/") + contract.CALLBACKS_PATH,
    }


async def deliver_pushes(messages: list[OutboxMessage]) -> dict[int, BaseException | None]:
    """Outbox handler for a claimed batch: pushes the applications in one request, then records the pushes and
    moves the cases to provincial review in one transaction. Answers each message's outcome by its id: None when
    delivered, or the failure (a refusal of one application fails that one alone; the province not answering
    fails them all, raised)."""
    from api.cases import service as cases

    outcomes: dict[int, BaseException | None] = {}
    found = {case.id: case for case in await repository.cases_with_applicants(
        [m.payload["case_id"] for m in messages])}
    batch: list[tuple[OutboxMessage, dict]] = []
    for m in messages:
        case = found.get(m.payload["case_id"])
        if case is None:
            outcomes[m.id] = PermanentFailure(f"case {m.payload['case_id']} no longer exists")
        else:
            batch.append((m, _application(case, m.payload["request_id"])))
    if not batch:
        return outcomes
    results = await get_client().push_batch([application for _, application in batch])
    sent: dict[str, tuple[OutboxMessage, str]] = {}  # request id → (message, provincial reference)
    for (m, application), result in zip(batch, results, strict=True):
        request_id = application["request_id"]
        error = result.get("error") if isinstance(result, dict) else None
        reference = str(result.get("reference") or "") if isinstance(result, dict) else ""
        if not isinstance(result, dict) or result.get("request_id") != request_id:
            outcomes[m.id] = RuntimeError(f"province answered {request_id} out of order")
        elif error is not None:
            outcomes[m.id] = PermanentFailure(f"province refused: {error}"[:2000])
        elif not reference:
            outcomes[m.id] = RuntimeError("province answered without a reference")
        else:
            sent[request_id] = (m, reference)
    if not sent:
        return outcomes
    async with unit_of_work():
        now = clock.now()
        # the syncs' rows first, then the cases': the order a callback takes them in too
        syncs = [sync for sync in await repository.by_request_ids_for_update(list(sent))
                 if sync.state in ("pending", "failing", "dead")]
        for sync in syncs:
            sync.state, sync.reference, sync.pushed_at, sync.last_error = "sent", sent[sync.request_id][1], now, None
        await repository.save_many(syncs, ("state", "reference", "pushed_at", "last_error"))
        references = {m.payload["case_id"]: reference for m, reference in sent.values()}
        steps = [(SYSTEM, case, "province_sent", {"reference": references[case.id]})
                 for case in await cases.repository.by_ids_for_update(list(references)) if case.status == "accepted"]
        for (_, case, _, _), answer in zip(steps, await cases.act_many(steps), strict=True):
            if isinstance(answer, DomainError):  # cannot happen for an accepted case; the decision still will
                log.warning("province_sent refused for case %s: %s", case.id, answer.code)
    for m, _ in sent.values():
        outcomes[m.id] = None
    return outcomes


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
    outcome = (await record_decisions([decision]))[0]
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


async def record_decisions(decisions: list) -> list[bool | DomainError]:
    """Records several decisions of the province, each once, in the caller's transaction; answers for each
    whether it changed anything (False: already recorded) or why it was refused (unknown request id, an
    invalid status, a reference that is not the one the push got). A refused decision changes nothing; the
    others are recorded all the same."""
    from api.cases import service as cases

    outcomes: list[bool | DomainError | None] = [None] * len(decisions)
    wanted: list[tuple[int, dict, str]] = []
    for i, decision in enumerate(decisions):
        if not isinstance(decision, dict) or decision.get("status") not in ("approved", "rejected"):
            outcomes[i] = ConflictError("决定状态无效", code="decision_invalid")
        else:
            wanted.append((i, decision, str(decision.get("request_id") or "")))
    syncs = {sync.request_id: sync for sync in await repository.by_request_ids_for_update(
        sorted({request_id for _, _, request_id in wanted}))} if wanted else {}
    planned: list[tuple[int, dict, ProvinceSync]] = []
    taken: set[str] = set()
    for i, decision, request_id in wanted:
        sync = syncs.get(request_id)
        if sync is None:
            outcomes[i] = NotFoundError("未知的省级申请编号", code="unknown_request")
        elif sync.state == "decided" or request_id in taken:  # recorded before, or earlier in this batch
            outcomes[i] = False
        elif sync.reference and decision.get("reference") and decision["reference"] != sync.reference:
            outcomes[i] = ConflictError("省级受理编号不一致", code="reference_mismatch")
        else:
            taken.add(request_id)
            planned.append((i, decision, sync))
    if not planned:
        return outcomes  # type: ignore[return-value]
    locked = {case.id: case for case in await cases.repository.by_ids_for_update(
        [sync.case_id for _, _, sync in planned])}  # held for the steps below
    steps: list[tuple] = []
    owners: list[int] = []
    for i, decision, sync in planned:
        case = locked[sync.case_id]
        if case.status == "accepted":
            # the decision overtook our own record of the push: record the push first, so seq stays in order
            steps.append((SYSTEM, case, "province_sent", {"reference": decision.get("reference")}))
            owners.append(i)
        if case.status in ("accepted", "province_review"):
            steps.append((PROVINCE, case, "province_decide", {
                "approved": decision["status"] == "approved", "amount": decision.get("monthly_amount"),
                "start_month": decision.get("first_month"), "reason": decision.get("reason") or "省级审核不通过",
                "reference": decision.get("reference")}))
            owners.append(i)
        else:
            log.warning("decision for %s arrived while the case is %s; recorded without a transition",
                        sync.request_id, case.status)
    for i, answer in zip(owners, await cases.act_many(steps), strict=True):
        if isinstance(answer, DomainError):
            outcomes[i] = answer
    now = clock.now()
    decided: list[ProvinceSync] = []
    for i, decision, sync in planned:
        if outcomes[i] is None:
            sync.state, sync.decided_at, sync.decision = "decided", now, decision
            sync.reference = sync.reference or decision.get("reference")
            sync.pushed_at = sync.pushed_at or now
            decided.append(sync)
            outcomes[i] = True
    await repository.save_many(decided, ("state", "decided_at", "decision", "reference", "pushed_at"))
    return outcomes  # type: ignore[return-value]


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
    outbox.register_batch(PUSH_TOPIC, deliver_pushes)
    outbox.on_failure(PUSH_TOPIC, note_push_failure)
