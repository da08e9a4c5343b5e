"""Every query of the analytics domain: aggregates computed by the database, never cases loaded into Python.

Analytics is a read model. Unlike other domains it reads the tables of cases, events, applicants, surveys
and provincial syncs directly, because a statistic is one SQL statement over them. It never selects a
name, ID number, phone, address or bank account; comments are read with the applicant's name replaced.

Two tables belong to it (created by migration 0007, not Tortoise models):
- `workday_index`: day number → working days before it (see `workdays.py`);
- `case_fact`: one narrow row per case — submission time and month, item, village, channel, status, age at
  submission, minutes to apply, the survey's rating and ease, and the working days and hours of each
  finished stage, in hundredths rounded up (`recorded`). `write_facts`
  computes the rows in SQL (a GROUP BY over the case's events) for the cases changed since the last
  refresh, so statistics scan one narrow table instead of joining cases, applicants and millions of events.

SQLite and PostgreSQL differ in a few places, kept in `Dialect`: epoch seconds, Shanghai month and date,
percentiles (PostgreSQL's `percentile_cont`; on SQLite the same linear interpolation from `ROW_NUMBER()`
and `COUNT()` windows, or for the district's processing times from counts per distinct value), and bind
parameters (`$n` / `?n`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tortoise import connections
from tortoise.transactions import in_transaction

from api.analytics import workdays

log = logging.getLogger("dachuan.analytics")

# a stage and the statuses a case holds while in it (api.cases.workflow.STATUS_STAGE); approval is apart
# because its clock starts when the public notice ends, not when the case enters `approving`
STAGE_STATUSES = {
    "accept": ("submitted",), "investigate": ("investigating",), "verify": ("verifying",),
    "review": ("reviewing",), "province": ("accepted", "province_review"), "pay": ("approved",),
}
# the actions that finish a stage for good (a return for supplement interrupts acceptance; it does not end it)
STAGE_FINAL_ACTIONS = {
    "accept": ("accept", "refuse"), "investigate": ("investigate",), "verify": ("verify",), "review": ("review",),
    "approve": ("approve", "reject"), "province": ("province_decide",), "pay": ("pay_start",),
}
STAGES = ("accept", "investigate", "verify", "review", "approve", "province", "pay", "total")
OPEN_STATUSES = ("submitted", "investigating", "verifying", "reviewing", "approving", "accepted",
                 "province_review", "approved")  # a stage clock runs in these
DECIDED_STATUSES = ("approved", "paying", "closed", "rejected")
AGE_BANDS = (("0-17", 0, 18), ("18-59", 18, 60), ("60-69", 60, 70), ("70-79", 70, 80), ("80-89", 80, 90),
             ("90+", 90, 1000))
FACT_COLUMNS = ("last_seq", "submitted_at", "month", "item_id", "region_id", "channel", "status", "applicant_id",
                "age", "accepted", "extended", "draft_minutes", "rating", "ease",
                *[f"{s}_{u}" for s in STAGES for u in ("wd", "h")])
# the working days and hours of every stage, recorded in hundredths, rounded up (a duration is recorded as the
# hundredths it has begun): see `recorded`
FIGURES = tuple(f"{s}_{u}" for s in STAGES for u in ("wd", "h"))
RESOLUTION = 100
# computed durations carry float noise (SQLite's julianday arithmetic: up to ~0.1 ms on a duration of whole
# minutes): a duration less than a millisecond above a whole hundredth is recorded as that hundredth, not the
# next (SQLite keeps times to the millisecond anyway). The millisecond in hundredths of a working day, of an hour:
NOISE = {"wd": RESOLUTION / 86_400_000, "h": RESOLUTION / 3_600_000}
STATEMENT_TIMEOUT_MS = 120_000
# PostgreSQL: processing times read the facts once per branch of a UNION ALL, which it may run in parallel
# workers; the stages are dealt out to the branches by their usual number of finished cases (STAGE_WEIGHT)
PG_BRANCHES = 2
STAGE_WEIGHT = {"accept": 10, "total": 9, "approve": 8, "pay": 8, "investigate": 6, "verify": 5, "review": 3,
                "province": 1}


@dataclass(frozen=True)
class Scope:
    """Which cases a statistic covers: submitted in [start, end), inside a region, matching the filters."""

    start: datetime
    end: datetime
    region_prefix: str = ""
    # dimension → allowed values (item values are item ids); every value is already validated
    filters: dict[str, tuple] = field(default_factory=dict)


class Dialect:
    """The SQL that differs between SQLite and PostgreSQL, and the statement's bind parameters."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pg = name == "postgres"
        self.params: list = []

    def p(self, value) -> str:
        """Binds a value and returns its placeholder."""
        self.params.append(value)
        return f"${len(self.params)}" if self.pg else f"?{len(self.params)}"

    def epoch(self, col: str) -> str:
        if self.pg:
            return f"EXTRACT(EPOCH FROM {col})"
        return f"((julianday({col}) - 2440587.5) * 86400.0)"

    def local_days(self, col: str) -> str:
        """Days since 1970-01-01 in Shanghai, with the fraction of the day."""
        return f"(({self.epoch(col)} + {workdays.SHANGHAI_OFFSET}) / 86400.0)"

    def day_number(self, col: str) -> str:
        # CAST truncates on SQLite and rounds on PostgreSQL; every timestamp here is after 1970
        if self.pg:
            return f"CAST(FLOOR({self.local_days(col)}) AS INTEGER)"
        return f"CAST({self.local_days(col)} AS INTEGER)"

    def month(self, col: str) -> str:
        if self.pg:
            return f"to_char({col} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"
        return f"strftime('%Y-%m', {col}, '+8 hours')"

    def day(self, col: str) -> str:
        if self.pg:
            return f"to_char({col} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')"
        return f"strftime('%Y-%m-%d', {col}, '+8 hours')"

    def age(self, at_col: str, birth_col: str) -> str:
        """Whole years from a birth date to the Shanghai date of a timestamp."""
        if self.pg:
            return (f"((CAST(to_char({at_col} AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') AS INTEGER)"
                    f" - CAST(to_char({birth_col}, 'YYYYMMDD') AS INTEGER)) / 10000)")
        return (f"((CAST(strftime('%Y%m%d', {at_col}, '+8 hours') AS INTEGER)"
                f" - CAST(strftime('%Y%m%d', {birth_col}) AS INTEGER)) / 10000)")

    def floor(self, value: str) -> str:
        """The whole part of a value that is never negative (CAST rounds on PostgreSQL, truncates on SQLite)."""
        return f"FLOOR({value})" if self.pg else f"CAST({value} AS INTEGER)"

    def bool_int(self, col: str) -> str:
        return f"(CASE WHEN {col} THEN 1 ELSE 0 END)"

    def percentiles(self, inner: str, keys: Sequence[str], values: Sequence[str], aggregates: Sequence[str], *,
                    nullable: bool = True) -> str:
        """Groups `inner` by `keys`: the aggregates plus `<value>_p50` and `<value>_p90` of each value column,
        by linear interpolation between the closest ranks (PostgreSQL's percentile_cont). `nullable=False`
        promises that no value is NULL, which lets SQLite rank and count in one sort per value."""
        group = f" GROUP BY {', '.join(keys)}" if keys else ""
        if self.pg:
            # (processing times gather each group's values instead, see _pg_percentile_pair: here the groups are
            # few with many values, where sorting by the group costs little, or many small ones — days — where
            # gathering costs more than it saves)
            arrays = [f"percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {v}) AS {v}_pct" for v in values]
            picks = [f"{v}_pct[1] AS {v}_p50, {v}_pct[2] AS {v}_p90" for v in values]
            names = [*keys, *[a.rsplit(" AS ", 1)[1] for a in aggregates]]
            return (f"SELECT {', '.join([*names, *picks])} FROM"
                    f" (SELECT {', '.join([*keys, *aggregates, *arrays])} FROM ({inner}) t{group}) g")
        part = f"PARTITION BY {', '.join(keys)} " if keys else ""
        windows, counts = [], {}
        for v in values:
            if nullable:
                windows.append(f"ROW_NUMBER() OVER (PARTITION BY {', '.join([*keys, f'({v} IS NULL)'])} ORDER BY {v})"
                               f" AS {v}_rn, COUNT({v}) OVER ({part.strip()}) AS {v}_n")
                counts[v] = f"{v}_n"
            else:
                # the count over the whole partition shares the rank's sort
                windows.append(f"ROW_NUMBER() OVER ({part}ORDER BY {v}) AS {v}_rn")
                counts[v] = f"{values[0]}_n"
        counted = ""
        if not nullable and not keys:
            # one group: the count is one more pass over the (narrow) rows, cheaper than a window over the whole
            # sorted partition, which SQLite buffers and walks again
            counted = "c AS MATERIALIZED (SELECT COUNT(*) AS n FROM t), "
            counts = {v: "c.n" for v in values}
        elif not nullable:
            windows.append(f"COUNT(*) OVER ({part}ORDER BY {values[0]} ROWS BETWEEN UNBOUNDED PRECEDING"
                           f" AND UNBOUNDED FOLLOWING) AS {values[0]}_n")
        pcts = []
        for v in values:
            for p in (0.5, 0.9):
                pos = f"({p} * ({counts[v]} - 1))"
                lo = f"CAST({pos} AS INTEGER)"
                frac = f"({pos} - {lo})"
                pcts.append(f"SUM(CASE WHEN {v} IS NULL THEN NULL WHEN {v}_rn = {lo} + 1 THEN {v} * (1 - {frac})"
                            f" WHEN {v}_rn = {lo} + 2 THEN {v} * {frac} END) AS {v}_p{round(p * 100)}")
        return (f"SELECT * FROM (WITH t AS ({inner}), {counted}r AS (SELECT t.*, {', '.join(windows)} FROM t) "
                f"SELECT {', '.join([*keys, *aggregates, *pcts])} FROM r{', c' if counted else ''}{group}) x")


