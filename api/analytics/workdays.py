"""The working-day index: day number → working days before it, so SQL measures working time by subtraction.

Counting working days row by row in Python would mean loading cases; instead the database joins each
timestamp to a small table (`workday_index`, one row per day from 2000 to 2060) and subtracts:

    W(t) = idx(day of t) + work(day of t) × (fraction of that day elapsed at t)
    working days between a and b = W(b) − W(a)

which is exactly what `WorkCalendar.working_days_between` computes, day by day, in Asia/Shanghai.
"""

from __future__ import annotations

import bisect
import math
from datetime import UTC, date, datetime, timedelta

from api.kit.workdays import WorkCalendar

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2060, 12, 31)
EPOCH = date(1970, 1, 1)
SHANGHAI_OFFSET = 8 * 3600  # China has kept UTC+8 without daylight saving since 1991
DAY = 86400


def day_number(d: date) -> int:
    """Returns the day's number counted from 1970-01-01."""
    return (d - EPOCH).days


def is_workday(calendar: WorkCalendar, d: date) -> bool:
    """Tells whether the day is worked, like `WorkCalendar.is_workday` but without warning for unknown years."""
    data = calendar.years.get(d.year)
    if data is None:
        return d.weekday() < 5
    if d in data.holidays:
        return False
    return d in data.workdays or d.weekday() < 5


def index_rows(calendar: WorkCalendar | None = None) -> list[tuple[int, int, int]]:
    """Returns (day number, working days before the day, 1 when worked) for every day of the index."""
    calendar = calendar or WorkCalendar.default()
    rows, before, d = [], 0, FIRST_DAY
    while d <= LAST_DAY:
        worked = 1 if is_workday(calendar, d) else 0
        rows.append((day_number(d), before, worked))
        before += worked
        d += timedelta(days=1)
    return rows


def fingerprint(rows: list[tuple[int, int, int]]) -> tuple[int, int, int]:
    """Returns (rows, worked days, sum of worked day numbers): what tells a stale table from a fresh one."""
    return len(rows), sum(r[2] for r in rows), sum(r[0] for r in rows if r[2])


class WorkdayIndex:
    """Working-day arithmetic in Python over the same index (for the data generator, where speed matters)."""

    def __init__(self, calendar: WorkCalendar | None = None) -> None:
        rows = index_rows(calendar)
        self.first = rows[0][0]
        self.before = [r[1] for r in rows]
        self.worked = [r[2] for r in rows]
        self.days = [r[0] for r in rows if r[2]]  # worked day numbers, ascending

    @staticmethod
    def local_day(moment: datetime) -> int:
        """Returns the Shanghai day number of an instant."""
        return math.floor((moment.timestamp() + SHANGHAI_OFFSET) / DAY)

    def is_worked(self, day: int) -> bool:
        return bool(self.worked[day - self.first])

    def working_time(self, moment: datetime) -> float:
        """Returns W(t): working days elapsed from the start of the index to the instant."""
        local = (moment.timestamp() + SHANGHAI_OFFSET) / DAY
        day = math.floor(local)
        i = day - self.first
        return self.before[i] + self.worked[i] * (local - day)

    def between(self, start: datetime, end: datetime) -> float:
        """Returns the working days from start to end (0 when end is not after start)."""
        return max(0.0, self.working_time(end) - self.working_time(start))

    def add(self, start: datetime, working_days: float) -> datetime:
        """Returns the instant at which `working_days` of working time have passed after start."""
        target = self.working_time(start) + working_days
        whole = math.floor(target)
        day = self.days[whole]
        seconds = day * DAY - SHANGHAI_OFFSET + (target - whole) * DAY
        return datetime.fromtimestamp(seconds, UTC)

    def nth_after(self, day: int, n: int) -> int:
        """Returns the n-th worked day strictly after `day` (n ≥ 1)."""
        return self.days[bisect.bisect_right(self.days, day) + n - 1]

    def worked_on_or_after(self, day: int) -> int:
        """Returns the first worked day on or after `day`."""
        return self.days[bisect.bisect_left(self.days, day)]

    @staticmethod
    def at(day: int, seconds_into_day: float) -> datetime:
        """Returns the UTC instant `seconds_into_day` after Shanghai midnight of the day."""
        return datetime.fromtimestamp(day * DAY - SHANGHAI_OFFSET + seconds_into_day, UTC)
