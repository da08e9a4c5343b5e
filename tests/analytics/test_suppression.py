"""Small-cell suppression: analysts never see a figure that rests on fewer than 5 cases or people."""

from __future__ import annotations

from datetime import date, timedelta

from api.analytics import service as analytics
from api.kit import clock
from tests.analytics.builders import at, case, person, survey
from tests.factories import OTHER_VILLAGE, XINQIAO, staff_actor

ANALYST = staff_actor("analyst")
SUPERVISOR = staff_actor("supervisor")
YEAR = {"start": date(2026, 1, 1), "end": date(2026, 12, 31)}
HIDDEN = (None, "<5", True)


def shown(count: analytics.Count) -> tuple:
    return count.count, count.display, count.suppressed


def shown_number(number: analytics.Number) -> tuple:
    return number.value, number.display, number.suppressed


async def _channels(**counts: int) -> None:
    for channel, n in counts.items():
        for _ in range(n):
            await case(channel=channel)


async def test_analyst_sees_a_count_under_five_as_suppressed(db):
    await _channels(self=3, proxy=6, counter=7)

    result = await analytics.case_counts(ANALYST, **YEAR, group_by=["channel"])

    assert shown(next(c.count for c in result.cells if c.keys[0].code == "self")) == HIDDEN


async def test_analyst_sees_counts_of_five_and_more(db):
    await _channels(self=5, proxy=6)

    result = await analytics.case_counts(ANALYST, **YEAR, group_by=["channel"])

    assert [shown(c.count) for c in result.cells] == [(6, "6", False), (5, "5", False)]


async def test_a_second_cell_is_hidden_when_the_total_would_reveal_the_first(db):
    await _channels(self=3, proxy=6, counter=7)

    result = await analytics.case_counts(ANALYST, **YEAR, group_by=["channel"])

    assert [(c.keys[0].code, c.count.count) for c in result.cells] == [("counter", 7), ("proxy", None), ("self", None)]
    assert result.total.count == 16


async def test_supervisor_sees_exact_small_counts(db):
    await _channels(self=3, proxy=6)

    result = await analytics.case_counts(SUPERVISOR, **YEAR, group_by=["channel"])

    assert [shown(c.count) for c in result.cells] == [(6, "6", False), (3, "3", False)]


async def test_a_median_over_fewer_than_five_cases_is_suppressed(db):
    submitted = at("2026-03-09", "10:00")
    for minutes in (5, 10, 15, 20):
        await case(channel="self", submitted=submitted, draft_started=submitted - timedelta(minutes=minutes))

    [cell] = await analytics.time_to_apply(ANALYST, **YEAR)

    assert (shown(cell.count), shown_number(cell.median_minutes), shown_number(cell.p90_minutes)) == (HIDDEN, HIDDEN, HIDDEN)


async def test_an_average_over_five_answers_is_shown(db):
    for rating in (5, 4, 4, 3, 5):
        await survey(await case(), rating)

    [cell] = await analytics.satisfaction(ANALYST, **YEAR)

    assert shown_number(cell.average_rating) == (4.2, "4.20", False)


async def test_each_rating_under_five_is_suppressed(db):
    for rating in [5] * 6 + [4] * 6 + [3] * 5:
        await survey(await case(), rating)

    [cell] = await analytics.satisfaction(ANALYST, **YEAR)

    assert [r.display for r in cell.ratings] == ["<5", "<5", "5", "6", "6"]


async def test_a_share_whose_part_is_under_five_is_suppressed(db):
    now = at("2026-03-20")
    clock.freeze(now)
    for due in [now - timedelta(hours=1)] * 2 + [now + timedelta(days=1)] * 6:
        await case(due_at=due, warn_at=due)

    [cell] = await analytics.clock_rates(ANALYST, **YEAR)

    assert (shown(cell.count), shown(cell.overdue), shown_number(cell.overdue_share)) == ((8, "8", False), HIDDEN, HIDDEN)


async def test_narrowing_filters_to_one_person_reveals_nothing(db):
    target = await person(birth=date(1930, 1, 1), region=OTHER_VILLAGE)
    await survey(await case(target, item="tekun", channel="proxy", submitted=at("2026-03-09"), steps=[
        ("accept", "investigating", at("2026-03-10"))]), 1, comment="我的情况很特殊")
    for _ in range(12):
        await survey(await case(await person(region=XINQIAO)), 5)
    narrow = [("village", [OTHER_VILLAGE]), ("item", ["tekun"]), ("ageBand", ["90+"]), ("channel", ["proxy"])]

    counts = await analytics.case_counts(ANALYST, **YEAR, group_by=["status"], filters=narrow)
    times = await analytics.processing_times(ANALYST, **YEAR, stages=["accept"], filters=narrow)
    rating = await analytics.satisfaction(ANALYST, **YEAR, filters=narrow)
    reach = await analytics.elder_reach(ANALYST, **YEAR, filters=narrow)

    assert [shown(c.count) for c in counts.cells] + [shown(counts.total)] == [HIDDEN, HIDDEN]
    assert [shown(times[0].count), shown_number(times[0].median_hours)] == [HIDDEN, HIDDEN]
    assert [shown_number(rating[0].average_rating), *[shown(r) for r in rating[0].ratings]] == [HIDDEN] * 6
    assert [shown(reach[0].count), shown(reach[0].by_proxy)] == [HIDDEN, HIDDEN]


async def test_review_report_lists_no_comments_of_a_township_with_under_five_answers(db):
    for region, n, comment in ((XINQIAO, 5, "很方便"), (OTHER_VILLAGE, 2, "太慢了"), ("511703008001", 3, "还行")):
        for _ in range(n):
            await survey(await case(await person(region=region)), 4, comment=comment)

    report = await analytics.review_report(ANALYST, **YEAR)

    assert [(t.keys[0].code, t.count.display, t.comments) for t in report.comments] == [
        ("511703002", "5", ["很方便"] * 5), ("511703007", "<5", []), ("511703008", "<5", [])]


async def test_a_hidden_rating_cannot_be_worked_out_from_the_cells_count(db):
    for rating in [5] * 10 + [4] * 3:
        await survey(await case(), rating)

    [cell] = await analytics.satisfaction(ANALYST, **YEAR)

    assert (cell.count.display, [r.display for r in cell.ratings]) == ("13", ["<5", "<5", "<5", "<5", "<5"])


async def test_review_report_hides_a_township_the_district_total_would_give_away(db):
    for region, n in ((XINQIAO, 6), (OTHER_VILLAGE, 2), ("511703008001", 7)):
        for _ in range(n):
            await survey(await case(await person(region=region)), 4, comment="还可以")

    report = await analytics.review_report(ANALYST, **YEAR)

    assert [(t.keys[0].code, t.count.display, len(t.comments)) for t in report.comments] == [
        ("511703002", "<5", 0), ("511703007", "<5", 0), ("511703008", "7", 7)]
    assert report.satisfaction[0].count.display == "15"
