from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest

from api.kit.workdays import CALENDAR_DIR, TZ, WorkCalendar, YearData

CALENDAR_FILES = sorted(CALENDAR_DIR.glob("*.json"))


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar.default()


def test_2026_matches_chinese_calendar_on_every_day(calendar: WorkCalendar) -> None:
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(365)]

    ours = {d: calendar.is_workday(d) for d in days}

    assert (days[-1], ours) == (date(2026, 12, 31), {d: chinese_calendar.is_workday(d) for d in days})


def test_default_calendar_is_loaded_once() -> None:
    assert WorkCalendar.default() is WorkCalendar.default()


def test_default_calendar_has_2026_and_2027(calendar: WorkCalendar) -> None:
    assert {2026, 2027} <= set(calendar.years)


@pytest.mark.parametrize("path", CALENDAR_FILES, ids=lambda path: path.name)
def test_calendar_file_is_named_for_its_year_and_cites_a_source(path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    data = YearData.from_dict(raw)

    assert (path.stem, bool(data.source), type(raw["provisional"])) == (str(data.year), True, bool)


@pytest.mark.parametrize(
    "day",
    [
        date(2027, 1, 1),
        date(2027, 2, 5),
        date(2027, 2, 8),
        date(2027, 4, 5),
        date(2027, 6, 9),
        date(2027, 9, 15),
        date(2027, 10, 1),
        date(2027, 10, 4),
        date(2027, 10, 5),
    ],
)
def test_2027_statutory_days_off_and_their_weekday_substitutes_are_not_workdays(
    calendar: WorkCalendar, day: date
) -> None:
    assert calendar.is_workday(day) is False


def test_friday_afternoon_plus_one_working_day_is_monday_afternoon(calendar: WorkCalendar) -> None:
    assert calendar.add_working_time(local(2026, 3, 13, 15), 1) == local(2026, 3, 16, 15)


def test_national_day_holiday_does_not_count(calendar: WorkCalendar) -> None:
    assert calendar.add_working_time(local(2026, 9, 30, 10), 1) == local(2026, 10, 8, 10)


def test_make_up_saturday_counts_as_a_working_day(calendar: WorkCalendar) -> None:
    assert calendar.add_working_time(local(2026, 10, 9, 10), 1) == local(2026, 10, 10, 10)


def test_start_during_a_holiday_accrues_from_next_workday_midnight(calendar: WorkCalendar) -> None:
    assert calendar.add_working_time(local(2026, 10, 3, 12), 0.5) == local(2026, 10, 8, 12)


def test_fifteen_working_days_span_the_spring_festival(calendar: WorkCalendar) -> None:
    # Feb 9-13 (5), Sat Feb 14 make-up (1), Feb 24-27 (4), Sat Feb 28 make-up (1), Mar 2-5 (4).
    assert calendar.add_working_time(local(2026, 2, 9), 15) == local(2026, 3, 6)


def test_zero_working_days_returns_start(calendar: WorkCalendar) -> None:
    assert calendar.add_working_time(local(2026, 10, 3, 12), 0) == local(2026, 10, 3, 12)


def test_negative_working_days_are_refused(calendar: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="negative"):
        calendar.add_working_time(local(2026, 3, 13, 15), -1)


def test_result_is_aware_utc(calendar: WorkCalendar) -> None:
    assert calendar.add_working_time(local(2026, 3, 13, 15), 1).tzinfo is UTC


def test_naive_datetime_is_taken_as_utc(calendar: WorkCalendar) -> None:
    naive = datetime(2026, 3, 13, 7)

    assert calendar.add_working_time(naive, 1) == datetime(2026, 3, 16, 7, tzinfo=UTC)


def test_naive_datetimes_in_working_days_between_are_taken_as_utc(calendar: WorkCalendar) -> None:
    assert calendar.working_days_between(datetime(2026, 3, 13, 7), datetime(2026, 3, 16, 7)) == 1


@pytest.mark.parametrize(
    ("start", "working_days"),
    [
        (local(2026, 3, 13, 15), 1),
        (local(2026, 9, 30, 10), 3),
        (local(2026, 2, 12, 8, 30), 10),
        (local(2026, 12, 30, 17), 15),
        (local(2027, 9, 24, 9), 7.5),
        (local(2026, 10, 3, 12), 0.25),
    ],
)
def test_working_days_between_inverts_add_working_time(
    calendar: WorkCalendar, start: datetime, working_days: float
) -> None:
    due = calendar.add_working_time(start, working_days)

    assert calendar.working_days_between(start, due) == pytest.approx(working_days, abs=1e-9)


def test_working_days_between_skips_the_national_day_holiday(calendar: WorkCalendar) -> None:
    elapsed = calendar.working_days_between(local(2026, 9, 30, 12), local(2026, 10, 8, 18))

    assert elapsed == pytest.approx(1.25)


def test_working_days_between_is_zero_when_end_precedes_start(calendar: WorkCalendar) -> None:
    assert calendar.working_days_between(local(2026, 3, 16), local(2026, 3, 13)) == 0


def test_given_years_override_weekdays() -> None:
    year = YearData(
        year=2030,
        holidays=frozenset({date(2030, 1, 1)}),
        workdays=frozenset({date(2030, 1, 5)}),
    )

    calendar = WorkCalendar({2030: year})

    assert (calendar.is_workday(date(2030, 1, 1)), calendar.is_workday(date(2030, 1, 5))) == (False, True)


def test_year_without_data_counts_monday_to_friday() -> None:
    week = [date(2031, 1, 6) + timedelta(days=n) for n in range(7)]

    assert [WorkCalendar({}).is_workday(d) for d in week] == [True] * 5 + [False] * 2


def test_year_without_data_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    calendar = WorkCalendar({})
    with caplog.at_level(logging.WARNING, logger="api.kit.workdays"):
        calendar.is_workday(date(2031, 1, 6))
        calendar.is_workday(date(2031, 1, 7))

    assert [record.getMessage() for record in caplog.records] == [
        "no holiday calendar for 2031: counting Monday to Friday as working days"
    ]


def test_make_up_working_day_on_a_weekday_is_refused() -> None:
    with pytest.raises(ValueError, match="weekends"):
        YearData(year=2030, holidays=frozenset(), workdays=frozenset({date(2030, 1, 7)}))


def test_date_outside_the_year_is_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        YearData(year=2030, holidays=frozenset({date(2031, 1, 1)}), workdays=frozenset())


def test_the_fixed_offset_gives_the_zones_days_for_every_date_a_case_can_have():
    from api.kit.workdays import _local_day

    moment, step, checked = datetime(1992, 1, 1, tzinfo=UTC), timedelta(hours=7, minutes=13), 0
    while moment.year < 2041:  # every hour of the day and day of the week comes round many times
        local = moment.astimezone(TZ).date()
        end = datetime.combine(local + timedelta(days=1), datetime.min.time(), tzinfo=TZ).astimezone(UTC)
        assert _local_day(moment) == (local, end), moment
        moment += step
        checked += 1
    assert checked > 50_000
