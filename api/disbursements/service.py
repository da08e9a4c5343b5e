"""Monthly payment batches: build from approved cases, export, mark each line paid or failed."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from decimal import Decimal

from tortoise.exceptions import IntegrityError

from api.cases import service as cases
from api.disbursements import repository
from api.disbursements.models import PaymentBatch, PaymentLine
from api.kit import clock
from api.kit.actors import Actor
from api.kit.errors import ConflictError, NotAllowedError, NotFoundError, ValidationError

MONTH = re.compile(r"^(20\d{2})-(0[1-9]|1[0-2])$")
ROLES_READING = frozenset({"finance", "supervisor", "approver"})


def _need_finance(actor: Actor) -> None:
    if actor.role != "finance":
        raise NotAllowedError("只有资金发放岗可以办理", code="role_not_allowed")


@dataclass
class BatchSummary:
    batch: PaymentBatch
    lines: int
    total: Decimal


async def build(actor: Actor, month: str) -> BatchSummary:
    """Builds the batch of `month`: one line per approved case due a payment that month (once for one-off aid)."""
    _need_finance(actor)
    month = (month or "").strip()
    if not MONTH.match(month):
        raise ValidationError("请按“2026-12”的格式填写发放月份", code="month_invalid", field="month")
    candidates = await repository.payable_cases(month)
    once_done = await repository.paid_once([c.id for c in candidates if c.item.payment == "once"])
    due = [c for c in candidates if c.item.payment in ("monthly", "once") and c.id not in once_done
           and actor.covers(c.region_id)]
    if not due:
        if await repository.has_lines(month):
            raise ConflictError(f"{month} 需要发放的申请都已纳入发放批次，没有新的可发放", code="nothing_to_pay")
        raise ConflictError(f"{month} 没有需要发放的审批通过的申请", code="nothing_to_pay")
    batch = await repository.add_batch(month=month, created_by_id=actor.staff_id, created_at=clock.now())
    try:
        await repository.add_lines([{"batch_id": batch.id, "case_id": c.id, "month": month, "amount": c.amount}
                                    for c in due])
    except IntegrityError:  # one payment per case and month: another build of this month (a double tap) wrote first
        raise ConflictError(f"{month} 的发放批次刚刚已经生成，请勿重复提交；请刷新查看",
                            code="batch_just_built") from None
    for c in due:
        if c.status == "approved":
            await cases.act(actor, c.id, "pay_start", {"comment": f"纳入 {month} 发放批次"})
    return BatchSummary(batch, len(due), sum((c.amount for c in due), Decimal(0)))


async def mark(actor: Actor, line_id: int, *, paid: bool, reason: str = "") -> PaymentLine:
    """Marks one line paid or failed; the step appears on the applicant's timeline. A paid line stays paid."""
    _need_finance(actor)
    line = await repository.line(line_id, for_update=True)
    if line is None:
        raise NotFoundError("发放明细不存在", code="line_not_found", field="lineId")
    if line.status == "paid":
        raise ConflictError("该笔已发放，不能再更改", code="line_already_paid")
    reason = (reason or "").strip()
    await cases.act(actor, line.case_id, "pay_record", {"result": "paid" if paid else "failed", "amount": line.amount,
                                                        "month": line.month, "reason": reason})
    line.status = "paid" if paid else "failed"
    line.failure_reason = None if paid else reason[:200]
    line.paid_at = clock.now() if paid else None
    await repository.save(line, ["status", "failure_reason", "paid_at"])
    case = await cases.repository.by_id(line.case_id)
    from api.aid_items import service as aid_items

    item = await aid_items.get_by_id(case.item_id)
    if paid and item.payment == "once" and case.status == "paying":
        await cases.act(actor, case.id, "close", {"comment": "一次性救助金已发放，办结"})
    return line


async def batches(actor: Actor, *, first: int = 24) -> list[PaymentBatch]:
    """Returns recent batches."""
    if actor.role not in ROLES_READING:
        raise NotAllowedError("无权查看发放批次", code="role_not_allowed")
    return await repository.batches(first)


async def lines(actor: Actor, batch_id: int) -> list[PaymentLine]:
    """Returns the lines of a batch."""
    if actor.role not in ROLES_READING:
        raise NotAllowedError("无权查看发放批次", code="role_not_allowed")
    if await repository.batch(batch_id) is None:
        raise NotFoundError("发放批次不存在", code="batch_not_found", field="batchId")
    return await repository.lines_of(batch_id)


async def export_xlsx(actor: Actor, batch_id: int) -> tuple[str, bytes]:
    """Returns the batch as an XLSX file (bank accounts masked) and records the export."""
    _need_finance(actor)
    from openpyxl import Workbook

    batch = await repository.batch(batch_id)
    if batch is None:
        raise NotFoundError("发放批次不存在", code="batch_not_found", field="batchId")
    rows = await repository.lines_of(batch_id)
    wb = Workbook()
    ws = wb.active
    ws.title = f"{batch.month}发放"
    ws.append(["序号", "申请编号", "姓名", "开户银行", "银行账号（脱敏）", "发放月份", "金额（元）", "状态"])
    labels = {"pending": "待发放", "paid": "已发放", "failed": "发放失败"}
    for i, line in enumerate(rows, start=1):
        a = line.case.applicant
        ws.append([i, line.case.number, a.name, a.bank_name or "", a.bank_masked or "", line.month, float(line.amount),
                   labels[line.status]])
    total_row = len(rows) + 2
    ws.append(["合计", "", "", "", "", "", f"=SUM(G2:G{total_row - 1})", f"{len(rows)}笔"])
    for col, width in zip("ABCDEFGH", (6, 16, 10, 14, 24, 10, 12, 10), strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    batch.exported_at = clock.now()
    await repository.save(batch, ["exported_at"])
    return f"payment-batch-{batch.month}-{batch.id}.xlsx", buf.getvalue()
