"""Every query of the aid-items domain."""

from __future__ import annotations

from api.aid_items.models import AidItem
from api.kit import db
from api.kit.lookups import fits


async def all_items(enabled_only: bool) -> list[AidItem]:
    qs = AidItem.all()
    if enabled_only:
        qs = qs.filter(enabled=True)
    return await qs.order_by("sort_order", "id")


async def by_code(code: str, *, for_update: bool = False) -> AidItem | None:
    """The item of a code; locked until the transaction ends when `for_update`."""
    if not fits(code, AidItem, "code"):
        return None
    query = AidItem.filter(code=code)
    return await (query.select_for_update() if for_update else query).first()


async def by_id(item_id: int) -> AidItem | None:
    return await db.get_by_pk(AidItem, item_id)


async def by_ids(ids: list[int]) -> list[AidItem]:
    return await AidItem.filter(id__in=ids)


async def count() -> int:
    return await AidItem.all().count()


async def add(**values) -> AidItem:
    return await AidItem.create(**values)
