from __future__ import annotations

import strawberry

from api.regions.models import Region as RegionModel


@strawberry.type(description="A node of the district → township → village tree.")
class Region:
    code: str
    name: str
    level: str
    parent_code: str | None
    sample: bool

    @strawberry.field(description="The direct children of this node.")
    async def children(self) -> list[Region]:
        from api.regions import service

        return [Region.from_model(r) for r in await service.children(self.code)]

    @classmethod
    def from_model(cls, r: RegionModel) -> Region:
        return cls(code=r.code, name=r.name, level=r.level, parent_code=r.parent_id, sample=r.sample)
