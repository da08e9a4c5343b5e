"""Working days (工作日) in Asia/Shanghai: weekends and public holidays off, make-up working days on."""

from __future__ import annotations

import functools
import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
CALENDAR_DIR = Path(__file__).parent / "calendar"
_ONE_DAY = timedelta(days=1)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class YearData:
    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    source: str = ""
    provisional: bool = False

    def __post_init__(self) -> None:
        strays = sorted(d for d in self.holidays | self.workdays if d.year != self.year)
        if strays:
            raise ValueError(f"{self.year}: dates outside the year: {strays}")
        weekday_workdays = sorted(d for d in self.workdays if d.weekday() < 5)
        if weekday_workdays:
            raise ValueError(f"{self.year}: make-up working days must fall on weekends: {weekday_workdays}")
        both = sorted(self.holidays & self.workdays)
        if both:
            raise ValueError(f"{self.year}: dates listed as both holiday and working day: {both}")

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> YearData:
        """Builds the year from the JSON shape of a calendar file."""
        return cls(
            year=int(raw["year"]),
            holidays=frozenset(date.fromisoformat(d) for d in raw["holidays"]),
            workdays=frozenset(date.fromisoformat(d) for d in raw["workdays"]),
            source=raw.get("source", ""),
            provisional=bool(raw.get("provisional", False)),
        )


class WorkCalendar:
    def __init__(self, years: dict[int, YearData]) -> None:
        self.years = dict(years)
        self._warned_years: set[int] = set()

    @classmethod
    @functools.cache
    def default(cls) -> WorkCalendar:
        """Returns the calendar built from the bundled year files, loaded once."""
        years = {}
        for path in sorted(CALENDAR_DIR.glob("*.json")):
            data = YearData.from_dict(json.loads(path.read_text(encoding="utf-8")))
            years[data.year] = data
        return cls(years)

    def is_workday(self, d: date) -> bool:
        """Tells whether the day is a working day."""
        data = self.years.get(d.year)
        if data is None:
            if d.year not in self._warned_years:
                self._warned_years.add(d.year)
                logger.warning(
                    "no holiday calendar for %d: counting Monday to Friday as working days", d.year
                )
            return d.weekday() < 5
        if d in data.holidays:
            return False
        return d in data.workdays or d.weekday() < 5

    def add_working_time(self, start: datetime, working_days: float) -> datetime:
        """Returns the UTC instant at which the given working time has elapsed after start."""
        if working_days < 0:
            raise ValueError(f"working_days must not be negative, got {working_days}")
        cursor = _as_utc(start)
        remaining = timedelta(days=working_days)
        if not remaining:
            return cursor
        while True:
            local_day, day_end = _local_day(cursor)
            if self.is_workday(local_day):
                available = day_end - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
            cursor = day_end

    def working_days_between(self, start: datetime, end: datetime) -> float:
        """Returns the working time elapsed from start to end, in days; 0 when end is not after start."""
        cursor, end = _as_utc(start), _as_utc(end)
        elapsed = timedelta()
        while cursor < end:
            local_day, day_end = _local_day(cursor)
            segment_end = min(day_end, end)
            if self.is_workday(local_day):
                elapsed += segment_end - cursor
            cursor = segment_end
        return elapsed / _ONE_DAY


def _as_utc(moment: datetime) -> datetime:
    # A naive datetime is read as UTC, never as server-local time.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


# Asia/Shanghai has kept UTC+8 all year since 1991 (no daylight saving): a fixed offset gives the same days as the
# zone's rules for every date a case can have, with plain arithmetic instead of a zone lookup per step (a clock
# walks a day at a time, about 14 steps for 10 working days, twice per workflow action)
_UTC_OFFSET = timedelta(hours=8)


def _local_day(moment: datetime) -> tuple[date, datetime]:
    """Returns the Shanghai calendar day containing the UTC instant and the UTC instant that day ends."""
    local_day = (moment + _UTC_OFFSET).date()
    day_end = datetime.combine(local_day + _ONE_DAY, time(), tzinfo=UTC) - _UTC_OFFSET
    return local_day, day_end
