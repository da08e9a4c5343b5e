"""Every query of the audit domain."""

from __future__ import annotations

from datetime import datetime

from api.audit.models import AccessLog
from api.kit.lookups import fits


async def add_many(rows: list[dict]) -> None:
    await AccessLog.bulk_create([AccessLog(**row) for row in rows])


async def page(*, actions: list[str] | None, staff_id: int | None, applicant_id: int | None,
               request_id: str | None, since: datetime | None, until: datetime | None, before_id: int | None,
               limit: int) -> list[AccessLog]:
    if not fits(request_id, AccessLog, "request_id"):
        return []
    qs = AccessLog.all()
    if actions:
        qs = qs.filter(action__in=actions)
    if staff_id is not None:
        qs = qs.filter(staff_id=staff_id)
    if applicant_id is not None:
        qs = qs.filter(applicant_id=applicant_id)
    if request_id:
        qs = qs.filter(request_id=request_id)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    if before_id is not None:
        qs = qs.filter(id__lt=before_id)
    return await qs.order_by("-id").limit(limit)
