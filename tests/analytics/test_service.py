"""Each statistic on a small hand-made data set whose answers are known (on SQLite and PostgreSQL).

Figures are read as a supervisor, who gets them exactly; what analysts see is in test_suppression.py.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from api.analytics import service as analytics
from api.kit import clock
from api.kit.workdays import WorkCalendar
from tests.analytics.builders import at, case, person, survey, sync
from tests.factories import OTHER_VILLAGE, XINQIAO, YANBA, act, make_case, staff_actor

SUPERVISOR = staff_actor("supervisor")
YEAR = {"start": date(2026, 1, 1), "end": date(2026, 12, 31)}


def cells(result) -> list[tuple]:
    """Returns (codes of the keys..., count) of each cell."""
    return [(*[k.code for k in c.keys], c.count.count) for c in result.cells]


def stage(rows, name: str):
    return next(c for c in rows if c.stage == name)


async def test_counts_cases_by_channel(db):
    for channel, n in (("self", 3), ("proxy", 2), ("counter", 1)):
        for _ in range(n):
            await case(channel=channel)

    result = await analytics.case_counts(SUPERVISOR, **YEAR, group_by=["channel"])

    assert cells(result) == [("counter", 1), ("proxy", 2), ("self", 3)]
    assert result.total.count == 6


async def test_counts_cases_by_item_with_item_names(db):
    await case(item="dibao")
    await case(item="dibao")
    await case(item="gaoling")

    result = await analytics.case_counts(SUPERVISOR, **YEAR, group_by=["item"])

    assert [(c.keys[0].code, c.keys[0].name, c.count.count) for c in result.cells] == [
        ("dibao", "最低生活保障", 2), ("gaoling", "高龄津贴", 1)]


async def test_counts_cases_by_township_and_village(db):
    for region in (XINQIAO, XINQIAO, YANBA, OTHER_VILLAGE):
        await case(await person(region=region))

    result = await analytics.case_counts(SUPERVISOR, **YEAR, group_by=["township", "village"])

    assert cells(result) == [("511703002", XINQIAO, 2), ("511703002", YANBA, 1), ("511703007", OTHER_VILLAGE, 1)]
    assert [k.name for k in result.cells[0].keys] == ["翠屏街道", "新桥村"]


async def test_counts_cases_by_status(db):
    await case()
    await case(steps=[("accept", "investigating", at("2026-03-10"))])
    await case(steps=[("accept", "investigating", at("2026-03-10"))])

    result = await analytics.case_counts(SUPERVISOR, **YEAR, group_by=["status"])

    assert cells(result) == [("investigating", 2), ("submitted", 1)]


async def test_month_of_submission_is_the_shanghai_month(db):
    await case(submitted=at("2026-03-31", "23:30"))
    await case(submitted=at("2026-04-01", "00:30"))  # still 31 March in UTC

    result = await analytics.case_counts(SUPERVISOR, **YEAR, group_by=["month"])

    assert cells(result) == [("2026-03", 1), ("2026-04", 1)]


async def test_age_band_is_the_age_on_the_day_of_submission(db):
    await case(await person(birth=date(1946, 3, 9)), submitted=at("2026-03-09"))  # 80 that day
    await case(await person(birth=date(1946, 3, 10)), submitted=at("2026-03-09"))  # 80 the day after
    await case(await person(birth=date(2010, 1, 1)), submitted=at("2026-03-09"))

    result = await analytics.case_counts(SUPERVISOR, **YEAR, group_by=["ageBand"])

    assert cells(result) == [("0-17", 1), ("70-79", 1), ("80-89", 1)]


async def test_range_counts_whole_shanghai_days(db):
    await case(submitted=at("2026-02-28", "23:30"))
    await case(submitted=at("2026-03-01", "00:30"))
    await case(submitted=at("2026-03-31", "23:59"))
    await case(submitted=at("2026-04-01", "00:00"))

    result = await analytics.case_counts(SUPERVISOR, start=date(2026, 3, 1), end=date(2026, 3, 31), group_by=[])

    assert result.total.count == 2


async def test_filters_narrow_the_cases_counted(db):
    await case(item="dibao", channel="self")
    await case(item="dibao", channel="proxy")
    await case(item="dibao", channel="proxy")
    await case(item="gaoling", channel="proxy")

    result = await analytics.case_counts(SUPERVISOR, **YEAR, group_by=["channel"],
                                         filters=[("item", ["dibao"]), ("channel", ["proxy", "counter"])])

    assert cells(result) == [("proxy", 2)]


async def test_funnel_counts_steps_reached_and_drop_outs_by_reason(db):
    t = at("2026-03-10")
    await case()
    await case(steps=[("accept", "investigating", t)])
    await case(steps=[("accept", "investigating", t), ("reject", "rejected", t)])
    await case(steps=[("accept", "investigating", t), ("approve", "approved", t), ("pay_start", "paying", t)])
    await case(item="jiuye", steps=[("accept", "investigating", t), ("approve", "approved", t), ("close", "closed", t)])
    await case(steps=[("refuse", "refused", t)])
    await case(steps=[("withdraw", "withdrawn", t)])

    result = await analytics.funnel(SUPERVISOR, **YEAR)

    assert [(s.step, s.count.count) for s in result.steps] == [
        ("submitted", 7), ("accepted", 4), ("decided", 3), ("approved", 2), ("paid", 1)]
    assert [(s.step, s.count.count) for s in result.drop_outs] == [
        ("withdrawn", 1), ("refused", 1), ("rejected", 1)]


async def test_stage_time_is_counted_in_working_days_and_hours(db):
    await case(submitted=at("2026-03-09"), steps=[("accept", "investigating", at("2026-03-11"))])  # Mon → Wed
    await case(submitted=at("2026-03-13"), steps=[("accept", "investigating", at("2026-03-16"))])  # Fri → Mon
    await case(submitted=at("2026-04-30"), steps=[("accept", "investigating", at("2026-05-06"))])  # over May Day

    accept = stage(await analytics.processing_times(SUPERVISOR, **YEAR, stages=["accept"]), "accept")

    assert accept.count.count == 3
    assert (accept.median_working_days.value, accept.p90_working_days.value) == (1.0, 1.8)
    assert (accept.median_hours.value, accept.p90_hours.value) == (72.0, 129.6)


async def test_stage_time_shares_over_the_limit_and_over_the_warning_mark(db):
    # acceptance has 3 working days; the warning mark is at 2.25
    for end in (at("2026-03-10"), at("2026-03-11", "21:00"), at("2026-03-13"), at("2026-03-16")):
        await case(submitted=at("2026-03-09"), steps=[("accept", "investigating", end)])

    accept = stage(await analytics.processing_times(SUPERVISOR, **YEAR, stages=["accept"]), "accept")

    assert (accept.over_limit_share.value, accept.over_warning_share.value) == (0.5, 0.75)


async def test_time_waiting_on_the_applicant_after_a_return_is_not_counted(db):
    await case(submitted=at("2026-03-09"), steps=[
        ("return", "returned", at("2026-03-09", "15:00")), ("resubmit", "submitted", at("2026-03-12")),
        ("accept", "investigating", at("2026-03-12", "15:00"))])

    accept = stage(await analytics.processing_times(SUPERVISOR, **YEAR, stages=["accept"]), "accept")

    assert (accept.median_working_days.value, accept.median_hours.value) == (0.5, 12.0)


async def test_unfinished_stages_are_not_measured(db):
    await case(submitted=at("2026-03-09"), steps=[("accept", "investigating", at("2026-03-10"))])
    await case(submitted=at("2026-03-09"), steps=[("return", "returned", at("2026-03-10"))])

    rows = await analytics.processing_times(SUPERVISOR, **YEAR, stages=["accept", "investigate"])

    assert [(c.stage, c.count.count) for c in rows] == [("accept", 1), ("investigate", 0)]


async def test_approval_is_measured_from_the_end_of_the_public_notice(db):
    await case(submitted=at("2026-03-02"), notice_until=at("2026-03-16"), steps=[
        ("accept", "investigating", at("2026-03-03")), ("investigate", "verifying", at("2026-03-04")),
        ("verify", "reviewing", at("2026-03-05")), ("review", "approving", at("2026-03-09")),
        ("approve", "approved", at("2026-03-18"))])

    approve = stage(await analytics.processing_times(SUPERVISOR, **YEAR, stages=["approve"]), "approve")

    assert (approve.median_working_days.value, approve.median_hours.value) == (2.0, 48.0)


async def test_an_internal_note_or_extension_during_approval_does_not_restart_its_clock(db):
    await case(submitted=at("2026-03-02"), notice_until=at("2026-03-16"), steps=[
        ("accept", "investigating", at("2026-03-03")), ("investigate", "verifying", at("2026-03-04")),
        ("verify", "reviewing", at("2026-03-05")), ("review", "approving", at("2026-03-09")),
        ("comment", "approving", at("2026-03-17")), ("extend", "approving", at("2026-03-17", "12:00")),
        ("approve", "approved", at("2026-03-18"))])

    approve = stage(await analytics.processing_times(SUPERVISOR, **YEAR, stages=["approve"]), "approve")

    assert (approve.median_working_days.value, approve.median_hours.value) == (2.0, 48.0)


async def test_each_stage_of_a_route_is_measured_from_the_step_before(db):
    await case(submitted=at("2026-03-02"), steps=[
        ("accept", "investigating", at("2026-03-03")), ("investigate", "verifying", at("2026-03-06")),
        ("verify", "reviewing", at("2026-03-09"))])

    rows = await analytics.processing_times(SUPERVISOR, **YEAR, stages=["accept", "investigate", "verify"])

    assert [(c.stage, c.median_working_days.value) for c in rows] == [
        ("accept", 1.0), ("investigate", 3.0), ("verify", 1.0)]


async def test_total_runs_from_submission_to_decision_against_the_items_limit(db):
    calendar = WorkCalendar.default()
    start = at("2026-03-02")
    # 就业救助 has no whole-case limit: acceptance 3 + investigation 10 + approval 10 = 23 working days
    await case(item="jiuye", submitted=start, steps=[("accept", "investigating", at("2026-03-03")),
                                                      ("approve", "approved", at("2026-03-16"))])
    await case(item="jiuye", submitted=start, steps=[("accept", "investigating", at("2026-03-03")),
                                                      ("reject", "rejected", at("2026-04-07"))])

    total = stage(await analytics.processing_times(SUPERVISOR, **YEAR, stages=["total"]), "total")

    assert calendar.working_days_between(start, at("2026-04-07")) == 25.0
    assert (total.count.count, total.median_working_days.value, total.over_limit_share.value) == (2, 17.5, 0.5)


async def test_an_extended_case_is_held_to_the_extended_limit(db):
    calendar = WorkCalendar.default()
    start = at("2026-03-02")
    decided = calendar.add_working_time(start, 45)  # 低保: 3 + 30 + 7 days of notice = 40; 55 once extended
    for extended in (False, True):
        await case(submitted=start, extended=extended, steps=[("accept", "investigating", at("2026-03-03")),
                                                               ("approve", "approved", decided)])

    total = stage(await analytics.processing_times(SUPERVISOR, **YEAR, stages=["total"]), "total")

    assert total.over_limit_share.value == 0.5


async def test_processing_times_group_by_township(db):
    for region, days in ((XINQIAO, 1), (XINQIAO, 3), (OTHER_VILLAGE, 2)):
        await case(await person(region=region), submitted=at("2026-03-09"),
                   steps=[("accept", "investigating", at("2026-03-09") + timedelta(days=days))])

    rows = await analytics.processing_times(SUPERVISOR, **YEAR, group_by=["township"], stages=["accept"])

    assert [(c.keys[0].code, c.count.count, c.median_working_days.value) for c in rows] == [
        ("511703002", 2, 2.0), ("511703007", 1, 2.0)]


async def test_clock_rates_count_warning_and_overdue_among_running_clocks(db):
    now = at("2026-03-20")
    clock.freeze(now)
    past, future = now - timedelta(hours=1), now + timedelta(days=1)
    await case(warn_at=past, due_at=past)
    await case(warn_at=past, due_at=future)
    await case(warn_at=future, due_at=future, case_due_at=past)
    await case(warn_at=future, due_at=future)
    await case(warn_at=past, due_at=past, steps=[("refuse", "refused", past)])  # ended: no clock

    [cell] = await analytics.clock_rates(SUPERVISOR, **YEAR)

    assert (cell.keys[0].code, cell.count.count, cell.warning.count, cell.overdue.count) == ("511703002", 4, 1, 2)
    assert (cell.warning_share.value, cell.overdue_share.value) == (0.25, 0.5)


async def test_time_to_apply_is_the_median_from_first_saved_answer_by_channel(db):
    submitted = at("2026-03-09", "10:00")
    for channel, minutes in (("self", 10), ("self", 20), ("self", 30), ("proxy", 5)):
        await case(channel=channel, submitted=submitted, draft_started=submitted - timedelta(minutes=minutes))
    await case(channel="counter", submitted=submitted)

    rows = await analytics.time_to_apply(SUPERVISOR, **YEAR)

    assert [(c.keys[0].code, c.count.count, c.median_minutes.value, c.p90_minutes.value) for c in rows] == [
        ("proxy", 1, 5.0, 5.0), ("self", 3, 20.0, 28.0)]


async def test_province_sync_reports_round_trips_failures_and_dead_letters_by_day(db):
    c = [await case(item="gaoling") for _ in range(4)]
    await sync(c[0], created=at("2026-03-09", "10:00"), pushed=at("2026-03-09", "10:01"),
               decided=at("2026-03-09", "11:01"))
    await sync(c[1], created=at("2026-03-09", "11:00"), pushed=at("2026-03-09", "11:00"),
               decided=at("2026-03-09", "13:00"), attempts=1)
    await sync(c[2], created=at("2026-03-09", "12:00"), state="dead", attempts=8)
    await sync(c[3], created=at("2026-03-10", "00:30"), pushed=at("2026-03-10", "00:31"), state="sent")

    days = await analytics.province_sync(SUPERVISOR, **YEAR)

    first = days[0]
    assert [d.day for d in days] == ["2026-03-09", "2026-03-10"]
    assert (first.count.count, first.decided.count, first.median_minutes.value, first.p90_minutes.value) == (
        3, 2, 90.0, 114.0)
    assert (first.failed.count, first.failed_attempts.count, first.dead.count) == (2, 9, 1)


async def test_satisfaction_distribution_and_averages_by_item(db):
    for item, rating, ease in (("dibao", 5, 5), ("dibao", 4, 3), ("dibao", 4, None), ("gaoling", 2, 2)):
        await survey(await case(item=item), rating, ease=ease)

    rows = await analytics.satisfaction(SUPERVISOR, **YEAR, group_by=["item"])

    assert [(c.keys[0].code, c.count.count, [r.count for r in c.ratings], c.average_rating.value,
             c.average_ease.value) for c in rows] == [
        ("dibao", 3, [0, 0, 0, 2, 1], 4.33, 4.0), ("gaoling", 1, [0, 1, 0, 0, 0], 2.0, 2.0)]


async def test_elder_reach_counts_people_aged_80_and_over_and_those_helped_by_proxy(db):
    day = at("2026-03-09")
    twice = await person(birth=date(1941, 1, 1))
    await case(twice, item="dibao", channel="self", submitted=day)
    await case(twice, item="gaoling", channel="proxy", submitted=day)
    await case(await person(birth=date(1946, 3, 9)), channel="proxy", submitted=day)  # 80 that very day
    await case(await person(birth=date(1946, 3, 10)), channel="proxy", submitted=day)  # still 79
    await case(await person(birth=date(1936, 1, 1)), channel="self", submitted=day)

    [cell] = await analytics.elder_reach(SUPERVISOR, **YEAR)

    assert (cell.count.count, cell.by_proxy.count, cell.by_proxy_share.value) == (3, 2, 0.6667)


async def test_statistics_cover_changes_made_after_an_earlier_statistic(db):
    clock.freeze(at("2026-03-09"))
    c = await make_case("dibao", "submitted")
    before = await analytics.case_counts(SUPERVISOR, **YEAR, group_by=["status"])
    await act(c.id, "refuse", data={"reason": "不符合条件"})

    after = await analytics.case_counts(SUPERVISOR, **YEAR, group_by=["status"])

    assert (cells(before), cells(after)) == ([("submitted", 1)], [("refused", 1)])


async def test_statistics_cover_a_survey_answered_after_an_earlier_statistic(db):
    c = await case()
    before = await analytics.satisfaction(SUPERVISOR, **YEAR)
    await survey(c, 3)

    after = await analytics.satisfaction(SUPERVISOR, **YEAR)

    assert (before[0].count.count, after[0].count.count, after[0].average_rating.value) == (0, 1, 3.0)


async def test_review_report_gathers_comments_by_township_without_numbers_or_the_applicants_name(db):
    who = await person(name="赵有福")
    await survey(await case(who), 5, comment="我是赵有福，有事打13912345678，谢谢")

    report = await analytics.review_report(SUPERVISOR, **YEAR)

    assert [(t.keys[0].code, t.comments) for t in report.comments] == [
        ("511703002", ["我是某某，有事打[已隐去]，谢谢"])]


async def test_review_report_has_channel_mix_time_to_decide_and_satisfaction(db):
    t = at("2026-03-10")
    for channel in ("self", "proxy", "proxy", "counter"):
        await survey(await case(channel=channel, steps=[("accept", "investigating", t), ("reject", "rejected", t)]), 4)

    report = await analytics.review_report(SUPERVISOR, **YEAR)

    assert [(c.keys[0].code, c.count.count, s.value) for c, s in zip(report.channel_mix, report.channel_share,
                                                                      strict=True)] == [
        ("counter", 1, 0.25), ("proxy", 2, 0.5), ("self", 1, 0.25)]
    assert [(_keys(c), c.count.count) for c in report.time_to_decide] == [
        ([], 4), (["counter"], 1), (["proxy"], 2), (["self"], 1)]
    assert [(_keys(c), c.average_rating.value) for c in report.satisfaction] == [
        ([], 4.0), (["counter"], 4.0), (["proxy"], 4.0), (["self"], 4.0)]


def _keys(cell) -> list[str]:
    return [k.code for k in cell.keys]


@pytest.mark.parametrize("text, expected", [
    ("电话13912345678", "电话[已隐去]"),
    ("电话 139 1234 5678 谢谢", "电话 [已隐去] 谢谢"),
    ("身份证51170319400805123X", "身份证[已隐去]"),
    ("身份证５１１７０３１９４００８０５１２３４", "身份证[已隐去]"),  # full-width digits
    ("卡号6217995555000011222", "卡号[已隐去]"),
    ("等了12天，补了3次材料", "等了12天，补了3次材料"),
])
def test_comments_lose_phone_id_and_card_numbers(text, expected):
    assert analytics.strip_personal(text) == expected