def dialect() -> Dialect:
    """Returns a fresh statement builder for the default connection's database."""
    return Dialect(connections.get("default").capabilities.dialect)


async def fetch(d: Dialect, sql: str) -> list[dict]:
    """Runs one read-only statement; on PostgreSQL with room to sort in memory and a time limit."""
    if not d.pg:
        return await connections.get("default").execute_query_dict(sql, d.params)
    async with in_transaction() as conn:
        # statistics sort up to a million values: give them memory, and never let one run for ever; plan each
        # statement for its own range (the driver prepares statements, and after five runs PostgreSQL may
        # switch to a generic plan that does not know the range: end to end by item over 36 months went from
        # 740 to 970 ms from the sixth run on)
        await conn.execute_script(f"SET LOCAL work_mem = '64MB'; SET LOCAL jit = off;"
                                  f" SET LOCAL plan_cache_mode = force_custom_plan;"
                                  f" SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}")
        return await conn.execute_query_dict(sql, d.params)


# ------------------------------------------------------------------------------------------- dimensions


def dimension_sql(d: Dialect, dimension: str, source: str = "f") -> str:
    """The SQL of a dimension over `case_fact f`, or over `aid_case c` (with `applicant a` for the age band)."""
    if dimension == "item":
        return f"{source}.item_id"
    if dimension == "status":
        return f"{source}.status"
    if dimension == "township":
        return f"substr({source}.region_id, 1, 9)"
    if dimension == "village":
        return f"{source}.region_id"
    if dimension == "channel":
        return f"{source}.channel"
    if dimension == "month":
        return "f.month" if source == "f" else d.month("c.submitted_at")
    if dimension == "ageBand":
        age = "f.age" if source == "f" else d.age("c.submitted_at", "a.birth_date")
        whens = " ".join(f"WHEN {age} < {hi} THEN '{band}'" for band, _, hi in AGE_BANDS[:-1])
        return f"(CASE {whens} ELSE '{AGE_BANDS[-1][0]}' END)"
    raise ValueError(f"unknown dimension {dimension}")


