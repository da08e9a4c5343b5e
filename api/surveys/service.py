"""Ratings: once per case, by its applicant, after it ends."""

from __future__ import annotations

from api.cases import service as cases
from api.kit import clock
from api.kit.actors import Actor
from api.kit.errors import ConflictError, NotAllowedError, ValidationError
from api.surveys import repository
from api.surveys.models import Satisfaction

ENDED = frozenset({"closed", "rejected", "refused", "withdrawn", "approved", "paying"})


async def rate(actor: Actor, case_id: int, rating: int, comment: str = "") -> Satisfaction:
    """Records the applicant's rating of their case once it has been decided or has ended."""
    case = await cases.get_for(actor, case_id)
    if not (actor.is_applicant and actor.applicant_id == case.applicant_id):
        raise NotAllowedError("只有申请人本人可以评价", code="not_owner")
    if case.status not in ENDED:
        raise ConflictError("申请办结后才能评价", code="case_not_ended")
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError("请选择1到5颗星", code="rating_invalid", field="rating")
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ValidationError("评价内容不能超过500字", code="comment_too_long", field="comment")
    if await repository.of_case(case.id) is not None:
        raise ConflictError("您已评价过这件申请，感谢您的反馈", code="already_rated")
    return await repository.add(case_id=case.id, rating=rating, comment=comment, created_at=clock.now())
