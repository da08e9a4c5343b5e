from __future__ import annotations

import datetime

import strawberry

from api.graphql.views import row_view
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
        # each field read from the row when asked for (a page of cases lists 100 materials; `row_view`)
        return _material_of_row(m, _id=str(m.id))


_material_of_row = row_view(Material, id=lambda m: strawberry.ID(m._id), kind="kind", content_type="content_type",
                            size="size", width="width", height="height", created_at="created_at",
                            url=lambda m: f"/api/materials/{m._id}")
