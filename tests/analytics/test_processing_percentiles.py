"""Processing times over many cases, checked against an independent computation: every stage's count, median
and 90th percentile (linear interpolation between the closest ranks, as PostgreSQL's percentile_cont) in
working days (WorkCalendar) and hours, and the cases over the item's limit and over its warning mark — all
stages at once and grouped, on SQLite and PostgreSQL (which compute them differently)."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import pytest

from api.aid_items import service as aid_items
from api.analytics import repository
from api.analytics import service as analytics
from api.kit.workdays import WorkCalendar
from tests.analytics.builders import at, case, person, route
from tests.factories import OTHER_VILLAGE, XINQIAO, YANBA, staff_actor

SUPERVISOR = staff_actor("supervisor")
YEAR = {"start": date(2026, 1, 1), "end": date(2026, 12, 31)}
ROUTE = ("accept", "investigate", "verify", "review", "approve")
# the stages ROUTE measures, each as (from the step before, to its own step); total: submission to decision
SPANS = {"accept": (0, 1), "investigate": (1, 2), "verify": (2, 3), "review": (3, 4), "approve": (4, 5),
         "total": (0, 5)}


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between the closest ranks (percentile_cont)."""
    ordered = sorted(values)
    pos = p * (len(ordered) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


async def _generated(rng: random.Random) -> list[dict]:
    """Writes cases through the whole route (some only partly, some extended) and returns what each one is:
    its item, township, extension and the moments of its steps."""
    made = []
    for n in range(60):
        region = (XINQIAO, YANBA, OTHER_VILLAGE)[n % 3]
        item = "dibao" if n % 4 else "tekun"
        submitted = at("2026-03-02") + timedelta(days=rng.randint(0, 200), minutes=rng.randint(0, 24 * 60 - 1))
        # calendar days each step takes (weekends and holidays make the working days differ), to the minute
        steps = [round(rng.uniform(0.05, 9.0) * 24 * 60) / (24 * 60) for _ in ROUTE]
        finished = len(ROUTE) if n % 5 else rng.randint(1, len(ROUTE) - 1)  # every fifth stops on the way
        extended = n % 7 == 0
        taken = route(submitted, *steps[:finished])
        await case(await person(region=region), item=item, submitted=submitted, steps=taken, extended=extended)
        made.append({"item": item, "township": region[:9], "extended": extended,
                     "moments": [submitted, *[when for _, _, when in taken]]})
    return made


def _expected(made: list[dict], limits: dict, item_ids: dict[str, int], by_township: bool) -> dict:
    """(township or None, stage) → (n, over, warned, wd p50, wd p90, h p50, h p90), computed in Python."""
    calendar = WorkCalendar.default()
    spans: dict[tuple, list[tuple[float, float, float | None]]] = {}
    for c in made:
        for stage, (a, b) in SPANS.items():
            if b >= len(c["moments"]):
                continue
            start, end = c["moments"][a], c["moments"][b]
            base, ext = limits.get(stage, {}).get(item_ids[c["item"]], (None, None))
            limit = ext if c["extended"] else base
            key = (c["township"] if by_township else None, stage)
            spans.setdefault(key, []).append(  # as the facts record them: in hundredths, rounded up
                (repository.recorded(calendar.working_days_between(start, end)),
                 repository.recorded((end - start).total_seconds() / 3600, "h"), limit))
    out = {}
    for key, rows in spans.items():
        wd, h = [r[0] for r in rows], [r[1] for r in rows]
        over = sum(1 for d, _, lim in rows if lim is not None and d > lim)
        warned = sum(1 for d, _, lim in rows if lim is not None and d > 0.75 * lim)
        out[key] = (len(rows), over, warned, percentile(wd, 0.5), percentile(wd, 0.9), percentile(h, 0.5),
                    percentile(h, 0.9))
    return out


def _spy(monkeypatch) -> list[dict]:
    """Records the rows the database returns for processing times (the figures before rounding)."""
    rows: list[dict] = []
    durations = repository.durations

    async def spy(*args, **kwargs):
        found = await durations(*args, **kwargs)
        rows.extend(found)
        return found

    monkeypatch.setattr(repository, "durations", spy)
    return rows


def _measured(rows: list[dict], by_township: bool) -> dict:
    out = {}
    for r in rows:
        if int(r["n"] or 0):
            key = (r[repository.key_column("township")] if by_township else None, r["stage"])
            out[key] = (int(r["n"]), int(r["over"] or 0), int(r["warned"] or 0), r["wd_p50"], r["wd_p90"],
                        r["h_p50"], r["h_p90"])
    return out


@pytest.mark.parametrize("hours", [True, False], ids=["hours", "days-only"])
@pytest.mark.parametrize("by_township", [False, True], ids=["district", "by-township"])
async def test_processing_times_of_every_stage_match_an_independent_computation(db, monkeypatch, by_township, hours):
    # (SQLite counts the district's working days when hours are not asked for, and ranks otherwise)
    made = await _generated(random.Random(20261126))
    items = await aid_items.list_items(include_disabled=True)
    limits = analytics.stage_limits({i.id: i for i in items})
    expected = _expected(made, limits, {i.code: i.id for i in items}, by_township)
    rows = _spy(monkeypatch)

    cells = await analytics.processing_times(SUPERVISOR, **YEAR, group_by=["township"] if by_township else None,
                                             hours=hours)

    measured = _measured(rows, by_township)
    assert sorted(measured) == sorted(expected)
    for key, figures in expected.items():
        assert measured[key][:3] == figures[:3], key
        if hours:
            assert measured[key][3:] == pytest.approx(figures[3:], rel=1e-9, abs=1e-9), key
        else:
            assert measured[key][3:5] == pytest.approx(figures[3:5], rel=1e-9, abs=1e-9), key
            assert measured[key][5:] == (None, None), key
    # the stages no case finished are there (empty) for the district, left out of a breakdown
    assert {c.stage for c in cells if not c.count.count} == (set() if by_township else {"province", "pay"})
    assert any(f[1] for f in expected.values()) and any(f[2] > f[1] for f in expected.values())


async def test_working_days_only_gives_the_same_figures(db, monkeypatch):
    await _generated(random.Random(7))
    rows = _spy(monkeypatch)

    await analytics.processing_times(SUPERVISOR, **YEAR, group_by=["township"])
    both = _measured(rows, True)
    rows.clear()
    await analytics.processing_times(SUPERVISOR, **YEAR, group_by=["township"], hours=False)
    days = _measured(rows, True)

    assert {k: v[:5] for k, v in days.items()} == {k: v[:5] for k, v in both.items()}
    assert {v[5:] for v in days.values()} == {(None, None)}


def test_stages_are_dealt_to_branches_of_about_equal_work():
    branches = repository._branches(list(analytics.STAGES), 2)

    assert sorted(s for b in branches for s in b) == sorted(analytics.STAGES)
    weights = [sum(repository.STAGE_WEIGHT[s] for s in b) for b in branches]
    assert max(weights) - min(weights) <= 2
    assert repository._branches(["accept"], 2) == [["accept"]]
