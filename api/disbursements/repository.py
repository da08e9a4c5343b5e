"""Every query of the disbursements domain."""

from __future__ import annotations

from api.cases.models import Case
from api.disbursements.models import PaymentBatch, PaymentLine


async def payable_cases(month: str) -> list[Case]:
    """Approved or paying cases whose payment starts by `month` and that have no line for it yet."""
    from tortoise.expressions import Subquery

    already = Subquery(PaymentLine.filter(month=month).values("case_id"))
    return await (Case.filter(status__in=["approved", "paying"], start_month__lte=month, amount__not_isnull=True)
                  .exclude(id__in=already).select_related("item").order_by("id"))


async def has_lines(month: str) -> bool:
    """Whether any case has a payment line for the month."""
    return await PaymentLine.filter(month=month).exists()


async def paid_once(case_ids: list[int]) -> set[int]:
    return set(await PaymentLine.filter(case_id__in=case_ids, status="paid").values_list("case_id", flat=True))


async def add_batch(**values) -> PaymentBatch:
    return await PaymentBatch.create(**values)


async def add_lines(rows: list[dict]) -> None:
    await PaymentLine.bulk_create([PaymentLine(**r) for r in rows])


async def batch(batch_id: int) -> PaymentBatch | None:
    return await PaymentBatch.get_or_none(id=batch_id)


async def batches(limit: int) -> list[PaymentBatch]:
    return await PaymentBatch.all().order_by("-id").limit(limit)


async def lines_of(batch_id: int) -> list[PaymentLine]:
    return await PaymentLine.filter(batch_id=batch_id).select_related("case", "case__applicant").order_by("id")


async def line(line_id: int, *, for_update: bool = False) -> PaymentLine | None:
    qs = PaymentLine.filter(id=line_id)
    if for_update:
        qs = qs.select_for_update()
    return await qs.first()


async def save(obj, fields: list[str]) -> None:
    await obj.save(update_fields=fields)
