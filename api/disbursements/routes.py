"""The XLSX download of a payment batch (bearer token, finance only)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from api.disbursements import service
from api.graphql.payloads import parse_id
from api.kit.actors import Actor
from api.kit.db import unit_of_work
from api.kit.routes import DomainErrorRoute, caller

router = APIRouter(route_class=DomainErrorRoute)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/api/disbursements/batches/{batch_id}.xlsx")
async def export(batch_id: str, actor: Actor = Depends(caller)) -> Response:
    """Returns a batch as an XLSX file."""
    async with unit_of_work():
        name, data = await service.export_xlsx(actor, parse_id(batch_id))
    return Response(data, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "Cache-Control": "private, no-store"})
