"""The rules of cases: submission, every workflow action, visibility, and the stage clocks."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tortoise.exceptions import IntegrityError

from api.aid_items import service as aid_items
from api.aid_items.models import AidItem
from api.applicants import service as applicants
from api.applicants.models import Applicant
from api.cases import repository
from api.cases.clocks import stage_clock, whole_case_due
from api.cases.errors import CaseNotFound, OpenCaseExists
from api.cases.models import Case, CaseEvent
from api.cases.workflow import (
    ASSIGNING_ROLES,
    STATUS_LABELS,
    STATUS_ROLES,
    STATUSES,
    TERMINAL,
    CaseView,
    Transition,
    decide,
)
from api.kit import clock
from api.kit.actors import Actor
from api.kit.db import publish_after_commit, unit_of_work
from api.kit.errors import ConflictError, DomainError, NotAllowedError, ValidationError, echo_all
from api.kit.forms import clean_form
from api.kit.idnumber import age_on
from api.settings import get_settings

KEY = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")
# Staff roles that read cases (inside their region); analysts read only aggregates and masked data.
ROLES_READING_CASES = frozenset(
    {"village_worker", "township_officer", "verifier", "approver", "finance", "supervisor", "analyst", "admin"}
)
ROLES_PROXY = frozenset({"village_worker", "township_officer"})


@dataclass
class SubmitInput:
    item_code: str
    submission_key: str
    form: dict = field(default_factory=dict)
    material_ids: list[str] = field(default_factory=list)
    emergency: bool = False
    applicant_id: int | None = None  # set when staff apply on someone's behalf
    draft_started_at: datetime | None = None


def case_channel(name: str) -> str:
    return f"case:{name}"


def region_channel(region_code: str) -> str:
    return f"region:{region_code}"


def _open_key(applicant_id: int, item_id: int) -> str:
    return f"{applicant_id}:{item_id}"


def live_event(event: CaseEvent) -> dict:
    """Returns what a subscriber shows of an event, as the case channel's message carries it (JSON-able: `data`
    is a JSON column already), so a subscriber that is up to date needs no database read."""
    return {"seq": event.seq, "action": event.action, "from_status": event.from_status,
            "to_status": event.to_status, "actor_kind": event.actor_kind, "actor_name": event.actor_name,
            "actor_role": event.actor_role, "comment": event.comment, "public": event.public, "data": event.data,
            "created_at": event.created_at.isoformat()}


def _messages(case: Case, event: CaseEvent) -> list[tuple[str, dict]]:
    message = {"case_id": case.id, "seq": event.seq, "status": case.status, "region": case.region_id,
               "action": event.action, "public": event.public}
    # the case's own channel carries the whole event; the work-queue channels of every ancestor (village,
    # township, district) only what a queue needs
    messages = [(case_channel(str(case.id)), {**message, "event": live_event(event)})]
    messages += [(region_channel(case.region_id[:n]), message) for n in (12, 9, 6)]
    return messages


async def _publish(case: Case, event: CaseEvent) -> None:
    _publish_all(_messages(case, event))


def _publish_all(messages: list[tuple[str, dict]]) -> None:
    publish_after_commit(messages)


async def _append_event(case: Case, actor: Actor, t: Transition, now: datetime) -> CaseEvent:
    # seq has no gaps: the event and the state change commit together, under the case's row lock
    case.last_seq += 1
    event = await repository.add_event(
        case_id=case.id, seq=case.last_seq, action=t.action, from_status=t.from_status, to_status=t.to_status,
        actor_kind=actor.kind, actor_staff_id=actor.staff_id, actor_name=actor.name or actor.role,
        actor_role=actor.role, comment=t.comment, public=t.public, data=t.data, created_at=now,
    )
    return event


PROXY_CONSENT = "proxy_consent"  # the material kind of the applicant's consent to a proxy application


async def submit(actor: Actor, data: SubmitInput) -> Case:
    """Creates a case (once per submission key) for the caller or, by staff, on someone's behalf."""
    key = (data.submission_key or "").strip()
    if not KEY.match(key):
        raise ValidationError("提交编号无效，请刷新页面后重试", code="submission_key_invalid", field="submissionKey")
    applicant = await _applicant_for_submit(actor, data.applicant_id)
    # a repeated key waits for the first submission to commit and then finds its case
    await repository.lock_applicant(applicant.id)
    item = await aid_items.get_by_code(data.item_code)
    open_key = _open_key(applicant.id, item.id)
    # one read for both: the case of this submission key (a retry) and the person's open case of this item
    found = await repository.by_submission_or_open_key(key, open_key)
    existing = next((c for c in found if c.submission_key == key), None)
    if existing is not None:
        if existing.applicant_id != applicant.id:
            raise ConflictError("提交编号已被使用，请刷新页面后重试", code="submission_key_taken", field="submissionKey")
        return existing
    if not item.enabled:
        raise ValidationError(f"「{item.name}」暂停受理", code="item_disabled", field="itemCode")
    form = clean_form(item.form, data.form)
    if data.emergency and not item.emergency_allowed:
        raise ValidationError(f"「{item.name}」不适用急难型救助", code="emergency_not_allowed", field="emergency")
    from api.materials import service as materials

    mats = await materials.for_submission(applicant.id, data.material_ids)
    have = {m.kind for m in mats}
    missing = [m["name"] for m in aid_items.required_materials(item) if m["code"] not in have]
    if missing:
        raise ValidationError(f"请上传：{'、'.join(missing)}", code="materials_missing", field="materialIds")
    if not actor.is_applicant and PROXY_CONSENT not in have:
        # 帮办代办 needs the person's own say-so: their signature on the screen or a photo of the signed form
        raise ValidationError("请取得申请人同意：请申请人在屏幕上签名，或上传签字的纸质同意书照片",
                              code="consent_missing", field="materialIds")
    open_case = next((c for c in found if c.open_key == open_key), None)
    if open_case is not None:
        raise OpenCaseExists(item.short_name, open_case.number)
    now = clock.now()
    draft_started_at = _draft_start(data.draft_started_at, now)
    c = stage_clock(status="submitted", stage_limits=item.stage_limits, now=now)
    channel = "self" if actor.is_applicant else "proxy"
    try:
        case = await repository.add(
            number=f"P{uuid.uuid4().hex[:18]}", applicant_id=applicant.id, item_id=item.id,
            region_id=applicant.region_id, channel=channel, proxy_by_id=actor.staff_id, status="submitted",
            emergency=bool(data.emergency), form_data=form, submission_key=key, open_key=open_key,
            submitted_at=now, draft_started_at=draft_started_at, stage_started_at=c.started_at, warn_at=c.warn_at, due_at=c.due_at,
        )
    except IntegrityError:
        raise ConflictError("该申请正在提交，请勿重复操作；稍后可在“我的申请”中查看", code="submit_race") from None
    case.number = f"DC{now.astimezone(UTC).year}-{case.id:06d}"
    await materials.attach(mats, case.id)
    comment = "工作人员代为提交（帮办代办）" if channel == "proxy" else ""
    event = await _append_event(case, actor, Transition("submit", None, "submitted", comment), now)
    await case.save(update_fields=["number", "last_seq"])
    await _publish(case, event)
    return case


