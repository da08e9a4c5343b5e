from __future__ import annotations

import base64
import datetime
from enum import Enum

import strawberry

from api.audit.models import AccessLog
from api.kit.actors import ROLE_LABELS


@strawberry.enum(description="What an audit entry records.")
class AccessAction(Enum):
    ID_NUMBER_READ = "id_number_read"
    BANK_ACCOUNT_READ = "bank_account_read"
    MATERIAL_DOWNLOAD = "material_download"
    SIGN_IN = "sign_in"
    SIGN_OUT = "sign_out"
    SIGN_IN_FAILED = "sign_in_failed"


@strawberry.type(description="One access to personal data, or one sign-in, sign-out or failed sign-in.")
class AccessLogEntry:
    id: strawberry.ID
    at: datetime.datetime
    action: AccessAction
    actor_kind: str = strawberry.field(description="staff | applicant | anonymous")
    actor_role: str
    actor_role_label: str
    staff_id: strawberry.ID | None
    actor_name: str = strawberry.field(description="The staff member's name, or the username tried.")
    applicant_id: strawberry.ID | None = strawberry.field(description="The person whose data was read.")
    field: str | None = strawberry.field(description="Which field was read whole (applicant.idNumber …).")
    material_id: strawberry.ID | None = strawberry.field(description="Which file was downloaded.")
    request_id: str
    client: str | None = strawberry.field(description="The client's address.")
    detail: str | None

    @classmethod
    def from_model(cls, m: AccessLog) -> AccessLogEntry:
        def opt(v):
            return strawberry.ID(str(v)) if v is not None else None

        return cls(id=strawberry.ID(str(m.id)), at=m.at, action=AccessAction(m.action), actor_kind=m.actor_kind,
                   actor_role=m.actor_role, actor_role_label=ROLE_LABELS.get(m.actor_role, ""),
                   staff_id=opt(m.staff_id), actor_name=m.actor_name, applicant_id=opt(m.applicant_id),
                   field=m.field, material_id=opt(m.material_id), request_id=m.request_id, client=m.client,
                   detail=m.detail)


@strawberry.input(description="Narrows the access log; every condition given must hold.")
class AccessLogFilterInput:
    actions: list[AccessAction] | None = None
    staff_id: strawberry.ID | None = None
    applicant_id: strawberry.ID | None = None
    request_id: str | None = None
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None


@strawberry.type
class AccessLogEdge:
    cursor: str
    node: AccessLogEntry


@strawberry.type
class AccessLogPageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="A page of the access log, newest first.")
class AccessLogConnection:
    edges: list[AccessLogEdge]
    page_info: AccessLogPageInfo


def encode_cursor(entry_id: int) -> str:
    return base64.urlsafe_b64encode(f"audit:{entry_id}".encode()).decode()


def decode_cursor(cursor: str) -> int | None:
    try:
        kind, value = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        entry_id = int(value)
    except (ValueError, UnicodeDecodeError):
        return None
    return entry_id if kind == "audit" and 0 < entry_id <= 2**63 - 1 else None



