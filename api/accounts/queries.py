from __future__ import annotations

import strawberry

from api.accounts import service
from api.accounts.types import StaffAccount, Viewer
from api.applicants import service as applicants
from api.applicants.types import Applicant
from api.graphql.payloads import require_signed_in
from api.kit.actors import ROLE_LABELS


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
