"""The review report as an XLSX download, beside GraphQL: `GET /api/analytics/review-report.xlsx?from=…&to=…`.

Bearer token only (never a cookie), like the material endpoints, so a link cannot be abused across sites.
"""

from __future__ import annotations

import asyncio
from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from api.analytics import service
from api.analytics.xlsx import review_report_xlsx
from api.kit.actors import Actor
from api.kit.errors import ValidationError
from api.kit.routes import DomainErrorRoute, caller

router = APIRouter(route_class=DomainErrorRoute)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _date(value: str | None, name: str) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise ValidationError(f"请按“2026-01-31”的格式填写{'开始' if name == 'from' else '结束'}日期",
                              code="date_invalid", field=name) from None


@router.get("/api/analytics/review-report.xlsx")
async def review_report(request: Request, actor: Actor = Depends(caller)) -> Response:
    """Returns the 回头看 report of a date range as an XLSX file (analysts, supervisors, administrators)."""
    start, end = _date(request.query_params.get("from"), "from"), _date(request.query_params.get("to"), "to")
    report = await service.review_report(actor, start=start, end=end, comments_per_township=5000)
    body = await asyncio.to_thread(review_report_xlsx, report)
    filename = f"回头看报告_{start}_{end}.xlsx"
    return Response(body, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"review-report-{start}-{end}.xlsx\"; "
                               f"filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store",
    })
