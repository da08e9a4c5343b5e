from __future__ import annotations

import strawberry

from api.graphql.payloads import parse_id, payload, run_mutation
from api.surveys import service
from api.surveys.types import Satisfaction, SatisfactionSuccess

SatisfactionPayload = payload("SatisfactionPayload", SatisfactionSuccess)


@strawberry.type
class SurveyMutations:
    @strawberry.mutation(description="The 回头看 survey of a decided case, once: satisfaction 1–5 and, optionally, "
                                     "ease 1–5, whether someone helped, how they applied (self/proxy/counter/other).")
    async def case_rate(self, info: strawberry.Info, case_id: strawberry.ID, rating: int, comment: str = "",
                        ease: int | None = None, helped: bool | None = None,
                        how_applied: str | None = None) -> SatisfactionPayload:
        async def work():
            return SatisfactionSuccess(satisfaction=Satisfaction.from_model(
                await service.rate(info.context.actor, parse_id(case_id), rating, comment, ease=ease, helped=helped,
                                   how_applied=how_applied)))

        return await run_mutation(info.context, work)