def _draft_start(value: datetime | None, now: datetime) -> datetime | None:
    """When the draft began, as the phone says; only a figure for analytics (time to apply).

    A phone whose clock is wrong must not stop anyone's application: an implausible value (ahead of
    the server by more than 5 minutes, or older than 90 days) is not recorded rather than refused."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value > now + timedelta(minutes=5) or value < now - timedelta(days=90):
        return None
    return min(value, now)


async def _applicant_for_submit(actor: Actor, applicant_id: int | None) -> Applicant:
    if actor.is_applicant:
        profile = await applicants.own_profile(actor)
        if profile is None:
            raise ValidationError("请先填写实名信息（姓名、身份证号码、户籍地）再申请", code="profile_required")
        if applicant_id is not None and applicant_id != profile.id:
            raise NotAllowedError("只能为自己申请；如需代办请联系村(社区)工作人员", code="not_owner")
        return profile
    if actor.role not in ROLES_PROXY:
        raise NotAllowedError("只有村(社区)协理员和乡镇(街道)经办人可以代为申请", code="role_not_allowed")
    if applicant_id is None:
        raise ValidationError("请选择申请人", code="applicant_required", field="applicantId")
    applicant = await applicants.get_for(actor, applicant_id)
    return applicant


def can_read(actor: Actor, case: Case) -> bool:
    """Tells whether the caller may see this case."""
    if actor.is_applicant:
        return actor.applicant_id is not None and actor.applicant_id == case.applicant_id
    return actor.is_staff and actor.role in ROLES_READING_CASES and actor.covers(case.region_id)


async def get_for(actor: Actor, case_id: int, *, for_update: bool = False) -> Case:
    """Returns a case the caller may read (locked until the transaction ends when `for_update`), or
    CaseNotFound."""
    case = await repository.by_id(case_id, for_update=for_update)
    if case is None or not can_read(actor, case):
        raise CaseNotFound()
    return case


# The actions whose rules look at the applicant (a minor's case has no public notice: `workflow.decide`, review);
# for every other action the view skips reading the applicant.
ACTIONS_ON_APPLICANT_AGE = frozenset({"review"})


async def _view(case: Case, item: AidItem, now: datetime, applicant: Applicant | None = None, *,
                with_applicant: bool = True) -> CaseView:
    minor = False
    if with_applicant:
        if applicant is None or applicant.id != case.applicant_id:
            applicant = await applicants.repository.get(case.applicant_id)
        minor = applicant is not None and age_on(applicant.birth_date, now.date()) < 18
    return CaseView(status=case.status, route=aid_items.route_of(item), region_code=case.region_id,
                    applicant_id=case.applicant_id, channel=case.channel, submitted_at=case.submitted_at,
                    emergency=case.emergency, notice_until=case.notice_until, applicant_is_minor=minor,
                    extended=case.extended)


async def act(actor: Actor, case_id: int, action: str, data: dict | None = None, *,
              client_key: str | None = None, locked: Case | None = None) -> tuple[Case, CaseEvent]:
    """Takes one workflow action on a case: checks it, changes the state, appends the event.

    With a `client_key` (a record made offline and sent later), sending the same record again changes nothing
    and answers as the first time did. A caller that already holds the case's row lock in this transaction
    (`repository.by_id(case_id, for_update=True)`) passes the case as `locked`, which spares the read."""
    case = locked if locked is not None and locked.id == case_id else await repository.by_id(case_id, for_update=True)
    if case is None or not (can_read(actor, case) or actor.kind in ("system", "province")):
        raise CaseNotFound()
    if client_key is not None:
        if not KEY.match(client_key):
            raise ValidationError("记录编号无效", code="client_key_invalid", field="clientKey")
        for earlier in await repository.events_of(case.id, public_only=False):
            if earlier.action == action and (earlier.data or {}).get("client_key") == client_key:
                return case, earlier
        data = {**(data or {}), "client_key": client_key}
    if action == "assign":
        data = {**(data or {}), "current_assignee_id": case.assignee_id}
    item = await aid_items.get_by_id(case.item_id)
    now = clock.now()
    settings = get_settings()
    notice = timedelta(seconds=settings.demo_notice_seconds) if settings.demo_notice_seconds else None
    try:
        view = await _view(case, item, now, with_applicant=action in ACTIONS_ON_APPLICANT_AGE)
        t = decide(action, view, actor, data, now,
                   withdraw_grace=timedelta(minutes=settings.withdraw_grace_minutes), notice_length=notice)
    except ConflictError as e:
        if client_key is not None and e.code == "invalid_transition":
            # an offline record that arrives after the case moved on is flagged for the worker, never applied
            raise ConflictError(f"该申请已进入「{STATUS_LABELS[case.status]}」，这条离线记录未提交，请核对后处理",
                                code="case_moved_on") from None
        raise
    if client_key is not None:
        t.data = {**t.data, "client_key": client_key}
    _apply(case, item, t, now)
    event = await _append_event(case, actor, t, now)
    case.updated_at = now
    await repository.save_many([case], ACTED_FIELDS)  # what an action may change, with SQL prepared once
    if t.action == "accept" and item.syncs_to_province:
        from api.province import service as province

        await province.request_push(case.id, case.number)
    await _publish(case, event)
    return case, event


# Every field of a case that a workflow action may change (`_apply`, the event's seq): what `act_many` writes.
ACTED_FIELDS = ("status", "assignee_id", "accepted_at", "case_due_at", "investigation", "verification",
                "notice_until", "amount", "start_month", "decided_at", "decision_reason", "extended",
                "extension_reason", "closed_at", "open_key", "stage_started_at", "warn_at", "due_at", "clock_flag",
                "last_seq", "updated_at")


async def act_many(steps: list[tuple[Actor, Case, str, dict | None]]) -> list[CaseEvent | DomainError]:
    """Takes workflow actions on several cases at once, for the system and the province (the provincial round
    trip, in batches): each step (actor, case, action, data) is checked and applied as `act` would, and the
    writes of all of them go out in one round trip per table instead of two statements a step.

    Every case must be locked by the caller in this transaction (`repository.by_ids_for_update`). A case may
    take several steps, in the order given; they count together: when one of them is refused, none of that
    case's steps is written and each of them answers with the error. The answer has one entry per step, the
    event or the error, in order; the events are published after the commit, as `act` publishes."""
    if any(actor.kind not in ("system", "province") for actor, *_ in steps):
        raise NotAllowedError("只有系统与省级系统可以批量办理", code="role_not_allowed")
    now = clock.now()
    settings = get_settings()
    notice = timedelta(seconds=settings.demo_notice_seconds) if settings.demo_notice_seconds else None
    grace = timedelta(minutes=settings.withdraw_grace_minutes)
    items: dict[int, AidItem] = {}
    before: dict[int, dict] = {}  # each case's fields before its first step, to undo a case whose step is refused
    refused: dict[int, DomainError] = {}
    answers: list[CaseEvent | DomainError] = []
    made: list[tuple[Case, CaseEvent, list[tuple[str, dict]], bool]] = []
    for actor, case, action, data in steps:
        if case.id in refused:
            answers.append(refused[case.id])
            continue
        item = items.get(case.item_id)
        if item is None:
            item = items[case.item_id] = await aid_items.get_by_id(case.item_id)
        before.setdefault(case.id, {name: getattr(case, name) for name in ACTED_FIELDS})
        try:
            view = await _view(case, item, now, with_applicant=action in ACTIONS_ON_APPLICANT_AGE)
            t = decide(action, view, actor, data, now, withdraw_grace=grace, notice_length=notice)
        except DomainError as e:
            refused[case.id] = e
            for name, value in before[case.id].items():
                setattr(case, name, value)
            answers.append(e)
            continue
        _apply(case, item, t, now)
        case.last_seq += 1
        event = CaseEvent(case_id=case.id, seq=case.last_seq, action=t.action, from_status=t.from_status,
                          to_status=t.to_status, actor_kind=actor.kind, actor_staff_id=actor.staff_id,
                          actor_name=actor.name or actor.role, actor_role=actor.role, comment=t.comment,
                          public=t.public, data=t.data, created_at=now)
        made.append((case, event, _messages(case, event), t.action == "accept" and item.syncs_to_province))
        answers.append(event)
    made = [m for m in made if m[0].id not in refused]
    for i, answer in enumerate(answers):  # a step answered before a later step of its case was refused
        if isinstance(answer, CaseEvent) and answer.case_id in refused:
            answers[i] = refused[answer.case_id]
    if not made:
        return answers
    for case, *_ in made:
        case.updated_at = now
    await repository.save_many([case for case, *_ in made], ACTED_FIELDS)
    await repository.add_events([event for _, event, _, _ in made])
    for case, _, _, pushes in made:
        if pushes:
            from api.province import service as province

            await province.request_push(case.id, case.number)
    _publish_all([message for _, _, messages, _ in made for message in messages])
    return answers


def _apply(case: Case, item: AidItem, t: Transition, now: datetime) -> None:
    if t.action == "comment":
        return  # an internal note changes nothing about the case: status and clocks stay as they are
    if t.action == "assign":
        case.assignee_id = t.data["assignee_id"]
        return  # who handles it changes, status and clocks stay as they are
    case.status = t.to_status
    if t.action == "accept":
        case.accepted_at = now
        case.case_due_at = whole_case_due(now, item.whole_case_working_days)
    elif t.action == "investigate":
        case.investigation = t.data
    elif t.action == "verify":
        case.verification = t.data
    elif t.action == "review" and t.data.get("notice_until"):
        case.notice_until = datetime.fromisoformat(t.data["notice_until"])
    elif t.action in ("approve", "province_decide") and t.to_status != "rejected":
        case.amount = Decimal(t.data["amount"])
        case.start_month = t.data["start_month"]
        case.decided_at = now
    elif t.action in ("reject", "province_decide", "refuse"):
        case.decision_reason = t.comment
        case.decided_at = now
    elif t.action == "extend":
        case.extended = True
        case.extension_reason = t.comment
        if case.accepted_at is not None:
            case.case_due_at = whole_case_due(case.accepted_at, item.whole_case_extended_working_days)
        return  # the stage clock runs on
    if t.to_status == "closed":
        case.closed_at = now
    if t.to_status in TERMINAL:
        case.open_key = None
    elif case.open_key is None:
        case.open_key = _open_key(case.applicant_id, case.item_id)
    emergency_hours = item.emergency_hours if case.emergency else None
    c = stage_clock(status=t.to_status, stage_limits=item.stage_limits, now=now, emergency_hours=emergency_hours,
                    starts_at=case.notice_until if t.to_status == "approving" else None)
    case.stage_started_at, case.warn_at, case.due_at = c.started_at, c.warn_at, c.due_at
    case.clock_flag = "ok"
    if emergency_hours and case.accepted_at and t.to_status in ("approving", "approved"):
        # emergency 临时救助: help must be paid within 48 hours of acceptance, approval and payment together
        case.warn_at = case.accepted_at + timedelta(hours=emergency_hours * 0.75)
        case.due_at = case.accepted_at + timedelta(hours=emergency_hours)
    # the whole-case limit runs from acceptance until the decision
    if t.to_status in TERMINAL or t.to_status in ("returned", "approved"):
        case.case_due_at = None


async def assign(actor: Actor, case_id: int, assignee_id: int, reason: str) -> Case:
    """Assigns (or reassigns) a case to a staff member of its area whose role acts on its current stage."""
    from api.accounts import repository as accounts

    staff = await accounts.staff_by_id(assignee_id)
    assignee = None if staff is None else {"id": staff.id, "name": staff.display_name, "role": staff.role,
                                           "region": staff.region_id, "disabled": staff.disabled}
    case, _ = await act(actor, case_id, "assign", {"assignee": assignee, "reason": reason})
    return case


def can_assign(actor: Actor, case: Case) -> bool:
    """Tells whether the caller may assign this case to someone (offered on the case page)."""
    return (actor.is_staff and actor.role in ASSIGNING_ROLES and actor.covers(case.region_id)
            and case.status not in TERMINAL)


async def assignees(actor: Actor, case_id: int) -> list:
    """Returns the staff a case may be assigned to now: active accounts of its area whose role acts on its stage."""
    case = await get_for(actor, case_id)
    if not can_assign(actor, case):
        raise NotAllowedError("您不能指派该申请", code="role_not_allowed")
    roles = STATUS_ROLES.get(case.status, ())
    # the case's village and each of its ancestors (township, district)
    regions = [case.region_id[:n] for n in (6, 9, 12) if len(case.region_id) >= n]
    return await repository.staff_for(roles=list(roles), regions=regions)


async def events_for(actor: Actor, case: Case | int, after_seq: int = 0) -> list[CaseEvent]:
    """Returns the events of a case (or of a case id the caller was allowed to read) the caller may see
    (applicants see public steps only)."""
    case_id = case if isinstance(case, int) else case.id
    return await repository.events_of(case_id, public_only=not actor.is_staff, after_seq=after_seq)


@dataclass
class CaseFilter:
    statuses: list[str] | None = None
    item_codes: list[str] | None = None
    region_code: str | None = None
    channel: str | None = None
    clock: str | None = None  # warning | overdue
    proxy_by_me: bool = False
    assigned_to_me: bool = False


async def page(actor: Actor, f: CaseFilter, *, first: int, after_id: int | None) -> list[Case]:
    """Returns up to `first` + 1 cases visible to the caller, newest first, after the cursor."""
    if f.statuses:
        bad = [s for s in f.statuses if s not in STATUSES]
        if bad:
            raise ValidationError(f"未知的状态：{echo_all(bad)}", code="status_invalid", field="status")
    if f.channel and f.channel not in ("self", "proxy", "counter"):
        raise ValidationError("渠道应为 self、proxy 或 counter", code="channel_invalid", field="channel")
    if f.clock and f.clock not in ("warning", "overdue"):
        raise ValidationError("时限筛选应为 warning 或 overdue", code="clock_invalid", field="clock")
    item_ids = None
    if f.item_codes:
        item_ids = [(await aid_items.get_by_code(code)).id for code in f.item_codes]
    region_prefix = None
    applicant_id = None
    if actor.is_applicant:
        if actor.applicant_id is None:
            return []
        applicant_id = actor.applicant_id
    elif actor.is_staff and actor.role in ROLES_READING_CASES:
        region_prefix = actor.region_code or ""
        if f.region_code:
            if not f.region_code.startswith(region_prefix):
                raise NotAllowedError("只能查看本辖区的申请", code="outside_region", field="regionCode")
            region_prefix = f.region_code
    else:
        raise NotAllowedError("请先登录", code="unauthenticated")
    proxy_by = actor.staff_id if (f.proxy_by_me and actor.is_staff) else None
    if f.proxy_by_me and proxy_by is None:
        return []
    assignee = actor.staff_id if (f.assigned_to_me and actor.is_staff) else None
    if f.assigned_to_me and assignee is None:
        return []
    return await repository.page(region_prefix=region_prefix, applicant_id=applicant_id, statuses=f.statuses,
                                 item_ids=item_ids, channel=f.channel, clock=f.clock, now=clock.now(),
                                 after_id=after_id, limit=first + 1, proxy_by=proxy_by, assignee=assignee)


async def scan_clocks(*, limit: int = 500) -> dict[str, int]:
    """Raises warning and overdue flags and ends public notices whose time has come; tells the work queues."""
    now = clock.now()
    counts = {}
    for flag, finder, values in (
        ("clock_overdue", repository.newly_overdue, {"clock_flag": "overdue"}),
        ("clock_warning", repository.newly_warning, {"clock_flag": "warning"}),
        ("notice_ended", repository.notice_just_ended, {"notice_ended": True}),
    ):
        async with unit_of_work():
            found = await finder(now, limit)
            if flag == "clock_warning":
                found = [c for c in found if not (c.due_at and c.due_at <= now)]
            if found:
                await repository.set_flags([c.id for c in found], **values)
            for case in found:
                _announce(case, flag)
        counts[flag] = len(found)
    return counts


def _announce(case: Case, action: str) -> None:
    message = {"case_id": case.id, "seq": case.last_seq, "status": case.status, "region": case.region_id,
               "action": action, "public": False}

    publish_after_commit([(region_channel(case.region_id[:n]), message) for n in (12, 9, 6)])


STAGE_LABELS = {"accept": "受理", "investigate": "入户调查", "verify": "家庭经济状况核对", "review": "审核公示",
                "approve": "审批", "province": "省级审核", "pay": "资金发放"}


@dataclass
class PlannedStep:
    stage: str
    label: str
    state: str  # done | current | waiting (on the applicant) | upcoming | skipped
    due_at: datetime | None


def planned_steps(case: Case, item: AidItem, *, now: datetime | None = None) -> list[PlannedStep]:
    """Returns the route's steps for this case: done, in progress, and to come with estimated due dates."""
    from api.cases.workflow import STATUS_STAGE
    from api.kit.workdays import WorkCalendar

    stages = list(aid_items.route_of(item).for_case(case.emergency))
    status = case.status
    if status in ("closed",) or (status == "approved" and "pay" not in stages):
        return [PlannedStep(s, STAGE_LABELS[s], "done", None) for s in stages]
    if status in ("refused", "withdrawn", "rejected"):
        stopped_at = {"refused": "accept", "withdrawn": None, "rejected": "approve"}[status]
        if status == "rejected" and "province" in stages:
            stopped_at = "province"
        out, reached = [], stopped_at is None
        for s in stages:
            if reached:
                out.append(PlannedStep(s, STAGE_LABELS[s], "skipped", None))
            else:
                out.append(PlannedStep(s, STAGE_LABELS[s], "done", None))
                reached = s == stopped_at
        return out
    current = "accept" if status == "returned" else STATUS_STAGE.get(status, "pay")
    calendar = WorkCalendar.default()
    cursor = case.due_at or now or clock.now()
    out = []
    seen_current = False
    for s in stages:
        if s == current:
            seen_current = True
            out.append(PlannedStep(s, STAGE_LABELS[s], "waiting" if status == "returned" else "current", case.due_at))
        elif not seen_current:
            out.append(PlannedStep(s, STAGE_LABELS[s], "done", None))
        else:
            days = (item.stage_limits.get(s) or {}).get("working_days")
            if s == "review" and item.notice_days:
                cursor = cursor + timedelta(days=item.notice_days)
            cursor = calendar.add_working_time(cursor, days) if days else cursor
            out.append(PlannedStep(s, STAGE_LABELS[s], "upcoming", cursor if days else None))
    return out


