from __future__ import annotations

import strawberry

from api.audit import service
from api.audit.types import (
    AccessLogConnection,
    AccessLogEdge,
    AccessLogEntry,
    AccessLogFilterInput,
    AccessLogPageInfo,
    decode_cursor,
    encode_cursor,
)
from api.graphql.payloads import parse_id, require_signed_in
from api.kit.errors import ValidationError


@strawberry.type
class AuditQueries:
    @strawberry.field(description="The access audit log, newest first (supervisors and administrators).")
    async def access_log(self, info: strawberry.Info, filter: AccessLogFilterInput | None = None, first: int = 50,
                         after: str | None = None) -> AccessLogConnection:
        require_signed_in(info.context)
        before_id = None
        if after:
            before_id = decode_cursor(after)
            if before_id is None:
                raise ValidationError("分页游标无效", code="cursor_invalid", field="after")
        f = filter or AccessLogFilterInput()
        rows = await service.page(info.context.actor, service.AuditFilter(
            actions=[a.value for a in f.actions] if f.actions else None,
            staff_id=parse_id(f.staff_id) if f.staff_id is not None else None,
            applicant_id=parse_id(f.applicant_id) if f.applicant_id is not None else None,
            request_id=f.request_id, since=f.since, until=f.until), first=first, before_id=before_id)
        edges = [AccessLogEdge(cursor=encode_cursor(m.id), node=AccessLogEntry.from_model(m)) for m in rows[:first]]
        return AccessLogConnection(edges=edges, page_info=AccessLogPageInfo(
            has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None))
