"""The case state machine: one set of states for every item, each item's route picking its stages.

Plain domain code: no web and no ORM imports. `decide` says whether an action may happen and what it
needs; the service applies the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from api.kit.actors import Actor
from api.kit.errors import ConflictError, NotAllowedError, ValidationError, echo

STATUS_LABELS = {
    "submitted": "已提交，待受理",
    "returned": "退回补正",
    "refused": "不予受理",
    "withdrawn": "已撤回",
    "accepted": "已受理",
    "investigating": "入户调查",
    "verifying": "家庭经济状况核对",
    "reviewing": "审核公示",
    "approving": "审批",
    "province_review": "省级审核中",
    "approved": "审批通过",
    "rejected": "审批未通过",
    "paying": "资金发放中",
    "closed": "已办结",
}
STATUSES = tuple(STATUS_LABELS)
TERMINAL = frozenset({"refused", "withdrawn", "rejected", "closed"})
STAGES = ("accept", "investigate", "verify", "review", "approve", "province", "pay")
# The status a case holds while a stage is in progress.
STAGE_STATUS = {
    "accept": "submitted",
    "investigate": "investigating",
    "verify": "verifying",
    "review": "reviewing",
    "approve": "approving",
    "province": "accepted",
    "pay": "approved",
}
STATUS_STAGE = {
    "submitted": "accept", "investigating": "investigate", "verifying": "verify", "reviewing": "review",
    "approving": "approve", "accepted": "province", "province_review": "province", "approved": "pay",
}
ACTION_LABELS = {
    "submit": "提交申请", "accept": "受理", "return": "退回补正", "refuse": "不予受理", "resubmit": "补正后重新提交",
    "withdraw": "撤回申请", "investigate": "入户调查", "verify": "家庭经济状况核对", "review": "审核并公示",
    "approve": "审批通过", "reject": "审批不通过", "pay_start": "开始发放", "close": "办结",
    "province_sent": "已推送省高龄津贴管理系统", "province_decide": "省级审核结果", "extend": "延长办理时限",
    "pay_record": "资金发放记录", "comment": "内部意见", "assign": "指派经办人",
}
ACTIONS = tuple(ACTION_LABELS)
MONTH = re.compile(r"^(20\d{2})-(0[1-9]|1[0-2])$")
# Staff who handle cases and may leave an internal note on one (analysts and admins do not handle cases).
COMMENTING_ROLES = ("village_worker", "township_officer", "verifier", "approver", "finance", "supervisor")
# Who assigns a case to a staff member: supervisors anywhere in their region, township officers in their township.
ASSIGNING_ROLES = ("supervisor", "township_officer")
# The staff roles that can act on a case while it holds each open status (who it may be assigned to).
STATUS_ROLES = {
    "submitted": ("village_worker", "township_officer"),
    "returned": ("village_worker", "township_officer"),
    "accepted": ("township_officer",),
    "province_review": ("township_officer",),
    "investigating": ("village_worker", "township_officer"),
    "verifying": ("verifier",),
    "reviewing": ("township_officer",),
    "approving": ("approver", "township_officer"),
    "approved": ("finance", "approver", "township_officer"),
    "paying": ("finance",),
}


@dataclass(frozen=True)
class Route:
    """What an item's definition says about the path of its cases."""

    stages: tuple[str, ...]
    notice_days: int = 0
    payment: str | None = None
    township_approval_limit: Decimal | None = None
    emergency_allowed: bool = False
    whole_case_extendable: bool = False

    def for_case(self, emergency: bool) -> tuple[str, ...]:
        """Returns the stages a case follows; emergency 临时救助 helps first and investigates afterwards."""
        if emergency and self.emergency_allowed:
            return tuple(s for s in self.stages if s not in ("investigate", "verify", "review"))
        return self.stages


@dataclass(frozen=True)
class CaseView:
    """The parts of a case the state machine looks at."""

    status: str
    route: Route
    region_code: str
    applicant_id: int
    channel: str
    submitted_at: datetime
    emergency: bool = False
    notice_until: datetime | None = None
    applicant_is_minor: bool = False
    extended: bool = False


@dataclass
class Transition:
    """What an allowed action does: the new status and the data to record."""

    action: str
    from_status: str
    to_status: str
    comment: str = ""
    public: bool = True
    data: dict = field(default_factory=dict)


def next_status(stages: tuple[str, ...], after: str) -> str:
    """Returns the status that follows the end of stage `after` on this route."""
    if after not in stages:
        raise ConflictError("该事项的办理流程不含此环节", code="invalid_transition")
    i = stages.index(after)
    for stage in stages[i + 1:]:
        return STAGE_STATUS[stage]
    return "approved" if after in ("approve", "province") else "closed"


