from __future__ import annotations

import strawberry

from api.applicants import service
from api.applicants.types import Applicant
from api.graphql.payloads import parse_id, require_signed_in


@strawberry.type
class ApplicantQueries:
    @strawberry.field(description="Applicants in the staff member's region, by name or whole ID number.")
    async def applicants(self, info: strawberry.Info, query: str | None = None, first: int = 20,
                         offset: int = 0) -> list[Applicant]:
        require_signed_in(info.context)
        rows = await service.search(info.context.actor, query=query, first=min(max(first, 1), 100),
                                    offset=max(offset, 0))
        return [Applicant.from_model(a) for a in rows]

    @strawberry.field
    async def applicant(self, info: strawberry.Info, id: strawberry.ID) -> Applicant:
        require_signed_in(info.context)
        return Applicant.from_model(await service.get_for(info.context.actor, parse_id(id)))