def key_column(dimension: str) -> str:
    """The result column of a dimension (lower case: PostgreSQL folds unquoted names)."""
    return f"k_{dimension.lower()}"


def _select_dims(d: Dialect, dimensions: Sequence[str], source: str = "f", *, grouped: bool = False) -> list[str]:
    """The dimensions as result columns. `grouped`: percentiles are computed per group, which PostgreSQL may
    sort by them, so text keys are compared byte by byte (COLLATE "C") rather than through the database's
    locale: the same groups (equal means byte-equal either way), sorted several times faster."""
    out = []
    for dim in dimensions:
        sql = dimension_sql(d, dim, source)
        if grouped and d.pg and dim != "item":
            sql = f'({sql}) COLLATE "C"'
        out.append(f"{sql} AS {key_column(dim)}")
    return out


def _keys(dimensions: Sequence[str]) -> list[str]:
    return [key_column(dim) for dim in dimensions]


def _group(keys: Sequence[str]) -> str:
    return f" GROUP BY {', '.join(keys)} ORDER BY {', '.join(keys)}" if keys else ""


def scope_where(d: Dialect, scope: Scope, source: str = "f") -> str:
    """The conditions of a scope (submission range, region, filters) over `case_fact f` or `aid_case c`."""
    # SQLite: the narrow fact table is scanned faster than it is reached row by row through the index ("+")
    at = f"+{source}.submitted_at" if source == "f" and not d.pg else f"{source}.submitted_at"
    conds = [f"{at} >= {d.p(scope.start)}", f"{at} < {d.p(scope.end)}"]
    if len(scope.region_prefix) > 6:  # every case lies inside the district
        conds.append(f"{source}.region_id LIKE {d.p(scope.region_prefix + '%')}")
    for dimension, values in sorted(scope.filters.items()):
        expr = dimension_sql(d, dimension, source)
        if dimension == "item":
            conds.append(f"{expr} IN ({', '.join(str(int(v)) for v in values)})")
        else:
            conds.append(f"{expr} IN ({', '.join(d.p(v) for v in values)})")
    return " AND ".join(conds)


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


# ------------------------------------------------------------------------------------------- statistics


async def case_counts(scope: Scope, dimensions: Sequence[str]) -> list[dict]:
    """Returns the number of cases per combination of the dimensions (`k_<dimension>`, `n`)."""
    d = dialect()
    keys = _keys(dimensions)
    inner = f"SELECT {', '.join([*_select_dims(d, dimensions), 'f.case_id'])} FROM case_fact f WHERE {scope_where(d, scope)}"
    return await fetch(d, f"SELECT {', '.join([*keys, 'COUNT(*) AS n'])} FROM ({inner}) t{_group(keys)}")


async def funnel(scope: Scope, paying_item_ids: Sequence[int]) -> dict:
    """Returns how many cases reached each step and how many ended early, by reason."""
    d = dialect()
    paying = ", ".join(str(int(i)) for i in paying_item_ids) or "0"
    sql = (
        "SELECT COUNT(*) AS submitted, SUM(f.accepted) AS accepted,"
        f" SUM(CASE WHEN f.status IN ({_quoted(DECIDED_STATUSES)}) THEN 1 ELSE 0 END) AS decided,"
        " SUM(CASE WHEN f.status IN ('approved', 'paying', 'closed') THEN 1 ELSE 0 END) AS approved,"
        f" SUM(CASE WHEN f.status = 'paying' OR (f.status = 'closed' AND f.item_id IN ({paying}))"
        " THEN 1 ELSE 0 END) AS paid,"
        " SUM(CASE WHEN f.status = 'withdrawn' THEN 1 ELSE 0 END) AS withdrawn,"
        " SUM(CASE WHEN f.status = 'refused' THEN 1 ELSE 0 END) AS refused,"
        " SUM(CASE WHEN f.status = 'rejected' THEN 1 ELSE 0 END) AS rejected"
        f" FROM case_fact f WHERE {scope_where(d, scope)}"
    )
    row = (await fetch(d, sql))[0]
    return {k: int(v or 0) for k, v in row.items()}


def _limit_case(limits: dict[int, tuple[float, float]]) -> str:
    """A limit per item (and the longer one once the case was extended), as SQL over `case_fact f`: one WHEN
    per distinct limit, with the items that share it (items mostly do: a few tests per fact, not one per
    item), and DOUBLE PRECISION values (numeric literals would make PostgreSQL compare every value as numeric)."""
    by_limit: dict[tuple[float, float], list[int]] = {}
    for item_id, (base, ext) in sorted(limits.items()):
        by_limit.setdefault((float(base), float(ext)), []).append(int(item_id))
    whens = []
    for (base, ext), ids in by_limit.items():
        value = _double(base) if base == ext else f"(CASE WHEN f.extended = 1 THEN {_double(ext)} ELSE {_double(base)} END)"
        whens.append(f"WHEN f.item_id IN ({', '.join(str(i) for i in ids)}) THEN {value}")
    return f"(CASE {' '.join(whens)} END)" if whens else _double(None)


def _over(value: str, limits: dict[int, tuple[float, float]], limit: str, share: float = 1.0) -> str:
    """`value > share × limit` — the item's limit, `limit` (from `_limit_case`) — tested first against the
    smallest of the stage's limits, so the per-item CASE runs only for the durations that could be over one:
    most are under all of them."""
    if not limits:
        return "FALSE"
    least = share * min(min(base, ext) for base, ext in limits.values())
    scaled = limit if share == 1.0 else f"{share} * {limit}"
    return f"{value} > {_double(least)} AND {value} > {scaled}"


def _double(value: float | None) -> str:
    return f"CAST({'NULL' if value is None else float(value)} AS DOUBLE PRECISION)"


def _branches(stages: Sequence[str], count: int) -> list[list[str]]:
    """Splits the stages into at most `count` groups of about equal work (the biggest stages dealt out first)."""
    by_size = sorted(stages, key=lambda s: STAGE_WEIGHT.get(s, 0), reverse=True)
    groups: list[list[str]] = [[] for _ in range(min(count, len(stages)))]
    for stage in by_size:
        min(groups, key=lambda g: sum(STAGE_WEIGHT.get(s, 0) for s in g)).append(stage)
    return [sorted(g, key=stages.index) for g in groups if g]


