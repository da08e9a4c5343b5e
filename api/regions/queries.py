from __future__ import annotations

import strawberry

from api.regions import service
from api.regions.types import Region


@strawberry.type
class RegionQueries:
    @strawberry.field(description="The children of a region, or the roots when no code is given.")
    async def regions(self, parent_code: str | None = None) -> list[Region]:
        return [Region.from_model(r) for r in await service.children(parent_code)]

    @strawberry.field
    async def region(self, code: str) -> Region | None:
        r = await service.find(code)
        return Region.from_model(r) if r else None
