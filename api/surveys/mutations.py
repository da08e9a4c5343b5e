from __future__ import annotations

import strawberry

from api.graphql.payloads import parse_id, payload, run_mutation
from api.surveys import service
from api.surveys.types import Satisfaction, SatisfactionSuccess

SatisfactionPayload = payload("SatisfactionPayload", SatisfactionSuccess)


@strawberry.type
class SurveyMutations:
    @strawberry.mutation(description="Rates a case 1–5 once it has been decided (the applicant, once).")
    async def case_rate(self, info: strawberry.Info, case_id: strawberry.ID, rating: int,
                        comment: str = "") -> SatisfactionPayload:
        async def work():
            return SatisfactionSuccess(satisfaction=Satisfaction.from_model(
                await service.rate(info.context.actor, parse_id(case_id), rating, comment)))

        return await run_mutation(info.context, work)
