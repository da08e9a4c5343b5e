"""Processing times sort hours only when they are asked for: the same working-day figures either way, and
GraphQL asks for hours exactly when the query selects `medianHours` or `p90Hours` (through fragments too)."""

from __future__ import annotations

from datetime import date

from api.analytics import repository
from api.analytics import service as analytics
from tests.analytics.builders import at, case
from tests.factories import staff_actor
from tests.graphql.helpers import gql, staff_token

SUPERVISOR = staff_actor("supervisor")
YEAR = {"start": date(2026, 1, 1), "end": date(2026, 12, 31)}
RANGE = {"from": "2026-01-01", "to": "2026-12-31"}


async def _three_accepted() -> None:
    await case(submitted=at("2026-03-09"), steps=[("accept", "investigating", at("2026-03-11"))])  # Mon → Wed
    await case(submitted=at("2026-03-13"), steps=[("accept", "investigating", at("2026-03-16"))])  # Fri → Mon
    await case(submitted=at("2026-04-30"), steps=[("accept", "investigating", at("2026-05-06"))])  # over May Day


def _figures(cells) -> list[tuple]:
    return [(c.stage, c.count.count, c.median_working_days.value, c.p90_working_days.value, c.over_limit_share.value,
             c.over_warning_share.value) for c in cells]


async def test_working_day_figures_are_the_same_without_hours(db):
    await _three_accepted()

    both = await analytics.processing_times(SUPERVISOR, **YEAR, stages=["accept", "total"])
    days_only = await analytics.processing_times(SUPERVISOR, **YEAR, stages=["accept", "total"], hours=False)

    assert _figures(days_only) == _figures(both)
    assert [(c.median_hours.value, c.p90_hours.value) for c in both][0] == (72.0, 129.6)
    assert [(c.median_hours.display, c.p90_hours.display) for c in days_only] == [("—", "—"), ("—", "—")]


async def test_working_day_figures_are_the_same_without_hours_by_township(db):
    await _three_accepted()

    both = await analytics.processing_times(SUPERVISOR, **YEAR, group_by=["township"], stages=["accept"])
    days_only = await analytics.processing_times(SUPERVISOR, **YEAR, group_by=["township"], stages=["accept"],
                                                 hours=False)

    assert [(c.keys[0].code, *f) for c, f in zip(days_only, _figures(days_only), strict=True)] == [
        (c.keys[0].code, *f) for c, f in zip(both, _figures(both), strict=True)]


async def test_graphql_sorts_hours_only_when_the_query_selects_them(client, monkeypatch):
    asked: list[bool] = []
    durations = repository.durations

    async def spy(*args, hours: bool = True, **kwargs):
        asked.append(hours)
        return await durations(*args, hours=hours, **kwargs)

    monkeypatch.setattr(repository, "durations", spy)
    await _three_accepted()
    token = await staff_token(client, "supervisor")
    days = "stage medianWorkingDays { display } p90WorkingDays { display }"
    queries = [
        f"query($r: StatsRangeInput!) {{ statsProcessingTimes(range: $r) {{ {days} }} }}",
        f"query($r: StatsRangeInput!) {{ statsProcessingTimes(range: $r) {{ {days} medianHours {{ display }} }} }}",
        "query($r: StatsRangeInput!) { statsProcessingTimes(range: $r) { ...T } }"
        " fragment T on ProcessingTimeCell { stage p90Hours { value } }",
        f"query($r: StatsRangeInput!) {{ statsProcessingTimes(range: $r) {{ ... on ProcessingTimeCell {{ {days} }} }} }}",
    ]

    bodies = [await gql(client, q, {"r": RANGE}, token) for q in queries]

    assert [b.get("errors") for b in bodies] == [None] * 4
    assert asked == [False, True, True, False]
    accept = [next(c for c in b["data"]["statsProcessingTimes"] if c["stage"] == "accept") for b in bodies]
    assert accept[1]["medianHours"]["display"] == "72.0"
    assert accept[2]["p90Hours"]["value"] == 129.6
    assert accept[0]["medianWorkingDays"] == accept[1]["medianWorkingDays"] == accept[3]["medianWorkingDays"]