async def durations(scope: Scope, dimensions: Sequence[str], stages: Sequence[str],
                    limits: dict[str, dict[int, tuple[float, float]]], *, hours: bool = True) -> list[dict]:
    """Returns per stage (and dimensions) the cases that finished it (`n`), the median and p90 of its working
    days (`wd_p50`, `wd_p90`) and hours (`h_p50`, `h_p90`; NULL unless `hours`), and how many took longer
    than the limit (`over`) or than 75% of it (`warned`). `limits`: stage → item id → (limit, limit once
    extended) in working days.

    The facts record durations in hundredths (`recorded`), so a stage's values repeat. PostgreSQL sorts them
    (`percentile_cont`; repeated values sort faster than distinct ones), reading the facts once per branch (a
    few stages each, `percentile_cont … FILTER` per stage), and may run the branches in parallel workers.
    SQLite counts the district's working days (`_sqlite_counts`: a count per distinct value, the percentiles
    from running sums of the counts); hours barely repeat even in hundredths, and a breakdown has too few facts
    per group and value, so for those it ranks each stage's values (`ROW_NUMBER`) in its own branch, where
    counting cost more. The same figures either way."""
    if not stages:
        return []
    d = dialect()
    keys = _keys(dimensions)
    if d.pg:
        parts = [_pg_durations(d, scope, dimensions, group, limits, hours) for group in _branches(stages, PG_BRANCHES)]
        return await fetch(d, " UNION ALL ".join(f"SELECT * FROM ({p}) s{i}" for i, p in enumerate(parts)))
    if not dimensions and not hours:
        return await fetch(d, _from_counts(d, _sqlite_counts(d, scope, stages), stages, limits, hours=False))
    values = ["wd", "h"] if hours else ["wd"]
    parts = []
    for stage in stages:
        limit = _limit_case(limits.get(stage, {}))
        wd, h = f"f.{stage}_wd", f"f.{stage}_h"
        known = limits.get(stage, {})
        inner = (  # hours are selected (and so carried through the ranking) only when asked for
            f"SELECT {', '.join([*_select_dims(d, dimensions), f'{wd} AS wd', *([f'{h} AS h'] if hours else [])])},"
            f" (CASE WHEN {_over(wd, known, limit)} THEN 1 ELSE 0 END) AS over,"
            f" (CASE WHEN {_over(wd, known, limit, 0.75)} THEN 1 ELSE 0 END) AS warned"
            f" FROM case_fact f WHERE {scope_where(d, scope)} AND {wd} IS NOT NULL AND {h} IS NOT NULL"
        )
        aggregates = [f"'{stage}' AS stage", "COUNT(*) AS n", "SUM(over) AS over", "SUM(warned) AS warned"]
        sql = d.percentiles(inner, keys, values, aggregates, nullable=False)
        parts.append(sql if hours else f"SELECT p.*, NULL AS h_p50, NULL AS h_p90 FROM ({sql}) p")
    return await fetch(d, " UNION ALL ".join(f"SELECT * FROM ({p}) s{i}" for i, p in enumerate(parts)))


def _sqlite_counts(d: Dialect, scope: Scope, stages: Sequence[str]) -> str:
    """SQLite, over the whole scope: how many facts finished each stage with each working-day value, per item
    and extension (the limit depends on them), as rows (stage, unit, item_id, extended, v, c)."""
    parts = []
    for stage in stages:
        wd, h = f"f.{stage}_wd", f"f.{stage}_h"
        parts.append(f"SELECT '{stage}' AS stage, 'wd' AS unit, f.item_id, f.extended, {wd} AS v, COUNT(*) AS c"
                     f" FROM case_fact f WHERE {scope_where(d, scope)} AND {wd} IS NOT NULL AND {h} IS NOT NULL"
                     f" GROUP BY f.item_id, f.extended, {wd}")
    return " UNION ALL ".join(f"SELECT * FROM ({p}) s{i}" for i, p in enumerate(parts))


def _from_counts(d: Dialect, counted: str, stages: Sequence[str],
                 limits: dict[str, dict[int, tuple[float, float]]], *, hours: bool) -> str:
    """From rows (stage, unit, item_id, extended, v, c) — `c` facts whose duration in `unit` ('wd' or 'h') is
    `v` — one row per stage asked for: n, over, warned and the percentiles, exactly as over the facts themselves.

    n is the sum of the counts; over (warned) the sum of the counts of working days over the item's limit (over
    75% of it); the value at 0-based rank k of the sorted values is the smallest v whose running count (the
    facts with a value up to v, ties included) exceeds k; and percentile_cont's p-th percentile of n values is
    the value at rank ⌊p(n−1)⌋, plus (the next rank's value − it) × the fraction of p(n−1)."""
    units = ("wd", "h") if hours else ("wd",)
    running = ("SELECT u.*, SUM(c) OVER (PARTITION BY stage, unit ORDER BY v) AS cum,"
               f" SUM(c) OVER (PARTITION BY stage, unit) AS n FROM ({counted}) u")
    limit = f"(CASE f.stage {' '.join(f'WHEN {_quoted([s])} THEN {_limit_case(limits.get(s, {}))}' for s in stages)} END)"
    picks = [f"SUM(CASE WHEN f.unit = 'wd' AND f.v > {limit} THEN f.c ELSE 0 END) AS over",
             f"SUM(CASE WHEN f.unit = 'wd' AND f.v > 0.75 * {limit} THEN f.c ELSE 0 END) AS warned"]
    out = []
    for unit in ("wd", "h"):
        if unit not in units:
            out += [f"{_double(None)} AS {unit}_p50", f"{_double(None)} AS {unit}_p90"]
            continue
        picks.append(f"MAX(CASE WHEN f.unit = '{unit}' THEN f.n END) AS {unit}_n")
        for p in (0.5, 0.9):
            name, rank = f"{unit}_p{round(p * 100)}", d.floor(f"({_double(p)} * (f.n - 1))")
            picks += [f"MIN(CASE WHEN f.unit = '{unit}' AND f.cum > {rank} THEN f.v END) AS {name}_lo",
                      f"MIN(CASE WHEN f.unit = '{unit}' AND f.cum > {rank} + 1 THEN f.v END) AS {name}_hi"]
            pos = f"({_double(p)} * (a.{unit}_n - 1))"
            lo, hi, whole = f"a.{name}_lo", f"a.{name}_hi", d.floor(pos)
            # on a rank exactly, its value (there may be no next one); else lo + (hi − lo) × fraction, as PostgreSQL
            out.append(f"(CASE WHEN {pos} = {whole} THEN {lo} ELSE {lo} + ({hi} - {lo}) * ({pos} - {whole}) END)"
                       f" AS {name}")
    figures = f"SELECT f.stage, {', '.join(picks)} FROM ({running}) f GROUP BY f.stage"
    # a row for every stage asked for, whether any fact finished it or not (the district's figures)
    asked = " UNION ALL ".join(f"SELECT {_quoted([s])} AS stage" for s in stages)
    return (f"SELECT s.stage, {_count(d, 'a.wd_n')} AS n, {_count(d, 'a.over')} AS over,"
            f" {_count(d, 'a.warned')} AS warned, {', '.join(out)}"
            f" FROM ({asked}) s LEFT JOIN ({figures}) a ON a.stage = s.stage")


