"""Stage clocks in working days: warn at 75% of a stage's limit, overdue at 100%."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from api.cases.workflow import STATUS_STAGE, TERMINAL
from api.kit.workdays import WorkCalendar

WARN_SHARE = 0.75


@dataclass(frozen=True)
class Clock:
    started_at: datetime | None
    warn_at: datetime | None
    due_at: datetime | None


STOPPED = Clock(None, None, None)


def stage_clock(*, status: str, stage_limits: dict, now: datetime, emergency_hours: int | None = None,
                starts_at: datetime | None = None, calendar: WorkCalendar | None = None) -> Clock:
    """Returns the clock of the stage a case enters with `status` (stopped while waiting on the applicant)."""
    if status in TERMINAL or status == "returned":
        return STOPPED
    stage = STATUS_STAGE.get(status)
    start = max(now, starts_at) if starts_at else now
    if emergency_hours and status == "approving":
        return Clock(start, start + timedelta(hours=emergency_hours * WARN_SHARE),
                     start + timedelta(hours=emergency_hours))
    limit = (stage_limits.get(stage) or {}).get("working_days") if stage else None
    if not limit:
        return Clock(start, None, None)
    cal = calendar or WorkCalendar.default()
    return Clock(start, cal.add_working_time(start, limit * WARN_SHARE), cal.add_working_time(start, limit))


def whole_case_due(accepted_at: datetime, working_days: int | None,
                   calendar: WorkCalendar | None = None) -> datetime | None:
    """Returns when the whole case is due (低保: 30 working days from acceptance, 45 once extended)."""
    if not working_days:
        return None
    return (calendar or WorkCalendar.default()).add_working_time(accepted_at, working_days)


def clock_state(*, warn_at: datetime | None, due_at: datetime | None, case_due_at: datetime | None,
                now: datetime) -> str:
    """Returns 'overdue', 'warning' or 'ok'."""
    if (due_at and due_at <= now) or (case_due_at and case_due_at <= now):
        return "overdue"
    if warn_at and warn_at <= now:
        return "warning"
    return "ok"
