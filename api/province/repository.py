"""Every query of the province domain."""

from __future__ import annotations

from datetime import datetime

from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet

from api.cases.models import Case
from api.kit import db
from api.province.models import ProvinceSync, SeenNonce


async def add_once(**values) -> None:
    """Adds a sync unless the case (or the request id) has one: one statement, the unique keys decide."""
    await db.add_once(ProvinceSync(**values))


async def by_request_id(request_id: str, *, for_update: bool = False) -> ProvinceSync | None:
    qs = ProvinceSync.filter(request_id=request_id)
    if for_update:
        qs = qs.select_for_update()
    return await qs.first()


async def cases_with_applicants(case_ids: list[int]) -> list[Case]:
    """Returns the cases with their applicants (one query), for a push."""
    return await Case.filter(id__in=case_ids).select_related("applicant")


async def by_request_ids_for_update(request_ids: list[str]) -> list[ProvinceSync]:
    """The syncs, each locked until the transaction ends, taken in id order (two batches wait for each other
    instead of deadlocking; a sync is always locked before its case)."""
    return await ProvinceSync.filter(request_id__in=request_ids).select_for_update().order_by("id")


async def save_many(syncs: list[ProvinceSync], fields: tuple[str, ...]) -> None:
    await db.save_many(syncs, fields)


def _with_case_number(qs: QuerySet[ProvinceSync]) -> QuerySet[ProvinceSync]:
    """Adds `case_number` to each sync read, from a join with its case (the board shows it; no query per row)."""
    return qs.annotate(case_number=F("case__number"))


async def by_case(case_id: int) -> ProvinceSync | None:
    return await _with_case_number(ProvinceSync.filter(case_id=case_id)).first()


async def by_case_for_update(case_id: int) -> ProvinceSync | None:
    """The case's sync, locked until the transaction ends (without the case number: a lock does not join)."""
    return await ProvinceSync.filter(case_id=case_id).select_for_update().first()


async def by_cases(case_ids: list[int]) -> list[ProvinceSync]:
    return await _with_case_number(ProvinceSync.filter(case_id__in=case_ids))


async def save(sync: ProvinceSync, fields: list[str]) -> None:
    await sync.save(update_fields=fields)


async def due_for_reconcile(pushed_before: datetime, checked_before: datetime, limit: int) -> list[ProvinceSync]:
    return await (ProvinceSync.filter(state__in=["sent", "failing"], reference__not_isnull=True,
                                      pushed_at__lte=pushed_before)
                  .filter(Q(last_checked_at=None) | Q(last_checked_at__lte=checked_before))
                  .order_by("last_checked_at", "id").limit(limit))


async def listing(states: list[str] | None, limit: int, offset: int) -> list[ProvinceSync]:
    qs = _with_case_number(ProvinceSync.all())
    if states:
        qs = qs.filter(state__in=states)
    return await qs.order_by("-id").offset(offset).limit(limit)


async def remember_nonce(nonce: str, at: datetime) -> None:
    """Records a nonce; raises IntegrityError when it was seen before (the key refuses it, even from a
    concurrent callback)."""
    await SeenNonce.create(nonce=nonce, seen_at=at)


async def forget_nonces_before(at: datetime) -> int:
    return await SeenNonce.filter(seen_at__lt=at).delete()
