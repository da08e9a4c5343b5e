from __future__ import annotations

import datetime

import strawberry

from api.materials import service
from api.materials.models import Material as MaterialModel


@strawberry.type(description="An uploaded document; download it from `url` with the same bearer token.")
class Material:
    _id: strawberry.Private[str]
    id: strawberry.ID
    kind: str
    content_type: str
    size: int
    width: int | None
    height: int | None
    created_at: datetime.datetime
    url: str

    @strawberry.field(description="A link that opens the file without the bearer token (for a new tab or a "
                                  "printer): it works for five minutes, and only while the caller stays signed in.")
    def download_url(self, info: strawberry.Info) -> str:
        return service.download_link(info.context.actor, self._id)

    @classmethod
    def from_model(cls, m: MaterialModel) -> Material:
        material_id = str(m.id)
        return cls(_id=material_id, id=strawberry.ID(material_id), kind=m.kind, content_type=m.content_type,
                   size=m.size, width=m.width, height=m.height, created_at=m.created_at,
                   url=f"/api/materials/{material_id}")
