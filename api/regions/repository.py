"""Every query of the regions domain."""

from __future__ import annotations

from api.regions.models import Region

# No region has a longer code; the ORM refuses to even look one up (a crash, not "not found").
MAX_CODE_LENGTH = 12


def _possible(codes: list[str]) -> list[str]:
    return [c for c in codes if len(c) <= MAX_CODE_LENGTH]


async def get(code: str) -> Region | None:
    if len(code) > MAX_CODE_LENGTH:
        return None
    return await Region.get_or_none(code=code)


async def get_many(codes: list[str]) -> list[Region]:
    return await Region.filter(code__in=_possible(codes))


async def children(parent_code: str | None) -> list[Region]:
    if parent_code is None:
        return await Region.filter(parent_id=None).order_by("sort_order", "code")
    if len(parent_code) > MAX_CODE_LENGTH:
        return []
    return await Region.filter(parent_id=parent_code).order_by("sort_order", "code")


async def existing_codes(codes: list[str]) -> set[str]:
    return set(await Region.filter(code__in=_possible(codes)).values_list("code", flat=True))


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