def _count(d: Dialect, sql: str) -> str:
    """A count that may be missing (0), as an integer (PostgreSQL sums integers as numeric)."""
    return f"CAST(COALESCE({sql}, 0) AS BIGINT)" if d.pg else f"COALESCE({sql}, 0)"


def _pg_durations(d: Dialect, scope: Scope, dimensions: Sequence[str], stages: Sequence[str],
                  limits: dict[str, dict[int, tuple[float, float]]], hours: bool) -> str:
    """One pass over the facts for a few stages: per group, each stage's counts and percentiles as columns
    (an aggregate FILTERed to the facts that finished the stage), then turned into one row per stage.
    Grouped, each group's values are gathered by hashing and sorted group by group (`_pg_percentile_pair`)."""
    keys = _keys(dimensions)
    cols, aggregates, picks, rows = [], [], [], []
    for stage in stages:
        wd, h, lim = f"t.{stage}_wd", f"t.{stage}_h", f"t.{stage}_lim"
        cols += [f"f.{stage}_wd", f"f.{stage}_h", f"{_limit_case(limits.get(stage, {}))} AS {stage}_lim"]
        done = f"{wd} IS NOT NULL AND {h} IS NOT NULL"
        known = limits.get(stage, {})
        aggregates += [f"COUNT(*) FILTER (WHERE {done}) AS {stage}_n",
                       f"COUNT(*) FILTER (WHERE {done} AND {_over(wd, known, lim)}) AS {stage}_over",
                       f"COUNT(*) FILTER (WHERE {done} AND {_over(wd, known, lim, 0.75)}) AS {stage}_warned"]
        picks += [f"{stage}_n", f"{stage}_over", f"{stage}_warned"]
        for value, unit in ((wd, "wd"), *([(h, "h")] if hours else [])):
            aggregate, pick = _pg_percentile_pair(value, f"{stage}_{unit}", done, grouped=bool(keys))
            aggregates.append(aggregate)
            picks.append(pick)
        if hours:
            pick_h = f"g.{stage}_h[1], g.{stage}_h[2]"
        else:
            pick_h = "CAST(NULL AS DOUBLE PRECISION), CAST(NULL AS DOUBLE PRECISION)"
        rows.append(f"('{stage}', g.{stage}_n, g.{stage}_over, g.{stage}_warned, g.{stage}_wd[1], g.{stage}_wd[2],"
                    f" {pick_h})")
    # only the facts that finished one of the stages (for one stage: only its own); a group none of whose cases
    # finished is left out, as the service leaves it out of a breakdown (the district's one row stays: an
    # aggregate without GROUP BY always has one)
    finished = " OR ".join(f"(f.{s}_wd IS NOT NULL AND f.{s}_h IS NOT NULL)" for s in stages)
    inner = (f"SELECT {', '.join([*_select_dims(d, dimensions, grouped=True), *cols])} FROM case_fact f"
             f" WHERE {scope_where(d, scope)} AND ({finished})")
    group = f" GROUP BY {', '.join(keys)}" if keys else ""
    grouped = f"SELECT {', '.join([*keys, *aggregates])} FROM ({inner}) t{group}"
    if keys:  # each group's gathered values sorted apart (OFFSET 0: once per group, not once per pick)
        grouped = f"SELECT {', '.join([*keys, *picks])} FROM ({grouped}) g0 OFFSET 0"
    return (f"SELECT {', '.join([*[f'g.{k}' for k in keys], 's.*'])}"
            f" FROM ({grouped}) g"
            f" CROSS JOIN LATERAL (VALUES {', '.join(rows)}) s(stage, n, over, warned, wd_p50, wd_p90, h_p50, h_p90)")


def _pg_percentile_pair(value: str, name: str, where: str, *, grouped: bool) -> tuple[str, str]:
    """PostgreSQL: the aggregate and then the column that give `name`, an array of the median and the 90th
    percentile of `value` over the rows matching `where` (percentile_cont).

    Without groups, percentile_cont itself. With groups, PostgreSQL would sort every row by its group before
    percentile_cont sorts each group's values again (it cannot hash an ordered-set aggregate's groups), and
    sorting a million rows by a text key cost more than the percentiles. So the groups are hashed, each
    gathering its values (`array_agg`), and percentile_cont then sorts each group's values alone: the same
    values, the same function, the same figures."""
    if not grouped:
        return f"percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {value}) FILTER (WHERE {where}) AS {name}", name
    # unnest in a select list hands the values straight on; in FROM it would store them all first (5–10% more)
    return (f"array_agg({value}) FILTER (WHERE {where}) AS {name}_all",
            f"(SELECT percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY x)"
            f" FROM (SELECT unnest(g0.{name}_all) AS x) u) AS {name}")


