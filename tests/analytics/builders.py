"""Hand-made data for statistics: cases with exact timelines, written straight to the tables."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from api.aid_items.models import AidItem
from api.applicants.models import Applicant
from api.cases.models import Case, CaseEvent
from api.province.models import ProvinceSync
from api.surveys.models import Satisfaction
from tests.factories import XINQIAO

SHANGHAI = ZoneInfo("Asia/Shanghai")
_n = itertools.count(1)
DECIDING = {"approve", "reject", "refuse", "province_decide"}


def at(day: str, clock: str = "09:00") -> datetime:
    """Returns a Shanghai wall-clock moment, e.g. at("2026-03-09", "09:00")."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SHANGHAI)


async def person(*, birth: date = date(1950, 6, 1), region: str = XINQIAO, name: str | None = None) -> Applicant:
    """Writes an applicant (the ID and bank fields are placeholders: statistics never read them)."""
    n = next(_n)
    return await Applicant.create(name=name or f"测试人{n:04d}", id_number_enc="x", id_number_hash=f"h{n}",
                                  id_masked="511703********0000", birth_date=birth, sex="female",
                                  phone=f"139{n:08d}", address="新桥村1组", region_id=region)


async def case(applicant: Applicant | None = None, *, item: str = "dibao", channel: str = "self",
               submitted: datetime | None = None, steps: list[tuple[str, str, datetime]] | None = None,
               draft_started: datetime | None = None, notice_until: datetime | None = None, extended: bool = False,
               warn_at: datetime | None = None, due_at: datetime | None = None,
               case_due_at: datetime | None = None) -> Case:
    """Writes a case submitted at `submitted` whose events are the submission then `steps`
    (action, new status, when); the status, acceptance and decision times follow from the steps."""
    applicant = applicant or await person()
    submitted = submitted or at("2026-03-09")
    n = next(_n)
    aid_item = await AidItem.get(code=item)
    timeline = [("submit", None, "submitted", submitted)]
    status = "submitted"
    for action, to, when in steps or []:
        timeline.append((action, status, to, when))
        status = to
    accepted = next((w for a, _, _, w in timeline if a == "accept"), None)
    decided = next((w for a, _, _, w in timeline if a in DECIDING), None)
    closed = next((w for a, _, to, w in timeline if to == "closed"), None)
    c = await Case.create(number=f"T{n:08d}", applicant_id=applicant.id, item_id=aid_item.id,
                          region_id=applicant.region_id, channel=channel, status=status, submission_key=f"k{n:010d}",
                          submitted_at=submitted, draft_started_at=draft_started, accepted_at=accepted,
                          decided_at=decided, closed_at=closed, notice_until=notice_until, extended=extended,
                          warn_at=warn_at, due_at=due_at, case_due_at=case_due_at, last_seq=len(timeline))
    for seq, (action, frm, to, when) in enumerate(timeline, start=1):
        await CaseEvent.create(case_id=c.id, seq=seq, action=action, from_status=frm, to_status=to,
                               actor_kind="staff", actor_name="测试", actor_role="township_officer", created_at=when)
    return c


def route(start: datetime, *durations_in_days: float, item_route: tuple[str, ...] = (
        "accept", "investigate", "verify", "review", "approve")) -> list[tuple[str, str, datetime]]:
    """Returns steps through a route, each stage taking the given calendar days after the previous one."""
    status_after = {"accept": "investigating", "investigate": "verifying", "verify": "reviewing",
                    "review": "approving", "approve": "approved"}
    steps, when = [], start
    for action, days in zip(item_route, durations_in_days, strict=False):
        when = when + timedelta(days=days)
        steps.append((action, status_after[action], when))
    return steps


async def survey(c: Case, rating: int, *, ease: int | None = None, comment: str = "",
                 created: datetime | None = None) -> Satisfaction:
    return await Satisfaction.create(case_id=c.id, rating=rating, ease=ease, comment=comment,
                                     created_at=created or at("2026-06-01"))


async def sync(c: Case, *, created: datetime, pushed: datetime | None = None, decided: datetime | None = None,
               state: str = "decided", attempts: int = 0) -> ProvinceSync:
    return await ProvinceSync.create(case_id=c.id, request_id=f"{c.number}-GL", state=state, attempts=attempts,
                                     created_at=created, pushed_at=pushed, decided_at=decided)
