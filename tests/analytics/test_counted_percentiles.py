"""Processing times from counts per distinct value, and durations recorded in hundredths.

The arithmetic that turns counts into figures (`repository._from_counts`: n, over and warned as sums of
counts, percentile_cont's median and p90 from running sums) is fed counts directly — ties, a stage finished
once, two values, a p90 between two distinct values that both repeat, values exactly at the limit and at its
warning mark, an extended case's longer limit, a stage nobody finished, and random counts — and checked against
the same figures over the expanded list of values, on SQLite and PostgreSQL. Then the recorded resolution: a
stage that took its limit exactly is not over it, one that took a minute more is (a duration is recorded as the
hundredths it has begun), and migration 0011 records old facts exactly as the refresh now writes them."""

from __future__ import annotations

import importlib
import random
from datetime import timedelta
from types import SimpleNamespace

import pytest
from tortoise import connections

from api.aid_items import service as aid_items
from api.analytics import repository
from api.analytics import service as analytics
from api.kit.workdays import WorkCalendar
from tests.analytics.builders import at, case
from tests.analytics.test_processing_percentiles import YEAR, percentile
from tests.factories import staff_actor

SUPERVISOR = staff_actor("supervisor")
STAGES = ["accept", "investigate", "verify", "review", "approve", "province"]
# item id → (limit, limit once extended) in working days, the same for every stage here
LIMITS = {1: (10.0, 15.0), 2: (4.0, 4.0)}
# stage → [(item id, extended, working days, how many facts)]; hours are given apart
DAYS = {
    # ties across items; 10.0 is item 1's limit exactly (not over), 7.5 its warning mark exactly (not warned)
    "accept": [(1, 0, 1.0, 3), (2, 0, 1.0, 2), (1, 0, 7.5, 2), (1, 0, 10.0, 4), (1, 0, 10.01, 1), (2, 0, 3.01, 2)],
    "investigate": [(1, 0, 2.5, 1)],  # finished once: its own median and p90
    "verify": [(1, 1, 12.0, 1), (1, 0, 12.0, 1)],  # two facts, one value: over once (the other is extended)
    # p90 between two distinct values that both repeat: ranks 0–9 are 1.0, 10–11 are 4.0; p90 at 9.9 → 3.7
    "review": [(2, 0, 1.0, 10), (2, 0, 4.0, 2)],
    # a zero; item 2's limit 4.0 exactly (not over) and its warning mark 3.0 exactly (not warned)
    "approve": [(1, 0, 0.0, 1), (2, 1, 3.0, 1), (2, 1, 3.01, 1), (2, 0, 4.0, 1)],
    "province": [],  # nobody finished it
}
HOURS = {"accept": [(5.5, 10), (6.0, 4)], "investigate": [(20.0, 1)], "verify": [(30.25, 1), (96.0, 1)],
         "review": [(8.0, 6), (9.0, 6)], "approve": [(0.0, 1), (2.0, 1), (1.0, 2)], "province": []}


def _value(d: repository.Dialect, v: float) -> str:
    return f"CAST({float(v)!r} AS DOUBLE PRECISION)"


def _counted(d: repository.Dialect, days: dict, hours: dict) -> str:
    rows = [f"SELECT '{s}' AS stage, 'wd' AS unit, {i} AS item_id, {e} AS extended, {_value(d, v)} AS v, {c} AS c"
            for s, facts in days.items() for i, e, v, c in facts]
    rows += [f"SELECT '{s}', 'h', NULL, NULL, {_value(d, v)}, {c}" for s, facts in hours.items() for v, c in facts]
    return " UNION ALL ".join(rows)


def _expected(days: list[tuple], hours: list[tuple], limits: dict) -> tuple:
    wd = [v for _, _, v, c in days for _ in range(c)]
    h = [v for v, c in hours for _ in range(c)]
    limit = [(limits[i][1] if e else limits[i][0], v, c) for i, e, v, c in days]
    over = sum(c for lim, v, c in limit if v > lim)
    warned = sum(c for lim, v, c in limit if v > 0.75 * lim)
    figures = [percentile(values, p) if values else None for values in (wd, h) for p in (0.5, 0.9)]
    return (len(wd), over, warned, *figures)


def _same(measured: tuple, expected: tuple) -> bool:
    """Counts equal, figures equal to float rounding, missing figures missing."""
    return measured[:3] == expected[:3] and all(
        (m is None and e is None) or (m is not None and e is not None and m == pytest.approx(e, rel=1e-12, abs=1e-12))
        for m, e in zip(measured[3:], expected[3:], strict=True))


async def _figures(days: dict, hours: dict | None, limits: dict) -> dict:
    d = repository.dialect()
    stage_limits = {s: limits for s in days}
    sql = repository._from_counts(d, _counted(d, days, hours or {}), list(days), stage_limits, hours=hours is not None)
    rows = await repository.fetch(d, sql)
    return {r["stage"]: (int(r["n"]), int(r["over"]), int(r["warned"]), r["wd_p50"], r["wd_p90"], r["h_p50"],
                         r["h_p90"]) for r in rows}


async def test_figures_from_counts_match_the_expanded_values(db):
    measured = await _figures(DAYS, HOURS, LIMITS)

    assert sorted(measured) == sorted(STAGES)
    for stage in STAGES:
        assert _same(measured[stage], _expected(DAYS[stage], HOURS[stage], LIMITS)), stage
    # the shapes, worked out by hand
    # item 1 over 10: 10.01; over 7.5: 10.0 ×4 and 10.01 (7.5 itself not); item 2 over 3.0 (of 4): 3.01 ×2
    assert measured["accept"][:3] == (14, 1, 7)
    assert measured["investigate"][3:] == (2.5, 2.5, 20.0, 20.0)
    assert measured["verify"][:5] == (2, 1, 2, 12.0, 12.0)
    assert measured["review"][3:5] == pytest.approx((1.0, 3.7), abs=1e-12)
    assert measured["review"][5:] == pytest.approx((8.5, 9.0), abs=1e-12)
    assert measured["approve"][:3] == (4, 0, 2) and measured["approve"][3] == pytest.approx(3.005, abs=1e-12)
    assert measured["province"] == (0, 0, 0, None, None, None, None)