# enough data for each action to pass its input checks, so only role, region and state decide
_PROBE = {
    "return": {"reason": "-"}, "refuse": {"reason": "-"}, "reject": {"reason": "-"}, "extend": {"reason": "-"},
    "investigate": {"investigators": ["甲", "乙"], "visited_at": "2000-01-01T00:00:00+00:00", "conclusion": "-"},
    "verify": {"result": "pass"}, "approve": {"amount": "1", "start_month": "2000-01"},
    "pay_record": {"result": "paid", "amount": "1", "month": "2000-01"},
}
OFFERED = ("accept", "return", "refuse", "investigate", "verify", "review", "approve", "reject", "pay_start",
           "close", "extend", "withdraw", "resubmit")


async def available_actions(actor: Actor, case: Case, item: AidItem | None = None,
                            applicant: Applicant | None = None) -> list[str]:
    """Returns the actions the caller may take on the case now (the ones a client should offer).

    A list of cases passes the item and applicant from its DataLoaders, so a page costs no query per case."""
    from api.kit.errors import DomainError

    item = item or await aid_items.get_by_id(case.item_id)
    now = clock.now()
    view = await _view(case, item, now, applicant)
    out = []
    for action in OFFERED:
        try:
            decide(action, view, actor, _PROBE.get(action, {}), now,
                   withdraw_grace=timedelta(minutes=get_settings().withdraw_grace_minutes))
        except DomainError:
            continue
        out.append(action)
    return out


