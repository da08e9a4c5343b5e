"""Ratings: once per case, by its applicant, after it ends."""

from __future__ import annotations

from tortoise.exceptions import IntegrityError

from api.cases import service as cases
from api.kit import clock
from api.kit.actors import Actor
from api.kit.errors import ConflictError, NotAllowedError, ValidationError
from api.surveys import repository
from api.surveys.models import Satisfaction

ENDED = frozenset({"closed", "rejected", "refused", "withdrawn", "approved", "paying"})


HOW_APPLIED = ("self", "proxy", "counter", "other")


async def rate(actor: Actor, case_id: int, rating: int, comment: str = "", *, ease: int | None = None,
               helped: bool | None = None, how_applied: str | None = None) -> Satisfaction:
    """Records the 回头看 survey of a decided case: by its applicant, or by a worker at the door for a proxy case."""
    # two sends of one survey (a double tap, a retry after an answer lost on a weak signal) take turns on the
    # case's row: the second finds the first's answer
    case = await cases.get_for(actor, case_id, for_update=True)
    owner = actor.is_applicant and actor.applicant_id == case.applicant_id
    at_the_door = case.channel == "proxy" and actor.role in ("village_worker", "township_officer")
    if not (owner or at_the_door):
        raise NotAllowedError("只有申请人本人（代办的申请也可由上门的工作人员代填）可以评价", code="not_owner")
    if case.status not in ENDED:
        raise ConflictError("申请办结后才能评价", code="case_not_ended")
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationError("请选择1到5颗星", code="rating_invalid", field="rating")
    if ease is not None and (not isinstance(ease, int) or not 1 <= ease <= 5):
        raise ValidationError("“办理是否方便”请选择1到5颗星", code="ease_invalid", field="ease")
    if how_applied is not None and how_applied not in HOW_APPLIED:
        raise ValidationError("申请方式应为 self、proxy、counter 或 other", code="how_applied_invalid",
                              field="howApplied")
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ValidationError("评价内容不能超过500字", code="comment_too_long", field="comment")
    answer = {"rating": rating, "comment": comment, "ease": ease, "helped": helped, "how_applied": how_applied,
              "answered_by": "applicant" if owner else "worker"}
    earlier = await repository.of_case(case.id)
    if earlier is not None:
        if all(getattr(earlier, name) == value for name, value in answer.items()):
            return earlier  # the same answer sent again: recorded once, and the sender is told it is
        raise ConflictError("您已评价过这件申请，感谢您的反馈", code="already_rated")
    try:
        return await repository.add(case_id=case.id, created_at=clock.now(), **answer)
    except IntegrityError:  # SQLite, which has no row lock: the other send wrote first
        raise ConflictError("您已评价过这件申请，感谢您的反馈", code="already_rated") from None