async def clock_rates(scope: Scope, dimensions: Sequence[str], now: datetime) -> list[dict]:
    """Returns, over cases whose stage clock runs now, how many are open, in warning and overdue (read live
    from the cases, so it is exact to the second)."""
    d = dialect()
    keys = _keys(dimensions)
    at = d.p(now)
    overdue = f"((c.due_at IS NOT NULL AND c.due_at <= {at}) OR (c.case_due_at IS NOT NULL AND c.case_due_at <= {at}))"
    applicant = (" JOIN applicant a ON a.id = c.applicant_id"
                 if "ageBand" in dimensions or "ageBand" in scope.filters else "")
    inner = (
        f"SELECT {', '.join(_select_dims(d, dimensions, 'c'))}{',' if dimensions else ''}"
        f" (CASE WHEN {overdue} THEN 1 ELSE 0 END) AS overdue,"
        f" (CASE WHEN NOT {overdue} AND c.warn_at IS NOT NULL AND c.warn_at <= {at} THEN 1 ELSE 0 END) AS warning"
        f" FROM aid_case c{applicant} WHERE c.status IN ({_quoted(OPEN_STATUSES)}) AND {scope_where(d, scope, 'c')}"
    )
    return await fetch(d, f"SELECT {', '.join([*keys, 'COUNT(*) AS n', 'SUM(warning) AS warning', 'SUM(overdue) AS overdue'])}"
                          f" FROM ({inner}) t{_group(keys)}")


async def time_to_apply(scope: Scope, dimensions: Sequence[str]) -> list[dict]:
    """Returns minutes from the draft's first saved answer to submission: cases, median and p90."""
    d = dialect()
    inner = (f"SELECT {', '.join([*_select_dims(d, dimensions, grouped=True), 'f.draft_minutes AS m'])}"
             f" FROM case_fact f WHERE {scope_where(d, scope)} AND f.draft_minutes IS NOT NULL")
    return await fetch(d, d.percentiles(inner, _keys(dimensions), ["m"], ["COUNT(*) AS n"], nullable=False))


async def province_days(start: datetime, end: datetime) -> list[dict]:
    """Returns per day a sync was requested: requested, decided, round trip minutes (median, p90), syncs that
    failed at least once, failed attempts, and dead letters."""
    d = dialect()
    inner = (
        f"SELECT {d.day('p.created_at')} AS k_day,"
        " (CASE WHEN p.decided_at IS NOT NULL AND p.pushed_at IS NOT NULL"
        f" THEN (({d.epoch('p.decided_at')} - {d.epoch('p.pushed_at')}) / 60.0) END) AS m,"
        " (CASE WHEN p.decided_at IS NOT NULL THEN 1 ELSE 0 END) AS decided,"
        " (CASE WHEN p.attempts > 0 THEN 1 ELSE 0 END) AS failed, p.attempts AS attempts,"
        " (CASE WHEN p.state = 'dead' THEN 1 ELSE 0 END) AS dead"
        f" FROM province_sync p WHERE p.created_at >= {d.p(start)} AND p.created_at < {d.p(end)}"
    )
    sql = d.percentiles(inner, ["k_day"], ["m"], ["COUNT(*) AS n", "SUM(decided) AS decided", "SUM(failed) AS failed",
                                                  "SUM(attempts) AS attempts", "SUM(dead) AS dead"])
    return await fetch(d, f"SELECT * FROM ({sql}) y ORDER BY k_day")


async def satisfaction(scope: Scope, dimensions: Sequence[str]) -> list[dict]:
    """Returns survey answers per group: responses, count of each rating 1–5, average rating and ease."""
    d = dialect()
    keys = _keys(dimensions)
    inner = (f"SELECT {', '.join([*_select_dims(d, dimensions), 'f.rating', 'f.ease'])}"
             f" FROM case_fact f WHERE {scope_where(d, scope)} AND f.rating IS NOT NULL")
    ratings = [f"SUM(CASE WHEN t.rating = {r} THEN 1 ELSE 0 END) AS r{r}" for r in range(1, 6)]
    return await fetch(d, (
        f"SELECT {', '.join([*keys, 'COUNT(*) AS n', *ratings])}, AVG(CAST(t.rating AS REAL)) AS avg_rating,"
        f" AVG(CAST(t.ease AS REAL)) AS avg_ease, COUNT(t.ease) AS n_ease FROM ({inner}) t{_group(keys)}"))


async def elder_reach(scope: Scope, dimensions: Sequence[str], min_age: int) -> list[dict]:
    """Returns people aged `min_age`+ on the day they applied (`n`), and how many of them applied by proxy."""
    d = dialect()
    keys = _keys(dimensions)
    inner = (f"SELECT {', '.join([*_select_dims(d, dimensions), 'f.applicant_id', 'f.channel'])}"
             f" FROM case_fact f WHERE {scope_where(d, scope)} AND f.age >= {int(min_age)}")
    return await fetch(d, (
        f"SELECT {', '.join([*keys, 'COUNT(DISTINCT t.applicant_id) AS n'])},"
        " COUNT(DISTINCT CASE WHEN t.channel = 'proxy' THEN t.applicant_id END) AS proxied"
        f" FROM ({inner}) t{_group(keys)}"))


async def comments(scope: Scope, per_township: int) -> list[dict]:
    """Returns the newest `per_township` non-empty comments of each township, the applicant's own name replaced
    by 某某."""
    d = dialect()
    township = "substr(f.region_id, 1, 9)"
    inner = (
        f"SELECT {township} AS k_township, REPLACE(s.comment, a.name, '某某') AS comment,"
        f" ROW_NUMBER() OVER (PARTITION BY {township} ORDER BY s.created_at DESC, s.id DESC) AS rn"
        " FROM case_fact f JOIN satisfaction s ON s.case_id = f.case_id JOIN applicant a ON a.id = f.applicant_id"
        f" WHERE {scope_where(d, scope)} AND s.comment <> ''"
    )
    return await fetch(d, f"SELECT k_township, comment FROM ({inner}) t WHERE rn <= {int(per_township)}"
                          " ORDER BY k_township, rn")