BOARD_ROLES = frozenset({"supervisor", "township_officer", "approver", "verifier", "admin"})


@dataclass
class BoardRow:
    key: str  # a township code, an item code or a status
    label: str
    warning: int
    overdue: int


async def clock_board(actor: Actor) -> dict[str, list[BoardRow]]:
    """The supervisors' overdue board: open cases of the caller's region past 75% of their limit or past it,
    by township, by item and by stage. The database counts them; this only adds the names."""
    from api.regions import repository as regions

    if not (actor.is_staff and actor.role in BOARD_ROLES):
        raise NotAllowedError("无权查看超时督办", code="role_not_allowed")
    rows = await repository.clock_groups(actor.region_code or "", clock.now())
    townships: dict[str, list[int]] = {}
    items: dict[int, list[int]] = {}
    stages: dict[str, list[int]] = {}
    for r in rows:
        for index, key in ((townships, r["region_id"][:9]), (items, r["item_id"]), (stages, r["status"])):
            acc = index.setdefault(key, [0, 0])
            acc[0] += r["warning"]
            acc[1] += r["overdue"]
    names = {g.code: g.name for g in await regions.get_many(list(townships))}
    item_rows = {i.id: i for i in await aid_items.repository.by_ids(list(items))}

    def ordered(index: dict, key_of, label_of) -> list[BoardRow]:
        out = [BoardRow(key_of(k), label_of(k), w, o) for k, (w, o) in index.items()]
        return sorted(out, key=lambda b: (-b.overdue, -b.warning, b.key))

    return {
        "township": ordered(townships, str, lambda k: names.get(k, k)),
        "item": ordered(items, lambda k: item_rows[k].code, lambda k: item_rows[k].short_name),
        "stage": ordered(stages, str, lambda k: STATUS_LABELS.get(k, k)),
    }


async def counts(actor: Actor) -> list[dict]:
    """Returns, per status, how many cases in the caller's region there are, and how many are warning or overdue."""
    if not (actor.is_staff and actor.role in ROLES_READING_CASES):
        raise NotAllowedError("无权查看", code="role_not_allowed")
    return await repository.counts(actor.region_code or "", clock.now())
