from __future__ import annotations

import strawberry

from api.accounts import service
from api.accounts.types import StaffAccount, StaffSession, Viewer
from api.applicants import service as applicants
from api.applicants.types import Applicant
from api.graphql.payloads import parse_id, require_signed_in
from api.kit.actors import ROLE_LABELS
from api.settings import get_settings


@strawberry.type
class AccountQueries:
    @strawberry.field(description="Who is signed in (kind 'anonymous' when nobody is).")
    async def me(self, info: strawberry.Info) -> Viewer:
        a = info.context.actor
        profile = await applicants.own_profile(a) if a.is_applicant else None
        return Viewer(kind=a.kind, role=a.role, role_label=ROLE_LABELS.get(a.role, ""), name=a.name,
                      region_code=a.region_code, must_change_password=a.needs_password_change,
                      applicant=Applicant.from_model(profile) if profile else None)

    @strawberry.field(description="Staff accounts inside the administrator's region.")
    async def staff_accounts(self, info: strawberry.Info, role: str | None = None, first: int = 50,
                             offset: int = 0) -> list[StaffAccount]:
        require_signed_in(info.context)
        rows = await service.list_staff(info.context.actor, role=role, first=min(max(first, 1), 100),
                                        offset=max(offset, 0))
        return [StaffAccount.from_model(m) for m in rows]

    @strawberry.field(description="A staff member's live sessions, most recently used first (admin).")
    async def staff_sessions(self, info: strawberry.Info, staff_id: strawberry.ID) -> list[StaffSession]:
        require_signed_in(info.context)
        rows = await service.staff_sessions(info.context.actor, parse_id(staff_id))
        return [StaffSession.from_model(m, get_settings().staff_idle_minutes) for m in rows]
