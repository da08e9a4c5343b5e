from __future__ import annotations

import strawberry

from api.graphql.payloads import require_signed_in
from api.province import service
from api.province.types import ProvinceSync


@strawberry.type
class ProvinceQueries:
    @strawberry.field(description="Provincial sync records, newest first (supervisors).")
    async def province_syncs(self, info: strawberry.Info, states: list[str] | None = None, first: int = 50,
                             offset: int = 0) -> list[ProvinceSync]:
        require_signed_in(info.context)
        rows = await service.listing(info.context.actor, states=states, first=min(max(first, 1), 100),
                                     offset=max(offset, 0))
        return [ProvinceSync.from_model(m) for m in rows]
