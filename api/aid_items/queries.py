from __future__ import annotations

import strawberry

from api.aid_items import service
from api.aid_items.types import AidItem


@strawberry.type
class AidItemQueries:
    @strawberry.field(description="The aid catalogue; disabled items only for administrators.")
    async def aid_items(self, info: strawberry.Info, include_disabled: bool = False) -> list[AidItem]:
        include = include_disabled and info.context.actor.role == "admin"
        return [AidItem.from_model(m) for m in await service.list_items(include_disabled=include)]

    @strawberry.field
    async def aid_item(self, code: str) -> AidItem | None:
        from api.kit.errors import NotFoundError

        try:
            return AidItem.from_model(await service.get_by_code(code))
        except NotFoundError:
            return None