def _reason(data: dict, what: str) -> str:
    reason = str(data.get("reason") or data.get("comment") or "").strip()
    if not reason:
        raise ValidationError(f"请填写{what}的理由", code="reason_required", field="reason")
    if len(reason) > 1000:
        raise ValidationError("理由不能超过1000字", code="reason_too_long", field="reason")
    return reason


def _comment(data: dict) -> str:
    comment = str(data.get("comment") or "").strip()
    if len(comment) > 1000:
        raise ValidationError("意见不能超过1000字", code="comment_too_long", field="comment")
    return comment


def _need_role(actor: Actor, roles: tuple[str, ...], case: CaseView, action: str) -> None:
    if actor.role not in roles:
        raise NotAllowedError(f"您的角色不能办理「{ACTION_LABELS[action]}」", code="role_not_allowed")
    if actor.kind == "staff" and not actor.covers(case.region_code):
        raise NotAllowedError("该申请不在您的辖区内", code="outside_region")


def _need_status(case: CaseView, action: str, *allowed: str) -> None:
    if case.status not in allowed:
        raise ConflictError(
            f"申请当前为「{STATUS_LABELS[case.status]}」，不能办理「{ACTION_LABELS[action]}」", code="invalid_transition"
        )


def _is_owner(actor: Actor, case: CaseView) -> bool:
    return actor.kind == "applicant" and actor.applicant_id == case.applicant_id


def _money(value, field_name: str, label: str) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(f"请填写{label}（元）", code="amount_required", field=field_name) from None
    if amount <= 0 or amount > Decimal("1000000"):
        raise ValidationError(f"{label}应大于0且不超过1000000元", code="amount_invalid", field=field_name)
    return amount


def _month(value, field_name: str) -> str:
    month = str(value or "").strip()
    if not MONTH.match(month):
        raise ValidationError("请按“2026-05”的格式填写起始月份", code="month_invalid", field=field_name)
    return month


