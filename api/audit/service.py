"""The access audit log: each whole ID or bank number shown, each material downloaded, each sign-in and sign-out.

Reads are noted while a response is built and written before it leaves (see `api.kit.requests`), in their
own short transaction: a failed sign-in is logged even though the mutation that reported it rolled back."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from api.audit import repository
from api.audit.models import AccessLog
from api.kit import clock, requests
from api.kit.actors import Actor
from api.kit.db import unit_of_work
from api.kit.errors import NotAllowedError, ValidationError, echo_all

log = logging.getLogger("dachuan.audit")

ACTIONS = ("id_number_read", "bank_account_read", "material_download", "sign_in", "sign_out", "sign_in_failed")
ROLES_READING_AUDIT = frozenset({"supervisor", "admin"})
_background: set[asyncio.Task] = set()


@dataclass
class AuditFilter:
    actions: list[str] | None = None
    staff_id: int | None = None
    applicant_id: int | None = None
    request_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def note(actor: Actor, action: str, *, applicant_id: int | None = None, field: str | None = None,
         material_id: str | None = None, detail: str | None = None, name: str | None = None) -> None:
    """Records one access; written with the request's other entries before its response starts."""
    scope = requests.current()
    row = {"at": clock.now(), "action": action, "actor_kind": actor.kind, "actor_role": actor.role,
           "staff_id": actor.staff_id, "citizen_id": actor.citizen_id,
           "actor_name": (name if name is not None else actor.name or "")[:64], "applicant_id": applicant_id,
           "field": field, "material_id": material_id, "detail": (detail or None) and detail[:200],
           "request_id": scope.request_id if scope else "", "client": scope.client if scope else None}
    if scope is not None and scope.buffered:
        scope.pending.append(row)
        return
    # outside an HTTP request (a WebSocket operation, a worker): write on its own
    task = asyncio.get_running_loop().create_task(_write([row]))
    _background.add(task)
    task.add_done_callback(_background.discard)


async def flush(scope: requests.RequestScope) -> None:
    """Writes the entries a request noted (RequestContext calls this before the response starts)."""
    rows = [r for r in scope.pending if isinstance(r, dict) and r.get("action") in ACTIONS]
    if not rows:
        return
    scope.pending = [r for r in scope.pending if r not in rows]
    await _write(rows)


async def _write(rows: list[dict]) -> None:
    try:
        async with unit_of_work():
            await repository.add_many(rows)
    except Exception:
        # the audit write must not be lost silently: keep it in the log with everything it would have said
        log.exception("audit entries not written: %s", rows)
        raise


async def drain() -> None:
    """Waits for entries written outside a request (tests and shutdown)."""
    while _background:
        await asyncio.gather(*list(_background), return_exceptions=True)


async def page(actor: Actor, f: AuditFilter, *, first: int, before_id: int | None) -> list[AccessLog]:
    """Returns audit entries newest first (one more than `first`, to tell if another page follows)."""
    if actor.role not in ROLES_READING_AUDIT:
        raise NotAllowedError("只有督查人员和系统管理员可以查看访问日志", code="audit_not_allowed")
    if not 1 <= first <= 100:
        raise ValidationError("每页条数应为1到100", code="page_size_invalid", field="first")
    unknown = [a for a in f.actions or [] if a not in ACTIONS]
    if unknown:
        raise ValidationError(f"操作类型无效：{echo_all(unknown)}", code="action_invalid", field="actions")
    if f.since is not None and f.until is not None and f.since >= f.until:
        raise ValidationError("开始时间应早于结束时间", code="range_invalid", field="since")
    return await repository.page(actions=f.actions, staff_id=f.staff_id, applicant_id=f.applicant_id,
                                 request_id=f.request_id, since=f.since, until=f.until, before_id=before_id,
                                 limit=first + 1)
