"""Every query of the surveys domain."""

from __future__ import annotations

from api.surveys.models import Satisfaction


async def of_case(case_id: int) -> Satisfaction | None:
    return await Satisfaction.get_or_none(case_id=case_id)


async def of_cases(case_ids: list[int]) -> list[Satisfaction]:
    return await Satisfaction.filter(case_id__in=case_ids)


async def add(**values) -> Satisfaction:
    return await Satisfaction.create(**values)
