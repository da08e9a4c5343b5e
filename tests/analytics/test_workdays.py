"""The working-day index: the same working time as the calendar, by subtraction."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from api.analytics import repository, workdays
from api.analytics import service as analytics
from api.kit.workdays import WorkCalendar, YearData


def test_index_measures_working_time_exactly_like_the_calendar():
    calendar, index, rng = WorkCalendar.default(), workdays.WorkdayIndex(), random.Random(5)
    start = datetime(2025, 12, 1, tzinfo=UTC)
    pairs = [(start + timedelta(minutes=rng.randrange(800_000)), timedelta(minutes=rng.randrange(90_000)))
             for _ in range(300)]

    differences = [abs(index.between(a, a + span) - calendar.working_days_between(a, a + span)) for a, span in pairs]

    assert max(differences) < 1e-9


def test_index_adds_working_time_like_the_calendar():
    calendar, index = WorkCalendar.default(), workdays.WorkdayIndex()
    start = datetime(2026, 4, 30, 1, 0, tzinfo=UTC)  # Thursday 09:00 in Shanghai, before May Day

    assert index.add(start, 1.5) == calendar.add_working_time(start, 1.5)


async def test_stored_index_matches_the_bundled_calendar(db):
    assert await repository.workday_fingerprint() == workdays.fingerprint(workdays.index_rows())


@pytest.fixture
async def fresh_index_check(db, monkeypatch):
    """Forgets that the index was checked; puts the bundled calendar back afterwards."""
    monkeypatch.setattr(analytics, "_checked", set())
    yield
    await repository.write_workday_index(workdays.index_rows())


async def test_a_calendar_year_added_later_rewrites_the_stored_index(fresh_index_check):
    year = YearData.from_dict({"year": 2028, "holidays": ["2028-01-03"], "workdays": []})
    changed = workdays.index_rows(WorkCalendar({**WorkCalendar.default().years, 2028: year}))

    rewritten = await analytics.ensure_workday_index(rows=lambda: changed)

    assert (rewritten, await repository.workday_fingerprint()) == (True, workdays.fingerprint(changed))
