"""The XLSX download of a payment batch (bearer token, finance only)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from api.disbursements import service
from api.graphql.context import bearer_token
from api.kit.db import unit_of_work
from api.kit.errors import AuthError, DomainError, NotAllowedError

router = APIRouter()
STATUS = {"validation": 400, "not_allowed": 403, "not_found": 404, "conflict": 409, "auth": 401}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/api/disbursements/batches/{batch_id}.xlsx")
async def export(batch_id: int, request: Request) -> Response:
    """Returns a batch as an XLSX file."""
    from api.accounts import service as accounts

    try:
        actor = await accounts.resolve_session(bearer_token(request.headers))
        if actor is None:
            raise AuthError("请先登录", code="unauthenticated")
        if actor.needs_password_change:
            raise NotAllowedError("首次登录请先修改初始密码", code="password_change_required")
        async with unit_of_work():
            name, data = await service.export_xlsx(actor, batch_id)
    except DomainError as e:
        return JSONResponse({"error": {"code": e.code, "message": e.message}}, status_code=STATUS.get(e.kind, 400))
    return Response(data, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "Cache-Control": "private, no-store"})