async def answer_counts(scope: Scope) -> list[dict]:
    """Returns per township the number of survey answers (`n`)."""
    d = dialect()
    sql = (f"SELECT substr(f.region_id, 1, 9) AS k_township, COUNT(*) AS n FROM case_fact f"
           f" WHERE {scope_where(d, scope)} AND f.rating IS NOT NULL"
           " GROUP BY substr(f.region_id, 1, 9) ORDER BY k_township")
    return await fetch(d, sql)


async def region_names() -> dict[str, str]:
    """Returns every region's name by code."""
    rows = await connections.get("default").execute_query_dict("SELECT code, name FROM region")
    return {r["code"]: r["name"] for r in rows}


# ------------------------------------------------------------------------------------------- case facts


def recorded(value: float | None, unit: str = "wd") -> float | None:
    """A duration in working days (`unit` "wd") or hours ("h") as the facts record it: rounded up to the next
    hundredth (what `_recorded_sql` computes)."""
    return None if value is None else math.ceil(value * RESOLUTION - NOISE[unit]) / RESOLUTION


def _recorded_sql(d: Dialect, col: str, unit: str) -> str:
    """`recorded` in SQL, the same arithmetic in doubles on either database."""
    scaled = f"({col} * {_double(RESOLUTION)} - {_double(NOISE[unit])})"
    # CAST truncates towards zero on SQLite: adding 1 where that lost a fraction rounds up, for any sign
    up = f"CEIL({scaled})" if d.pg else f"(CAST({scaled} AS INTEGER) + ({scaled} > CAST({scaled} AS INTEGER)))"
    return f"({up} / {_double(RESOLUTION)})"


def _w(d: Dialect, alias: str, col: str) -> str:
    """W(t): working days from the start of the index to `col`, given `alias`, its row in workday_index."""
    return f"({alias}.idx + {alias}.work * ({d.local_days(col)} - {alias}.day))"


def _facts_select(d: Dialect, selection: str) -> str:
    """The SELECT computing the fact rows of the cases matching `selection` (a condition over `aid_case c`)."""
    # Per case, each stage's time = Σ(leaving its statuses) − Σ(entering them), in working days (W) and hours,
    # over every status change (returns and resubmissions included: the wait on the applicant is left out).
    w, hours = _w(d, "w", "e.created_at"), f"({d.epoch('e.created_at')} / 3600.0)"
    pivots = []
    for stage, statuses in STAGE_STATUSES.items():
        s = _quoted(statuses)
        leave = f"e.from_status IN ({s}) AND e.to_status NOT IN ({s})"
        enter = f"e.to_status IN ({s}) AND (e.from_status IS NULL OR e.from_status NOT IN ({s}))"
        for unit, value in (("wd", w), ("h", hours)):
            pivots.append(f"SUM(CASE WHEN {leave} THEN {value} WHEN {enter} THEN -{value} ELSE 0 END) AS {stage}_{unit}")
    for stage, actions in STAGE_FINAL_ACTIONS.items():
        pivots.append(f"MAX(CASE WHEN e.action IN ({_quoted(actions)}) THEN 1 ELSE 0 END) AS {stage}_done")
    # approval is entered once; its clock starts at the later of entering and the end of the public notice
    # (entering is a change of status: an internal note or an extension during approval is not)
    entering = "e.to_status = 'approving' AND (e.from_status IS NULL OR e.from_status <> 'approving')"
    pivots += [f"MAX(CASE WHEN {entering} THEN {w} END) AS ap_in_w",
               f"MAX(CASE WHEN {entering} THEN {hours} END) AS ap_in_h",
               f"MAX(CASE WHEN e.from_status = 'approving' AND e.to_status <> 'approving' THEN {w} END) AS ap_out_w",
               f"MAX(CASE WHEN e.from_status = 'approving' AND e.to_status <> 'approving' THEN {hours} END) AS ap_out_h"]
    events = (f"SELECT e.case_id, {', '.join(pivots)} FROM case_event e"
              f" JOIN workday_index w ON w.day = {d.day_number('e.created_at')}"
              f" WHERE e.case_id IN (SELECT c.id FROM aid_case c WHERE {selection}) GROUP BY e.case_id")
    notice_w, notice_h = _w(d, "wn", "c.notice_until"), f"({d.epoch('c.notice_until')} / 3600.0)"
    ap_start_w = f"(CASE WHEN c.notice_until IS NOT NULL AND {notice_w} > p.ap_in_w THEN {notice_w} ELSE p.ap_in_w END)"
    ap_start_h = f"(CASE WHEN c.notice_until IS NOT NULL AND {notice_h} > p.ap_in_h THEN {notice_h} ELSE p.ap_in_h END)"
    decided = f"c.status IN ({_quoted(DECIDED_STATUSES)}) AND c.decided_at IS NOT NULL"
    values = {
        "last_seq": "c.last_seq", "submitted_at": "c.submitted_at", "month": d.month("c.submitted_at"),
        "item_id": "c.item_id", "region_id": "c.region_id", "channel": "c.channel", "status": "c.status",
        "applicant_id": "c.applicant_id", "age": d.age("c.submitted_at", "a.birth_date"),
        "accepted": "(CASE WHEN c.accepted_at IS NOT NULL THEN 1 ELSE 0 END)", "extended": d.bool_int("c.extended"),
        "draft_minutes": (f"(CASE WHEN c.draft_started_at IS NOT NULL THEN"
                          f" ({d.epoch('c.submitted_at')} - {d.epoch('c.draft_started_at')}) / 60.0 END)"),
        "rating": "s.rating", "ease": "s.ease",
        "approve_wd": f"(CASE WHEN p.approve_done = 1 THEN p.ap_out_w - {ap_start_w} END)",
        "approve_h": f"(CASE WHEN p.approve_done = 1 THEN p.ap_out_h - {ap_start_h} END)",
        "total_wd": f"(CASE WHEN {decided} THEN {_w(d, 'wd1', 'c.decided_at')} - {_w(d, 'ws', 'c.submitted_at')} END)",
        "total_h": (f"(CASE WHEN {decided} THEN ({d.epoch('c.decided_at')} - {d.epoch('c.submitted_at')}) / 3600.0"
                    " END)"),
    }
    for stage in STAGE_STATUSES:
        for unit in ("wd", "h"):
            values[f"{stage}_{unit}"] = f"(CASE WHEN p.{stage}_done = 1 THEN p.{stage}_{unit} END)"
    return (
        f"SELECT c.id AS case_id, {', '.join(f'{values[col]} AS {col}' for col in FACT_COLUMNS)}"
        " FROM aid_case c JOIN applicant a ON a.id = c.applicant_id"
        " LEFT JOIN satisfaction s ON s.case_id = c.id"
        f" LEFT JOIN ({events}) p ON p.case_id = c.id"
        f" LEFT JOIN workday_index ws ON ws.day = {d.day_number('c.submitted_at')}"
        f" LEFT JOIN workday_index wd1 ON wd1.day = {d.day_number('c.decided_at')}"
        f" LEFT JOIN workday_index wn ON wn.day = {d.day_number('c.notice_until')}"
        f" WHERE {selection}"
    )


