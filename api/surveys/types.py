from __future__ import annotations

import datetime

import strawberry

from api.surveys.models import Satisfaction as SatisfactionModel


@strawberry.type(description="The 回头看 survey of a case: satisfaction and ease (1–5), how they applied, a comment.")
class Satisfaction:
    rating: int
    ease: int | None
    helped: bool | None
    how_applied: str | None
    answered_by: str
    comment: str
    created_at: datetime.datetime

    @classmethod
    def from_model(cls, m: SatisfactionModel) -> Satisfaction:
        return cls(rating=m.rating, ease=m.ease, helped=m.helped, how_applied=m.how_applied,
                   answered_by=m.answered_by, comment=m.comment, created_at=m.created_at)


@strawberry.type
class SatisfactionSuccess:
    satisfaction: Satisfaction
