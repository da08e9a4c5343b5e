"""Percentiles in the shapes that trip up rank arithmetic — ties, a group of one, a group of two, a group with
nothing to measure, NULLs — against an independent computation (sorted lists, linear interpolation as
percentile_cont), on SQLite and PostgreSQL, which compute them differently: percentile_cont over the whole range
or over each group's gathered values (PostgreSQL), ROW_NUMBER ranks against a count (SQLite)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tortoise import connections

from api.analytics import repository
from api.analytics import service as analytics
from api.kit.workdays import WorkCalendar
from tests.analytics.builders import at, case, person, route
from tests.analytics.test_processing_percentiles import YEAR, percentile
from tests.factories import OTHER_VILLAGE, XINQIAO, YANBA, staff_actor

SUPERVISOR = staff_actor("supervisor")
# minutes from the draft's first answer to submission, per channel: ties (and an even count), one case alone,
# and a channel whose cases all lack a draft start (NULL: nothing to measure)
MINUTES = {"self": [5, 5, 5, 7, 7, 12, 30, 30], "proxy": [9], "counter": []}


def _spy(monkeypatch, name: str) -> list[dict]:
    """Records the rows the database returns from repository.<name> (the figures before rounding)."""
    rows: list[dict] = []
    original = getattr(repository, name)

    async def spy(*args, **kwargs):
        found = await original(*args, **kwargs)
        rows.extend(found)
        return found

    monkeypatch.setattr(repository, name, spy)
    return rows


async def _applications() -> None:
    for channel, values in MINUTES.items():
        for i, minutes in enumerate(values):
            submitted = at("2026-04-01") + timedelta(hours=i)
            await case(channel=channel, submitted=submitted, draft_started=submitted - timedelta(minutes=minutes))
    for i in range(3):  # no draft start: left out of every figure
        await case(channel="counter", submitted=at("2026-04-02") + timedelta(hours=i))


@pytest.mark.parametrize("by_channel", [True, False], ids=["by-channel", "district"])
async def test_time_to_apply_with_ties_a_single_case_and_nulls(db, monkeypatch, by_channel):
    await _applications()
    rows = _spy(monkeypatch, "time_to_apply")

    await analytics.time_to_apply(SUPERVISOR, **YEAR, group_by=["channel"] if by_channel else [])

    measured = {(r[repository.key_column("channel")] if by_channel else None): (int(r["n"] or 0), r["m_p50"], r["m_p90"])
                for r in rows if int(r["n"] or 0)}
    # the stored minutes, as the database worked them out (SQLite's julianday arithmetic is off by ~1e-7 minutes)
    stored: dict = {}
    for r in await connections.get("default").execute_query_dict(
            "SELECT channel, draft_minutes FROM case_fact WHERE draft_minutes IS NOT NULL"):
        stored.setdefault(r["channel"] if by_channel else None, []).append(float(r["draft_minutes"]))
    groups = {k: v for k, v in MINUTES.items() if v} if by_channel else {None: sum(MINUTES.values(), [])}
    assert sorted(measured, key=str) == sorted(stored, key=str) == sorted(groups, key=str)
    for key, values in stored.items():
        n, p50, p90 = measured[key]
        assert n == len(values) == len(groups[key]), key
        assert (p50, p90) == pytest.approx((percentile(values, 0.5), percentile(values, 0.9)), rel=1e-12), key
        assert (p50, p90) == pytest.approx((percentile(groups[key], 0.5), percentile(groups[key], 0.9)), abs=1e-5)
    if by_channel:
        assert measured["proxy"][1:] == pytest.approx((9.0, 9.0), abs=1e-5)  # one case: its own median and p90
        assert measured["self"][1] == pytest.approx(7.0, abs=1e-5)  # ranks 4 and 5 of 8 tie at 7


async def test_processing_times_with_ties_single_cases_and_unfinished_groups(db, monkeypatch):
    # 新桥: five cases, every investigation exactly Tuesday 09:00 to Thursday 09:00 (ties); 盐坝: one case
    # verified, one only accepted (groups of two and of one); the other village: accepted, never investigated
    start = at("2026-06-01")  # a Monday, in weeks without a holiday until the 19th
    made = [(XINQIAO, route(start + timedelta(days=7 * i), 1, 2, 1 + i)) for i in range(3)]
    made += [(XINQIAO, route(start + timedelta(days=21 + 7 * i), 1, 2, 0.5)) for i in range(2)]
    made += [(YANBA, route(start, 3, 2.5, 1)), (YANBA, route(start + timedelta(days=7), 1))]
    made += [(OTHER_VILLAGE, route(start + timedelta(days=14 * i), 0.5)) for i in range(2)]
    for region, steps in made:
        await case(await person(region=region), submitted=start, steps=steps)
    rows = _spy(monkeypatch, "durations")

    await analytics.processing_times(SUPERVISOR, **YEAR, group_by=["village"], stages=["accept", "investigate", "verify"])

    calendar = WorkCalendar.default()
    expected: dict[tuple, list[tuple[float, float]]] = {}
    for region, steps in made:
        moments = [start, *[when for _, _, when in steps]]
        for stage, (a, b) in {"accept": (0, 1), "investigate": (1, 2), "verify": (2, 3)}.items():
            if b < len(moments):
                expected.setdefault((region, stage), []).append(  # as the facts record them: in hundredths
                    (repository.recorded(calendar.working_days_between(moments[a], moments[b])),
                     repository.recorded((moments[b] - moments[a]).total_seconds() / 3600, "h")))
    measured = {(r[repository.key_column("village")], r["stage"]): r for r in rows if int(r["n"] or 0)}
    assert sorted(measured) == sorted(expected)
    for key, values in expected.items():
        r = measured[key]
        days, hours = [v[0] for v in values], [v[1] for v in values]
        assert int(r["n"]) == len(values), key
        assert (r["wd_p50"], r["wd_p90"], r["h_p50"], r["h_p90"]) == pytest.approx(
            (percentile(days, 0.5), percentile(days, 0.9), percentile(hours, 0.5), percentile(hours, 0.9)),
            rel=1e-9, abs=1e-9), key
    # the shapes are there: a tie, groups of two and of one, and a village with no finished investigation
    assert [d for d, _ in expected[(XINQIAO, "investigate")]] == [2.0] * 5
    assert len(expected[(YANBA, "accept")]) == 2 and len(expected[(YANBA, "verify")]) == 1
    assert (OTHER_VILLAGE, "investigate") not in measured and (OTHER_VILLAGE, "accept") in measured