async def write_facts(*, changed_since: datetime | None = None, surveys_after: int | None = None,
                      first_id: int | None = None, last_id: int | None = None) -> int:
    """Computes and stores the facts of the cases updated since a moment or answered in a survey with a later
    id (those whose facts are behind); or of the cases with ids in a range; or of every case."""
    d = dialect()
    conds = []
    if changed_since is not None:
        # of those, only the cases whose facts are behind: an event they have not seen (every status change
        # adds one and moves last_seq), or a survey they lack; a union, so each side uses its own index
        # (scalar subqueries, so the few candidates are looked up by key rather than the facts scanned)
        conds.append(
            f"c.id IN (SELECT c2.id FROM aid_case c2 WHERE c2.updated_at >= {d.p(changed_since)}"
            " AND COALESCE((SELECT f2.last_seq FROM case_fact f2 WHERE f2.case_id = c2.id), -1) <> c2.last_seq"
            f" UNION SELECT s2.case_id FROM satisfaction s2 WHERE s2.id > {d.p(int(surveys_after or 0))}"
            " AND (SELECT f3.rating FROM case_fact f3 WHERE f3.case_id = s2.case_id) IS NULL)")
    if first_id is not None:
        conds.append(f"c.id >= {d.p(int(first_id))}")
    if last_id is not None:
        conds.append(f"c.id <= {d.p(int(last_id))}")
    selection = " AND ".join(conds) or "1 = 1"
    updates = ", ".join(f"{col} = excluded.{col}" for col in FACT_COLUMNS)
    # the durations as recorded (hundredths); WHERE: SQLite's parser needs one before ON CONFLICT
    values = ", ".join(_recorded_sql(d, f"r.{col}", col.rsplit("_", 1)[1]) if col in FIGURES else f"r.{col}"
                       for col in FACT_COLUMNS)
    sql = (f"INSERT INTO case_fact (case_id, {', '.join(FACT_COLUMNS)})"
           f" SELECT r.case_id, {values} FROM ({_facts_select(d, selection)}) r WHERE 1 = 1"
           f" ON CONFLICT (case_id) DO UPDATE SET {updates}")
    async with in_transaction() as conn:
        if d.pg:
            await conn.execute_script("SET LOCAL work_mem = '256MB'")
        count, _ = await conn.execute_query(sql, d.params)
    return count


async def last_survey_id() -> int:
    """Returns the highest survey id there is (surveys are written once and never changed)."""
    rows = await connections.get("default").execute_query_dict("SELECT COALESCE(MAX(id), 0) AS m FROM satisfaction")
    return int(rows[0]["m"])


async def facts_watermark() -> tuple[datetime, int] | None:
    """Returns when the facts were last brought up to date (the start of that refresh) and the highest survey
    id they had seen; None before the first refresh."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT refreshed_at, survey_id FROM case_fact_refresh WHERE id = 1")
    if not rows or rows[0]["refreshed_at"] is None:
        return None
    value = rows[0]["refreshed_at"]
    if isinstance(value, str):  # SQLite keeps timestamps as text
        value = datetime.fromisoformat(value)
    return value, int(rows[0]["survey_id"] or 0)


async def set_facts_watermark(at: datetime, survey_id: int) -> None:
    """Moves the refresh mark forward (never back, whichever process refreshed last)."""
    d = dialect()
    mark, survey = d.p(at), d.p(int(survey_id))
    await connections.get("default").execute_query(
        f"INSERT INTO case_fact_refresh (id, refreshed_at, survey_id) VALUES (1, {mark}, {survey})"
        " ON CONFLICT (id) DO UPDATE SET refreshed_at = excluded.refreshed_at, survey_id = excluded.survey_id"
        " WHERE case_fact_refresh.refreshed_at IS NULL OR case_fact_refresh.refreshed_at < excluded.refreshed_at",
        d.params)


# ------------------------------------------------------------------------------------------- working days


async def workday_fingerprint() -> tuple[int, int, int]:
    """Returns (rows, worked days, sum of worked day numbers) of the stored index."""
    rows = await connections.get("default").execute_query_dict(
        "SELECT COUNT(*) AS n, SUM(work) AS worked, SUM(CASE WHEN work = 1 THEN day ELSE 0 END) AS days"
        " FROM workday_index")
    r = rows[0]
    return int(r["n"] or 0), int(r["worked"] or 0), int(r["days"] or 0)


async def write_workday_index(rows: list[tuple[int, int, int]], client=None) -> None:
    """Writes the index rows, replacing what differs (an upsert, safe to run from two processes at once)."""
    client = client or connections.get("default")
    pg = client.capabilities.dialect == "postgres"
    marks = "$1, $2, $3" if pg else "?, ?, ?"
    await client.execute_many(
        f"INSERT INTO workday_index (day, idx, work) VALUES ({marks})"
        " ON CONFLICT (day) DO UPDATE SET idx = excluded.idx, work = excluded.work",
        [list(r) for r in rows])
