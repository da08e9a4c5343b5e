"""The review report as an XLSX download, beside GraphQL: `GET /api/analytics/review-report.xlsx?from=…&to=…`.

Bearer token only (never a cookie), like the material endpoints, so a link cannot be abused across sites.
"""

from __future__ import annotations

import asyncio
from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from api.analytics import service
from api.analytics.xlsx import review_report_xlsx
from api.graphql.context import bearer_token
from api.kit.errors import AuthError, DomainError, NotAllowedError, ValidationError

router = APIRouter()
STATUS = {"validation": 400, "not_allowed": 403, "not_found": 404, "conflict": 409, "auth": 401,
          "rate_limited": 429}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _error(e: DomainError) -> JSONResponse:
    return JSONResponse({"error": {"code": e.code, "message": e.message, "field": e.field}},
                        status_code=STATUS.get(e.kind, 400))


def _date(value: str | None, name: str) -> date:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        raise ValidationError(f"请按“2026-01-31”的格式填写{'开始' if name == 'from' else '结束'}日期",
                              code="date_invalid", field=name) from None


@router.get("/api/analytics/review-report.xlsx")
async def review_report(request: Request) -> Response:
    """Returns the 回头看 report of a date range as an XLSX file (analysts, supervisors, administrators)."""
    from api.accounts import service as accounts

    try:
        actor = await accounts.resolve_session(bearer_token(request.headers))
        if actor is None:
            raise AuthError("请先登录", code="unauthenticated")
        if actor.needs_password_change:
            raise NotAllowedError("首次登录请先修改初始密码", code="password_change_required")
        start, end = _date(request.query_params.get("from"), "from"), _date(request.query_params.get("to"), "to")
        report = await service.review_report(actor, start=start, end=end, comments_per_township=5000)
    except DomainError as e:
        return _error(e)
    body = await asyncio.to_thread(review_report_xlsx, report)
    filename = f"回头看报告_{start}_{end}.xlsx"
    return Response(body, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"review-report-{start}-{end}.xlsx\"; "
                               f"filename*=UTF-8''{quote(filename)}",
        "Cache-Control": "no-store",
    })
