"""What bad questions get: a typed error with a Chinese message, never a partial or personal answer."""

from __future__ import annotations

from datetime import date

import pytest

from api.analytics import service as analytics
from api.kit.actors import ANONYMOUS
from api.kit.errors import AuthError, NotAllowedError, ValidationError
from tests.factories import staff_actor

ANALYST = staff_actor("analyst")
YEAR = {"start": date(2026, 1, 1), "end": date(2026, 12, 31)}


async def test_an_unknown_group_by_is_refused(db):
    with pytest.raises(ValidationError) as e:
        await analytics.case_counts(ANALYST, **YEAR, group_by=["colour"])

    assert (e.value.code, e.value.field) == ("group_by_unknown", "groupBy")
    assert "不支持按「colour」分组" in e.value.message


async def test_an_unknown_filter_is_refused(db):
    with pytest.raises(ValidationError) as e:
        await analytics.case_counts(ANALYST, **YEAR, group_by=[], filters=[("weather", ["rain"])])

    assert (e.value.code, e.value.field) == ("filter_unknown", "filters")


async def test_a_filter_value_that_does_not_exist_is_refused(db):
    with pytest.raises(ValidationError) as e:
        await analytics.case_counts(ANALYST, **YEAR, group_by=[], filters=[("item", ["dibao", "lottery"])])

    assert (e.value.code, "lottery" in e.value.message) == ("filter_value_invalid", True)


@pytest.mark.parametrize("field, label", [("name", "姓名"), ("idNumber", "身份证号码"), ("id_number", "身份证号码"),
                                          ("phone", "手机号码"), ("address", "住址"), ("birthDate", "出生日期")])
async def test_grouping_by_a_personal_field_is_not_allowed(db, field, label):
    with pytest.raises(NotAllowedError) as e:
        await analytics.case_counts(ANALYST, **YEAR, group_by=[field])

    assert (e.value.code, e.value.message) == ("personal_field", f"统计分析不提供个人信息，不能按「{label}」分组")


async def test_filtering_by_a_personal_field_is_not_allowed(db):
    with pytest.raises(NotAllowedError) as e:
        await analytics.funnel(ANALYST, **YEAR, filters=[("phone", ["13912345678"])])

    assert e.value.code == "personal_field"


async def test_a_backwards_range_is_refused(db):
    with pytest.raises(ValidationError) as e:
        await analytics.funnel(ANALYST, start=date(2026, 5, 1), end=date(2026, 4, 30))

    assert (e.value.code, e.value.message) == ("range_backwards", "开始日期（2026-05-01）不能晚于结束日期（2026-04-30）")


async def test_a_range_longer_than_five_years_is_refused(db):
    with pytest.raises(ValidationError) as e:
        await analytics.funnel(ANALYST, start=date(2021, 1, 1), end=date(2026, 1, 1))

    assert (e.value.code, e.value.message) == ("range_too_long", "统计时间范围不能超过5年")


async def test_a_range_of_five_years_less_a_day_is_answered(db):
    result = await analytics.funnel(ANALYST, start=date(2021, 1, 1), end=date(2025, 12, 31))

    assert result.steps[0].step == "submitted"


async def test_too_many_group_by_dimensions_are_refused(db):
    with pytest.raises(ValidationError) as e:
        await analytics.case_counts(ANALYST, **YEAR, group_by=["item", "channel", "month", "ageBand"])

    assert e.value.code == "group_by_too_many"


async def test_an_unknown_stage_is_refused(db):
    with pytest.raises(ValidationError) as e:
        await analytics.processing_times(ANALYST, **YEAR, stages=["lunch"])

    assert e.value.code == "stage_unknown"


@pytest.mark.parametrize("role", ["village_worker", "township_officer", "approver", "finance"])
async def test_roles_without_statistics_are_refused(db, role):
    with pytest.raises(NotAllowedError) as e:
        await analytics.case_counts(staff_actor(role), **YEAR, group_by=[])

    assert e.value.code == "role_not_allowed"


async def test_anonymous_callers_must_sign_in(db):
    with pytest.raises(AuthError):
        await analytics.funnel(ANONYMOUS, **YEAR)


@pytest.mark.parametrize("role, total", [("analyst", "<5"), ("supervisor", "0"), ("admin", "0")])
async def test_analysts_supervisors_and_administrators_may_ask(db, role, total):
    result = await analytics.case_counts(staff_actor(role), **YEAR, group_by=["channel"])

    assert result.total.display == total