async def test_figures_from_counts_without_hours(db):
    measured = await _figures(DAYS, None, LIMITS)

    for stage in STAGES:
        assert _same(measured[stage], _expected(DAYS[stage], [], LIMITS)), stage
        assert measured[stage][5:] == (None, None), stage


async def test_figures_from_random_counts_match_the_expanded_values(db):
    rng = random.Random(20261127)
    limits = {1: (3.0, 5.0), 2: (2.5, 2.5), 3: (7.0, 9.0)}
    days, hours = {}, {}
    for stage in STAGES:
        values = sorted({round(rng.uniform(0, 12), 2) for _ in range(rng.randint(1, 40))})
        days[stage] = [(rng.choice(list(limits)), rng.randint(0, 1), v, rng.choice([1, 1, 2, 3, 17]))
                       for v in values for _ in range(rng.randint(1, 2))]
        hours[stage] = [(round(rng.uniform(0, 300), 2), rng.randint(1, 9)) for _ in range(rng.randint(1, 30))]

    measured = await _figures(days, hours, limits)

    for stage in STAGES:
        assert _same(measured[stage], _expected(days[stage], hours[stage], limits)), stage


async def _took(working_days: float, extra: timedelta = timedelta()) -> None:
    start = at("2026-06-01")  # a Monday
    accepted = WorkCalendar.default().add_working_time(start, working_days) + extra
    await case(submitted=start, steps=[("accept", "investigating", accepted)])


async def test_a_stage_that_took_its_limit_exactly_is_not_over_and_a_minute_more_is(db):
    items = await aid_items.list_items(include_disabled=True)
    dibao = next(i for i in items if i.code == "dibao")
    limit = analytics.stage_limits({dibao.id: dibao})["accept"][dibao.id][0]
    await _took(limit)
    await _took(limit, timedelta(minutes=1))
    await _took(0.75 * limit)  # the warning mark exactly: not warned
    await _took(0.75 * limit, timedelta(minutes=1))

    cell = next(c for c in await analytics.processing_times(SUPERVISOR, **YEAR, stages=["accept"]) if c.stage == "accept")

    assert cell.count.count == 4
    assert cell.over_limit_share.value == 0.25  # only limit + 1 minute
    assert cell.over_warning_share.value == 0.75  # all but the warning mark itself
    stored = await connections.get("default").execute_query_dict(
        "SELECT accept_wd FROM case_fact ORDER BY case_id")
    # recorded in hundredths, rounded up: a minute (0.0007 of a working day) more is the next hundredth
    assert [r["accept_wd"] for r in stored] == [limit, limit + 0.01, 0.75 * limit, 0.75 * limit + 0.01]


def test_recorded_rounds_up_to_the_hundredth_and_keeps_a_hundredth():
    assert repository.recorded(None) is None
    assert repository.recorded(2.0) == 2.0
    assert repository.recorded(2.0000000001) == 2.0  # float noise (9 µs), not a longer duration
    assert repository.recorded(2.00000002) == 2.01  # 1.7 ms more
    assert repository.recorded(2.0000001, "h") == 2.0 and repository.recorded(2.000001, "h") == 2.01  # 0.4, 3.6 ms
    assert repository.recorded(2.341) == 2.35
    assert repository.recorded(0.0) == 0.0
    assert all(repository.recorded(repository.recorded(k / 100, u), u) == repository.recorded(k / 100, u) == k / 100
               for k in range(0, 100_000, 7) for u in ("wd", "h"))


async def test_migration_0011_records_old_facts_as_the_refresh_writes_them(db):
    migration = importlib.import_module("api.migrations.0011_case_fact_hundredths")
    start = at("2026-03-02")
    for minutes in (1, 37, 24 * 60 + 5, 3 * 24 * 60):
        await case(submitted=start, steps=[("accept", "investigating", start + timedelta(minutes=minutes)),
                                           ("investigate", "verifying", start + timedelta(days=2, minutes=minutes))])
    await analytics.refresh_facts()
    client = connections.get("default")
    columns = ", ".join(repository.FIGURES)
    written = await client.execute_query_dict(f"SELECT case_id, {columns} FROM case_fact ORDER BY case_id")
    editor = SimpleNamespace(collect_sql=False, client=client)

    await migration.record_hundredths(None, editor)  # on facts already recorded in hundredths: no change
    again = await client.execute_query_dict(f"SELECT case_id, {columns} FROM case_fact ORDER BY case_id")
    # facts written before (unrounded): the migration gives what the refresh gives now
    await client.execute_script("UPDATE case_fact SET accept_wd = accept_wd + 0.0012345, accept_h = accept_h + 0.0123")
    await migration.record_hundredths(None, editor)
    migrated = await client.execute_query_dict("SELECT accept_wd, accept_h FROM case_fact ORDER BY case_id")

    assert again == written
    assert migration.NOISE == {unit: repr(noise) for unit, noise in repository.NOISE.items()}  # frozen, the same
    assert [(r["accept_wd"], r["accept_h"]) for r in migrated] == [
        (repository.recorded(r["accept_wd"] + 0.0012345), repository.recorded(r["accept_h"] + 0.0123, "h"))
        for r in written]
    assert {r["accept_wd"] for r in written} != {r["accept_wd"] for r in migrated}
