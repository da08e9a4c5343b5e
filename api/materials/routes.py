"""HTTP endpoints for material upload and download (multipart in, bytes out), beside GraphQL.

A dedicated endpoint rather than the GraphQL multipart spec: phones upload one photo per request with a
plain form post that a service worker can queue and retry, and no CSRF exposure arises because the
endpoint accepts only a bearer token (never a cookie)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile

from api.audit import service as audit
from api.graphql.payloads import MAX_ID
from api.kit.actors import Actor
from api.kit.db import unit_of_work
from api.kit.errors import ValidationError
from api.kit.routes import DomainErrorRoute, caller
from api.materials import service
from api.settings import get_settings

router = APIRouter(route_class=DomainErrorRoute)


@router.post("/api/materials")
async def upload(request: Request, actor: Actor = Depends(caller)) -> Response:
    """Stores one document: form fields `file`, `kind`, and `caseId` or `applicantId` (staff)."""
    limit = get_settings().max_upload_bytes
    declared = int(request.headers.get("content-length") or 0)
    if declared > limit + 64 * 1024:
        raise ValidationError(f"文件过大，单个文件不能超过{limit // 1048576}MB", code="file_too_large", field="file")
    form = await request.form(max_files=1, max_fields=10)
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise ValidationError("请选择要上传的文件", code="file_empty", field="file")
    data = await file.read(limit + 1)
    case_id = _opt_int(form.get("caseId"), "caseId")
    applicant_id = _opt_int(form.get("applicantId"), "applicantId")
    async with unit_of_work():
        m = await service.upload(actor, data=data, kind=str(form.get("kind") or ""),
                                 filename=file.filename or "", case_id=case_id, applicant_id=applicant_id)
    return JSONResponse({"id": str(m.id), "kind": m.kind, "contentType": m.content_type, "size": m.size,
                         "width": m.width, "height": m.height, "url": f"/api/materials/{m.id}"}, status_code=201)


def _opt_int(value, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        raise ValidationError("编号无效", code="id_invalid", field=field) from None
    if not 0 < number <= MAX_ID:
        raise ValidationError("编号无效", code="id_invalid", field=field)
    return number


@router.get("/api/materials/{material_id}")
async def download(material_id: str, request: Request, link: str | None = None) -> Response:
    """Returns a document to its applicant or to staff whose region covers it: with the bearer token, or through
    a short-lived link made for the caller (`Material.downloadUrl`)."""
    actor = await (service.actor_for_link(material_id, link) if link else caller(request))
    m = await service.get_for(actor, material_id)
    data = await service.read(m)
    audit.note(actor, "material_download", applicant_id=m.applicant_id, material_id=str(m.id), field=m.kind)
    return Response(data, media_type=m.content_type, headers={
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'inline; filename="{m.id}"'})
