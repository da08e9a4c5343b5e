"""Every query of the materials domain."""

from __future__ import annotations

import uuid

from api.materials.models import Material


async def add(**values) -> Material:
    return await Material.create(**values)


async def get(material_id: uuid.UUID) -> Material | None:
    return await Material.get_or_none(id=material_id)


async def get_many(ids: list[uuid.UUID]) -> list[Material]:
    return await Material.filter(id__in=ids)


async def attach(ids: list[uuid.UUID], case_id: int) -> None:
    await Material.filter(id__in=ids).update(case_id=case_id)


async def of_cases(case_ids: list[int]) -> list[Material]:
    return await Material.filter(case_id__in=case_ids).order_by("created_at", "id")


async def unattached_of(applicant_id: int) -> list[Material]:
    return await Material.filter(applicant_id=applicant_id, case_id=None).order_by("created_at")
