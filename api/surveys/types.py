from __future__ import annotations

import datetime

import strawberry

from api.surveys.models import Satisfaction as SatisfactionModel


@strawberry.type(description="The applicant's rating of a case (1–5) and comment.")
class Satisfaction:
    rating: int
    comment: str
    created_at: datetime.datetime

    @classmethod
    def from_model(cls, m: SatisfactionModel) -> Satisfaction:
        return cls(rating=m.rating, comment=m.comment, created_at=m.created_at)


@strawberry.type
class SatisfactionSuccess:
    satisfaction: Satisfaction
