from __future__ import annotations

import base64
import datetime
from decimal import Decimal
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from api.aid_items.types import AidItem
from api.applicants.types import Applicant
from api.cases.clocks import clock_state
from api.cases.models import Case as CaseModel
from api.cases.models import CaseEvent as EventModel
from api.cases.service import available_actions, can_assign, planned_steps
from api.cases.service import can_read as case_readable
from api.cases.workflow import ACTION_LABELS, STATUS_LABELS
from api.graphql.loaders import now_or_later
from api.graphql.payloads import MAX_ID
from api.graphql.views import row_view
from api.kit import clock
from api.kit.actors import ROLE_LABELS
from api.materials.types import Material
from api.province.types import ProvinceSync
from api.surveys.types import Satisfaction


def _handles_cases(info: strawberry.Info) -> bool:
    # analysts are staff too, but see no personal data: home visits and incomes stay hidden from them
    return info.context.actor.is_staff and info.context.actor.role != "analyst"


@strawberry.enum(description="Where a case stands.")
class CaseStatus(Enum):
    SUBMITTED = "submitted"
    RETURNED = "returned"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    ACCEPTED = "accepted"
    INVESTIGATING = "investigating"
    VERIFYING = "verifying"
    REVIEWING = "reviewing"
    APPROVING = "approving"
    PROVINCE_REVIEW = "province_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAYING = "paying"
    CLOSED = "closed"


@strawberry.enum
class Channel(Enum):
    SELF = "self"
    PROXY = "proxy"
    COUNTER = "counter"


@strawberry.enum(description="A stage clock: within time, past 75% of its limit, or past the limit.")
class ClockState(Enum):
    OK = "ok"
    WARNING = "warning"
    OVERDUE = "overdue"


@strawberry.type(description="One step of a case. Applicants see public steps only, without internal data.")
class CaseEvent:
    _model: strawberry.Private[EventModel]
    seq: int
    action: str
    action_label: str
    from_status: CaseStatus | None
    to_status: CaseStatus
    actor_name: str
    actor_role: str
    actor_role_label: str
    comment: str
    public: bool
    created_at: datetime.datetime

    @strawberry.field(description="The materials asked for when the case was returned for supplement (补正).")
    def requested_materials(self) -> list[str]:
        return [str(m) for m in (self._model.data or {}).get("missing_materials") or []]

    @strawberry.field(description="Details recorded with the step (staff who handle cases only).")
    def data(self, info: strawberry.Info) -> JSON | None:
        return self._model.data if _handles_cases(info) else None

    @classmethod
    def from_model(cls, e: EventModel, *, for_staff: bool, for_analyst: bool = False) -> CaseEvent:
        # applicants see who acted by role, not staff members' names; analysts see no personal data, so an
        # applicant's own step shows them the role, not the applicant's name
        name = e.actor_name if for_staff or e.actor_kind == "applicant" else ROLE_LABELS.get(e.actor_role, "")
        if for_analyst and e.actor_kind == "applicant":
            name = ROLE_LABELS["applicant"]
        return cls(_model=e, seq=e.seq, action=e.action, action_label=ACTION_LABELS.get(e.action, e.action),
                   from_status=CaseStatus(e.from_status) if e.from_status else None,
                   to_status=CaseStatus(e.to_status), actor_name=name, actor_role=e.actor_role,
                   actor_role_label=ROLE_LABELS.get(e.actor_role, e.actor_role), comment=e.comment,
                   public=e.public, created_at=e.created_at)


@strawberry.type(description="One step of the case's route.")
class PlannedStep:
    stage: str
    label: str
    state: str = strawberry.field(description="done | current | waiting (on the applicant) | upcoming | skipped")
    due_at: datetime.datetime | None


@strawberry.type(description="The clock of the stage in progress.")
class StageClock:
    started_at: datetime.datetime | None
    warn_at: datetime.datetime | None
    due_at: datetime.datetime | None
    case_due_at: datetime.datetime | None
    state: ClockState


@strawberry.type(description="A staff member as other staff see them on a case: name, role and region.")
class StaffBrief:
    id: strawberry.ID
    name: str
    role: str
    role_label: str
    region_code: str

    @classmethod
    def from_model(cls, m) -> StaffBrief:
        return cls(id=strawberry.ID(str(m.id)), name=m.display_name, role=m.role,
                   role_label=ROLE_LABELS.get(m.role, m.role), region_code=m.region_id)


@strawberry.type(description="One line of the overdue board: open cases past 75% of their limit, or past it.")
class ClockBoardRow:
    key: str = strawberry.field(description="The township code, the item code or the status.")
    label: str
    warning: int
    overdue: int


