from __future__ import annotations

import datetime

import strawberry

from api.materials.models import Material as MaterialModel


@strawberry.type(description="An uploaded document; download it from `url` with the same bearer token.")
class Material:
    id: strawberry.ID
    kind: str
    content_type: str
    size: int
    width: int | None
    height: int | None
    created_at: datetime.datetime
    url: str

    @classmethod
    def from_model(cls, m: MaterialModel) -> Material:
        return cls(id=strawberry.ID(str(m.id)), kind=m.kind, content_type=m.content_type, size=m.size,
                   width=m.width, height=m.height, created_at=m.created_at, url=f"/api/materials/{m.id}")