def decide(action: str, case: CaseView, actor: Actor, data: dict | None, now: datetime,
           withdraw_grace: timedelta = timedelta(minutes=10), notice_length: timedelta | None = None) -> Transition:
    """Returns the transition `action` makes, or raises why it may not happen."""
    data = dict(data or {})
    stages = case.route.for_case(case.emergency)
    if action not in ACTIONS or action == "submit":
        raise ValidationError(f"未知的办理操作「{echo(action)}」", code="unknown_action", field="action")
    if case.status in TERMINAL:
        raise ConflictError(f"申请已{STATUS_LABELS[case.status]}，不能再办理", code="case_closed")

    if action == "accept":
        _need_role(actor, ("village_worker", "township_officer"), case, action)
        _need_status(case, action, "submitted")
        return Transition(action, case.status, next_status(stages, "accept"), _comment(data))
    if action == "return":
        _need_role(actor, ("township_officer",), case, action)
        _need_status(case, action, "submitted")
        missing = [str(m) for m in data.get("missing_materials") or []]
        return Transition(action, case.status, "returned", _reason(data, "退回补正"),
                          data={"missing_materials": missing})
    if action == "refuse":
        _need_role(actor, ("township_officer",), case, action)
        _need_status(case, action, "submitted")
        return Transition(action, case.status, "refused", _reason(data, "不予受理"))
    if action == "resubmit":
        if not (_is_owner(actor, case) or (case.channel == "proxy" and actor.role in ("village_worker",
                                                                                     "township_officer"))):
            raise NotAllowedError("只有申请人或代办的工作人员可以重新提交", code="not_owner")
        if actor.kind == "staff" and not actor.covers(case.region_code):
            raise NotAllowedError("该申请不在您的辖区内", code="outside_region")
        _need_status(case, action, "returned")
        return Transition(action, case.status, "submitted", _comment(data))
    if action == "withdraw":
        if not (_is_owner(actor, case) or (case.channel == "proxy" and actor.role in ("village_worker",
                                                                                     "township_officer"))):
            raise NotAllowedError("只有申请人本人或代办的工作人员可以撤回申请", code="not_owner")
        if actor.kind == "staff" and not actor.covers(case.region_code):
            raise NotAllowedError("该申请不在您的辖区内", code="outside_region")
        within_grace = now - case.submitted_at <= withdraw_grace
        if case.status not in ("submitted", "returned") and not within_grace:
            raise ConflictError("申请已受理，不能撤回；如有疑问请联系经办人", code="withdraw_too_late")
        return Transition(action, case.status, "withdrawn", _comment(data))
    if action == "investigate":
        _need_role(actor, ("township_officer", "village_worker"), case, action)
        _need_status(case, action, "investigating")
        # public step, internal details: applicants see that the visit happened, never its record
        return Transition(action, case.status, next_status(stages, "investigate"), "", data=_investigation(data, now))
    if action == "verify":
        _need_role(actor, ("verifier",), case, action)
        _need_status(case, action, "verifying")
        result = data.get("result")
        if result not in ("pass", "fail"):
            raise ValidationError("请选择核对结论：符合或不符合", code="verify_result_required", field="result")
        income = data.get("household_monthly_income")
        record = {"result": result, "note": _comment({"comment": data.get("note")})}
        if income not in (None, ""):
            record["household_monthly_income"] = str(_money(income, "householdMonthlyIncome", "家庭月收入"))
        return Transition(action, case.status, next_status(stages, "verify"), "", data=record)
    if action == "review":
        _need_role(actor, ("township_officer",), case, action)
        _need_status(case, action, "reviewing")
        notice_days = 0 if case.applicant_is_minor else case.route.notice_days
        record = {"opinion": _comment({"comment": data.get("opinion") or data.get("comment")}),
                  "notice_days": notice_days}
        if notice_days:
            record["notice_until"] = (now + (notice_length or timedelta(days=notice_days))).isoformat()
        return Transition(action, case.status, next_status(stages, "review"), record["opinion"], data=record)
    if action in ("approve", "reject"):
        _need_status(case, action, "approving")
        amount = None
        if action == "approve":
            amount = _money(data.get("amount"), "amount", "救助金额")
        limit = case.route.township_approval_limit
        township_may = limit is not None and (action == "reject" or (amount is not None and amount <= limit))
        roles = ("approver", "township_officer") if township_may else ("approver",)
        if actor.role == "township_officer" and not township_may:
            raise NotAllowedError(f"超过乡镇(街道)审批限额（{limit}元），须报区社会救助管理中心审批"
                                  if limit is not None else "该事项须由区社会救助管理中心审批",
                                  code="above_township_limit")
        _need_role(actor, roles, case, action)
        if case.notice_until is not None and now < case.notice_until:
            raise ConflictError(f"公示期未满（{case.notice_until:%Y-%m-%d %H:%M}结束），暂不能审批", code="notice_running")
        if action == "reject":
            return Transition(action, case.status, "rejected", _reason(data, "审批不通过"))
        return Transition(action, case.status, next_status(stages, "approve"), _comment(data),
                          data={"amount": str(amount), "start_month": _month(data.get("start_month"), "startMonth")})
    if action == "pay_start":
        _need_role(actor, ("finance",), case, action)
        _need_status(case, action, "approved")
        if "pay" not in stages:
            raise ConflictError("该事项不涉及资金发放", code="no_payment")
        return Transition(action, case.status, "paying", _comment(data))
    if action == "close":
        if case.status == "paying":
            _need_role(actor, ("finance",), case, action)
        else:
            _need_status(case, action, "approved")
            if "pay" in stages:
                raise ConflictError("审批通过的申请须先发放资金再办结", code="payment_pending")
            _need_role(actor, ("approver", "township_officer"), case, action)
        return Transition(action, case.status, "closed", _comment(data))
    if action == "province_sent":
        if actor.kind != "system":
            raise NotAllowedError("只有系统可以记录省级推送", code="system_only")
        _need_status(case, action, "accepted")
        return Transition(action, case.status, "province_review", "", data={"reference": data.get("reference")})
    if action == "province_decide":
        if actor.kind != "province":
            raise NotAllowedError("只有省高龄津贴管理系统可以回传审核结果", code="province_only")
        _need_status(case, action, "province_review")
        if data.get("approved") is True:
            amount = _money(data.get("amount"), "amount", "津贴金额")
            return Transition(action, case.status, next_status(stages, "province"), "省级审核通过",
                              data={"amount": str(amount), "start_month": _month(data.get("start_month"), "startMonth"),
                                    "reference": data.get("reference")})
        return Transition(action, case.status, "rejected", _reason(data, "省级审核不通过"),
                          data={"reference": data.get("reference")})
    if action == "pay_record":
        # one payment line of a batch, paid or failed: a step on the timeline, the status stays "paying"
        if actor.kind != "system" or actor.role != "finance":
            _need_role(actor, ("finance",), case, action)
        _need_status(case, action, "paying")
        result = data.get("result")
        if result not in ("paid", "failed"):
            raise ValidationError("发放结果应为已发放或发放失败", code="pay_result_invalid", field="result")
        amount = _money(data.get("amount"), "amount", "发放金额")
        month = _month(data.get("month"), "month")
        reason = str(data.get("reason") or "").strip()[:200]
        if result == "failed" and not reason:
            raise ValidationError("请填写发放失败的原因", code="reason_required", field="reason")
        comment = f"{month} 已发放 {amount} 元" if result == "paid" else f"{month} 发放失败：{reason}"
        return Transition(action, case.status, case.status, comment,
                          data={"result": result, "amount": str(amount), "month": month, "reason": reason})
    if action == "comment":
        # a note between staff: on the timeline for those who handle the case, never for the applicant
        _need_role(actor, COMMENTING_ROLES, case, action)
        comment = _comment(data)
        if not comment:
            raise ValidationError("请填写内部意见", code="comment_required", field="comment")
        return Transition(action, case.status, case.status, comment, public=False)
    if action == "assign":
        return _assignment(case, actor, data)
    if action == "extend":
        _need_role(actor, ("approver", "township_officer"), case, action)
        if not case.route.whole_case_extendable:
            raise ConflictError("该事项不能延长办理时限", code="not_extendable")
        if case.extended:
            raise ConflictError("办理时限只能延长一次", code="already_extended")
        if case.status in ("submitted", "returned"):
            raise ConflictError("受理后才能延长办理时限", code="invalid_transition")
        if case.status in ("approved", "paying"):
            raise ConflictError("已作出审批决定，不需要延长办理时限", code="invalid_transition")
        return Transition(action, case.status, case.status, _reason(data, "延长办理时限"), public=True)
    raise ValidationError(f"未知的办理操作「{echo(action)}」", code="unknown_action", field="action")


