"""Every query of the regions domain."""

from __future__ import annotations

from api.kit.lookups import fits, fitting
from api.regions.models import Region


async def get(code: str) -> Region | None:
    if not fits(code, Region, "code"):
        return None
    return await Region.get_or_none(code=code)


async def get_many(codes: list[str]) -> list[Region]:
    return await Region.filter(code__in=fitting(codes, Region, "code"))


async def children(parent_code: str | None) -> list[Region]:
    if parent_code is None:
        return await Region.filter(parent_id=None).order_by("sort_order", "code")
    if not fits(parent_code, Region, "code"):
        return []
    return await Region.filter(parent_id=parent_code).order_by("sort_order", "code")


async def existing_codes(codes: list[str]) -> set[str]:
    return set(await Region.filter(code__in=fitting(codes, Region, "code")).values_list("code", flat=True))


async def upsert(row: dict, sort_order: int) -> None:
    region = await Region.get_or_none(code=row["code"])
    if region is None:
        await Region.create(code=row["code"], name=row["name"], level=row["level"], parent_id=row["parent"],
                            sample=row.get("sample", False), sort_order=sort_order)
    else:
        region.name, region.level, region.parent_id = row["name"], row["level"], row["parent"]
        region.sample = row.get("sample", False)
        await region.save()


async def count() -> int:
    return await Region.all().count()