@strawberry.type(description="The supervisors' overdue board of the caller's region.")
class ClockBoard:
    by_township: list[ClockBoardRow]
    by_item: list[ClockBoardRow]
    by_stage: list[ClockBoardRow]


@strawberry.type(description="One application of one applicant for one aid item.")
class Case:
    _model: strawberry.Private[CaseModel]
    id: strawberry.ID
    number: str
    status: CaseStatus
    status_label: str
    channel: Channel
    emergency: bool
    submitted_at: datetime.datetime
    accepted_at: datetime.datetime | None
    decided_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    notice_until: datetime.datetime | None
    amount: Decimal | None
    start_month: str | None
    decision_reason: str | None
    last_seq: int
    region_code: str
    extended: bool

    @strawberry.field(description="The answers to the item's form.")
    def form(self, info: strawberry.Info) -> JSON:
        return {} if info.context.actor.role == "analyst" else self._model.form_data

    @strawberry.field
    def clock(self) -> StageClock:
        m = self._model
        return StageClock(started_at=m.stage_started_at, warn_at=m.warn_at, due_at=m.due_at, case_due_at=m.case_due_at,
                          state=ClockState(clock_state(warn_at=m.warn_at, due_at=m.due_at, case_due_at=m.case_due_at,
                                                       now=clock.now())))

    # item, applicant, events and materials: at once when the page's query prefetched them, else awaited
    @strawberry.field
    def item(self, info: strawberry.Info) -> AidItem:
        return now_or_later(info.context.loaders.item, self._model.item_id, info.context.item_type)

    @strawberry.field
    def applicant(self, info: strawberry.Info) -> Applicant:
        return now_or_later(info.context.loaders.applicant, self._model.applicant_id, Applicant.from_model)

    @strawberry.field(description="The staff member who applied on the applicant's behalf (帮办代办).")
    async def proxy_by_name(self, info: strawberry.Info) -> str | None:
        if self._model.proxy_by_id is None:
            return None
        staff = await info.context.loaders.staff.load(self._model.proxy_by_id)
        if staff is None:
            return None
        return staff.display_name if info.context.actor.is_staff else ROLE_LABELS.get(staff.role)

    @strawberry.field(description="The staff member the case is assigned to (staff only).")
    async def assignee(self, info: strawberry.Info) -> StaffBrief | None:
        if self._model.assignee_id is None or not info.context.actor.is_staff:
            return None
        staff = await info.context.loaders.staff.load(self._model.assignee_id)
        return StaffBrief.from_model(staff) if staff else None

    @strawberry.field(description="Whether the caller may assign the case to a staff member now.")
    def can_assign(self, info: strawberry.Info) -> bool:
        return can_assign(info.context.actor, self._model)

    @strawberry.field(description="The steps so far, in order.")
    def events(self, info: strawberry.Info) -> list[CaseEvent]:
        staff, analyst = info.context.actor.is_staff, info.context.actor.role == "analyst"
        return now_or_later(info.context.loaders.events, self._model.id, lambda rows: [
            CaseEvent.from_model(e, for_staff=staff, for_analyst=analyst) for e in rows if staff or e.public])

    @strawberry.field
    def materials(self, info: strawberry.Info) -> list[Material]:
        if info.context.actor.role == "analyst":
            return []
        return now_or_later(info.context.loaders.materials, self._model.id,
                            lambda rows: [Material.from_model(m) for m in rows])

    @strawberry.field(description="The actions the caller may take on this case now.")
    async def available_actions(self, info: strawberry.Info) -> list[str]:
        item = await info.context.loaders.item.load(self._model.item_id)
        applicant = await info.context.loaders.applicant.load(self._model.applicant_id)
        return await available_actions(info.context.actor, self._model, item, applicant)

    @strawberry.field(description="The route's steps: done, in progress, and to come with estimated due dates.")
    async def planned_steps(self, info: strawberry.Info) -> list[PlannedStep]:
        item = await info.context.loaders.item.load(self._model.item_id)
        return [PlannedStep(stage=p.stage, label=p.label, state=p.state, due_at=p.due_at)
                for p in planned_steps(self._model, item)]

    @strawberry.field(description="The applicant's rating, once given.")
    async def satisfaction(self, info: strawberry.Info) -> Satisfaction | None:
        row = await info.context.loaders.satisfaction.load(self._model.id)
        return Satisfaction.from_model(row) if row else None

    @strawberry.field(description="The provincial sync of a 高龄津贴 case (staff only).")
    async def province_sync(self, info: strawberry.Info) -> ProvinceSync | None:
        if not info.context.actor.is_staff or info.context.actor.role == "analyst":
            return None
        sync = await info.context.loaders.province_sync.load(self._model.id)
        return ProvinceSync.from_model(sync) if sync else None

    @strawberry.field(description="Investigation record (staff who handle cases only).")
    def investigation(self, info: strawberry.Info) -> JSON | None:
        return self._model.investigation if _handles_cases(info) else None

    @strawberry.field(description="Economic verification record (staff who handle cases only).")
    def verification(self, info: strawberry.Info) -> JSON | None:
        return self._model.verification if _handles_cases(info) else None

    @classmethod
    def from_model(cls, m: CaseModel) -> Case:
        if m.status in _STATUSES and m.status in STATUS_LABELS and m.channel in _CHANNELS:
            return _case_of_row(m, _model=m)  # each field read from the row when asked for, as below
        # a status or channel not known here fails the field that returns the case, as it always has
        return cls(_model=m, id=strawberry.ID(str(m.id)), number=m.number, status=CaseStatus(m.status),
                   status_label=STATUS_LABELS[m.status], channel=Channel(m.channel), emergency=m.emergency,
                   submitted_at=m.submitted_at, accepted_at=m.accepted_at, decided_at=m.decided_at,
                   closed_at=m.closed_at, notice_until=m.notice_until, amount=m.amount, start_month=m.start_month,
                   decision_reason=m.decision_reason, last_seq=m.last_seq, region_code=m.region_id,
                   extended=m.extended)


