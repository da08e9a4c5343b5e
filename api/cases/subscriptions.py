"""Live progress: a case's steps as they happen, and each staff member's work queue."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from api.cases import service
from api.cases.errors import CaseNotFound
from api.cases.types import CaseEvent, CaseStatus
from api.cases.workflow import ACTIONS, STATUSES
from api.graphql.payloads import parse_id, require_signed_in
from api.graphql.websocket import closer_for_slow_subscriber
from api.kit.actors import Actor
from api.kit.broker import get_broker
from api.kit.errors import NotAllowedError, ValidationError

# Messages one subscription may fall behind by before its connection is closed.
LIVE_QUEUE = 256
# The statuses each staff role works on: its queue shows cases entering, leaving or changing in them.
QUEUE_STATUSES: dict[str, frozenset[str]] = {
    "village_worker": frozenset({"submitted", "returned", "investigating"}),
    "township_officer": frozenset({"submitted", "returned", "investigating", "reviewing", "approving", "approved"}),
    "verifier": frozenset({"verifying"}),
    "approver": frozenset({"approving", "province_review", "approved"}),
    "finance": frozenset({"approved", "paying"}),
    "supervisor": frozenset(STATUSES),
}


REPLAY: dict = {}  # what `_steps` is given for the replay: no seq, so everything after `handled` is read


async def _steps(actor: Actor, case_id: int, *, handled: int, message: dict) -> tuple[int, list[CaseEvent]]:
    """Returns the highest seq handled once `message` is, and the steps it makes the subscriber send.

    Subscribe first, then read: an event committed in between is both read and announced, and taking only
    what lies past the highest seq handled drops the duplicate."""
    announced = message.get("seq")  # none for the replay and on a resync after a broker outage: read
    if announced is not None and announced <= handled:
        return handled, []
    event = message.get("event")
    if event is not None and announced == handled + 1:
        # the next step, carried whole by the message: every earlier one is handled, so no read
        shown = actor.is_staff or event["public"]
        return announced, [CaseEvent.from_model(LiveEvent(event), for_staff=actor.is_staff,
                                                for_analyst=actor.role == "analyst")] if shown else []
    # the replay, a gap (a message lost or overtaken on the way) or a resync: read from the database
    steps = []
    for stored in await service.events_for(actor, case_id, after_seq=handled):
        handled = stored.seq
        steps.append(CaseEvent.from_model(stored, for_staff=actor.is_staff, for_analyst=actor.role == "analyst"))
    # events up to the announced one are committed, so none of them can turn up later
    return max(handled, announced or 0), steps


class LiveEvent:
    """A case event as its channel's message carries it (`service.live_event`): what `CaseEvent.from_model`
    reads of the stored event, in a plain object with few parts for the collector to walk."""

    __slots__ = ("seq", "action", "from_status", "to_status", "actor_kind", "actor_name", "actor_role", "comment",
                 "public", "data", "created_at")

    def __init__(self, event: dict) -> None:
        self.seq = event["seq"]
        self.action = event["action"]
        self.from_status = event["from_status"]
        self.to_status = event["to_status"]
        self.actor_kind = event["actor_kind"]
        self.actor_name = event["actor_name"]
        self.actor_role = event["actor_role"]
        self.comment = event["comment"]
        self.public = event["public"]
        self.data = event["data"]
        self.created_at = datetime.fromisoformat(event["created_at"])


@strawberry.type(description="A case entering, leaving or changing in the caller's work queue.")
class WorkQueueItem:
    case_id: strawberry.ID
    number: str
    status: CaseStatus
    action: str = strawberry.field(description="The workflow action, or clock_warning, clock_overdue, notice_ended.")
    seq: int = strawberry.field(description="The case's last step when this happened.")
    item_code: str
    in_queue: bool = strawberry.field(description="False when the case has just left the caller's stages.")


@strawberry.type
class CaseSubscriptions:
    @strawberry.subscription(description="A case's steps after `afterSeq`, then each new one as it happens; "
                                         "reconnect with the last seq received to miss nothing.")
    async def case_progress(self, info: strawberry.Info, case_id: strawberry.ID,
                            after_seq: int = 0) -> AsyncGenerator[CaseEvent, None]:
        require_signed_in(info.context)
        if after_seq < 0:
            raise ValidationError("afterSeq 不能小于0", code="after_seq_invalid", field="afterSeq")
        actor = info.context.actor
        # only the id is kept: a subscription lives for hours, and the fewer objects it holds, the shorter a
        # full collection over every live subscription is
        case = (await service.get_for(actor, parse_id(case_id))).id
        async with get_broker().subscribe(service.case_channel(str(case)), max_queue=LIVE_QUEUE,
                                          on_overflow=closer_for_slow_subscriber(info.context)) as live:
            handled, steps = await _steps(actor, case, handled=after_seq, message=REPLAY)
            while True:
                # nothing sent is held while waiting (hours, often): a step goes out of the list as it is sent
                while steps:
                    yield steps.pop(0)
                try:
                    handled, steps = await _steps(actor, case, handled=handled, message=await anext(live))
                except StopAsyncIteration:
                    return

    @strawberry.subscription(description="For staff: cases entering, leaving or changing in their region and "
                                         "stages (new submissions, returns, warnings, overdue).")
    async def work_queue(self, info: strawberry.Info) -> AsyncGenerator[WorkQueueItem, None]:
        require_signed_in(info.context)
        actor = info.context.actor
        statuses = QUEUE_STATUSES.get(actor.role) if actor.is_staff else None
        if statuses is None or not actor.region_code:
            raise NotAllowedError("只有经办申请的工作人员可以订阅待办", code="role_not_allowed")
        async with get_broker().subscribe(service.region_channel(actor.region_code), max_queue=LIVE_QUEUE,
                                          on_overflow=closer_for_slow_subscriber(info.context)) as live:
            async for message in live:
                if "case_id" not in message:
                    continue  # a resync after a broker outage: the queue itself is re-read with `cases`
                item = await _queue_item(info, statuses, message)
                if item is not None:
                    yield item


async def _queue_item(info: strawberry.Info, statuses: frozenset[str], message: dict) -> WorkQueueItem | None:
    actor = info.context.actor
    try:
        case = await service.get_for(actor, int(message["case_id"]))
    except CaseNotFound:
        return None  # no longer visible to the caller
    status, seq, action = message["status"], int(message["seq"]), message["action"]
    in_queue = status in statuses
    if not in_queue:
        if action not in ACTIONS:
            return None
        # a step that takes the case out of the caller's stages is news too
        events = await service.events_for(actor, case, after_seq=seq - 1)
        if not any(e.seq == seq and e.from_status in statuses for e in events):
            return None
    item = await info.context.loaders.item.load(case.item_id)
    return WorkQueueItem(case_id=strawberry.ID(str(case.id)), number=case.number, status=CaseStatus(status),
                         action=action, seq=seq, item_code=item.code, in_queue=in_queue)