def _assignment(case: CaseView, actor: Actor, data: dict) -> Transition:
    """Assigns the case to a staff member: an internal step that leaves status and clocks as they are.

    `data["assignee"]` describes the account (id, name, role, region, disabled), looked up by the service."""
    _need_role(actor, ASSIGNING_ROLES, case, "assign")
    assignee = data.get("assignee")
    if not assignee or assignee.get("disabled"):
        raise ValidationError("指派的工作人员不存在或已停用", code="assignee_not_found", field="assigneeId")
    region = str(assignee.get("region") or "")
    # the assignee works inside the case's area: their region is the case's village or one of its ancestors
    if not region or not case.region_code.startswith(region):
        raise NotAllowedError("指派的工作人员不负责该申请所在的村(社区)", code="assignee_outside_region",
                              field="assigneeId")
    roles = STATUS_ROLES.get(case.status, ())
    if assignee.get("role") not in roles:
        raise NotAllowedError(f"该工作人员的角色不能办理「{STATUS_LABELS[case.status]}」环节的申请",
                              code="assignee_role", field="assigneeId")
    if assignee.get("id") == data.get("current_assignee_id"):
        raise ConflictError("该申请已指派给这位工作人员", code="already_assigned", field="assigneeId")
    reason = _reason(data, "指派")
    return Transition("assign", case.status, case.status, reason, public=False,
                      data={"assignee_id": assignee["id"], "assignee_name": assignee.get("name") or "",
                            "previous_assignee_id": data.get("current_assignee_id")})


def _investigation(data: dict, now: datetime) -> dict:
    investigators = [str(x).strip() for x in data.get("investigators") or [] if str(x).strip()]
    if len(set(investigators)) < 2:
        raise ValidationError("入户调查须由两名工作人员共同进行，请填写两名调查人", code="investigators_required",
                              field="investigators")
    visited_at = data.get("visited_at")
    if isinstance(visited_at, str):
        try:
            visited_at = datetime.fromisoformat(visited_at)
        except ValueError:
            visited_at = None
    if not isinstance(visited_at, datetime):
        raise ValidationError("请填写入户时间", code="visit_time_required", field="visitedAt")
    if visited_at.tzinfo is None:
        from datetime import UTC

        visited_at = visited_at.replace(tzinfo=UTC)
    if visited_at > now + timedelta(minutes=5):
        raise ValidationError("入户时间不能晚于现在", code="visit_time_future", field="visitedAt")
    conclusion = str(data.get("conclusion") or "").strip()
    if not conclusion:
        raise ValidationError("请填写调查结论", code="conclusion_required", field="conclusion")
    if len(conclusion) > 2000:
        raise ValidationError("调查结论不能超过2000字", code="conclusion_too_long", field="conclusion")
    return {
        "investigators": investigators, "visited_at": visited_at.isoformat(), "conclusion": conclusion,
        "place": str(data.get("place") or "").strip()[:200], "findings": str(data.get("findings") or "").strip()[:4000],
        "material_ids": [str(m) for m in data.get("material_ids") or []][:20],
    }