_STATUSES = {s.value: s for s in CaseStatus}
_CHANNELS = {c.value: c for c in Channel}
_case_of_row = row_view(
    Case, id=lambda c: strawberry.ID(str(c._model.id)), number="number", status=lambda c: _STATUSES[c._model.status],
    status_label=lambda c: STATUS_LABELS[c._model.status], channel=lambda c: _CHANNELS[c._model.channel],
    emergency="emergency",
    submitted_at="submitted_at", accepted_at="accepted_at", decided_at="decided_at", closed_at="closed_at",
    notice_until="notice_until", amount="amount", start_month="start_month", decision_reason="decision_reason",
    last_seq="last_seq", region_code="region_id", extended="extended")


@strawberry.type
class CaseEdge:
    cursor: str
    node: Case


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="A page of cases, newest first.")
class CaseConnection:
    edges: list[CaseEdge]
    page_info: PageInfo


def encode_cursor(case_id: int) -> str:
    return base64.urlsafe_b64encode(f"case:{case_id}".encode()).decode()


def decode_cursor(cursor: str) -> int | None:
    try:
        kind, value = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        case_id = int(value)
    except (ValueError, UnicodeDecodeError):
        return None
    return case_id if kind == "case" and 0 < case_id <= MAX_ID else None


@strawberry.type(description="Open cases of one status in the caller's region.")
class CaseCount:
    status: CaseStatus
    total: int
    warning: int
    overdue: int


@strawberry.input
class CaseFilterInput:
    status: list[CaseStatus] | None = None
    item_codes: list[str] | None = None
    region_code: str | None = None
    channel: Channel | None = None
    clock: ClockState | None = strawberry.field(default=None, description="warning or overdue")
    proxy_by_me: bool = strawberry.field(default=False, description="Only cases I applied for on someone's behalf.")
    assigned_to_me: bool = strawberry.field(default=False, description="Only cases assigned to me.")


@strawberry.input(description="An application. `submissionKey` is generated by the client once per application.")
class CaseSubmitInput:
    item_code: str
    submission_key: str
    form: JSON = strawberry.field(default_factory=dict)
    material_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    emergency: bool = False
    applicant_id: strawberry.ID | None = strawberry.field(
        default=None, description="Set by staff applying on someone's behalf (帮办代办)."
    )
    draft_started_at: datetime.datetime | None = strawberry.field(
        default=None, description="When the first answer of this application's draft was saved (time to apply)."
    )


@strawberry.input(description="A home visit by two staff.")
class InvestigationInput:
    investigators: list[str]
    visited_at: datetime.datetime
    conclusion: str
    place: str = ""
    findings: str = ""
    material_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Photos of the visit, uploaded to the case beforehand.")


@strawberry.enum
class VerifyResult(Enum):
    PASS = "pass"
    FAIL = "fail"


@strawberry.input
class VerificationInput:
    result: VerifyResult
    household_monthly_income: Decimal | None = None
    note: str = ""


@strawberry.type
class CaseSuccess:
    case: Case


__all__ = ["Case", "CaseConnection", "case_readable"]
