"""The rules of statistics: who may ask, what may be asked, and small-cell suppression of every answer.

Every figure comes from one SQL aggregate (repository); this module checks the question, turns codes
into names, and hides small cells. For analysts, a count under 5 — and an average, median or share
computed over fewer than 5 cases, or whose numerator is under 5 — is returned as null, shown as "<5",
and flagged `suppressed`, whatever the breakdown and filters, so no household can be singled out.
Supervisors and administrators, who may read every case anyway, get the exact figures.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from tortoise import connections

from api.aid_items import service as aid_items
from api.analytics import repository, workdays
from api.analytics.repository import Scope
from api.cases.service import STAGE_LABELS as CASE_STAGE_LABELS
from api.cases.workflow import STATUS_LABELS, STATUSES
from api.kit import clock
from api.kit.actors import Actor
from api.kit.errors import AuthError, NotAllowedError, ValidationError, echo, echo_all

log = logging.getLogger("dachuan.analytics")

STATS_ROLES = frozenset({"analyst", "supervisor", "admin"})
SMALL_CELL = 5
MAX_RANGE_YEARS = 5
MAX_GROUP_BY = 3
MAX_FILTER_VALUES = 200
ELDER_AGE = 80
DIMENSIONS = {"item": "事项", "status": "办理状态", "township": "乡镇(街道)", "village": "村(社区)",
              "channel": "申请渠道", "month": "申请月份", "ageBand": "年龄段"}
CHANNEL_LABELS = {"self": "掌上自助", "proxy": "帮办代办", "counter": "窗口办理"}
AGE_BAND_LABELS = {"0-17": "17岁及以下", "18-59": "18至59岁", "60-69": "60至69岁", "70-79": "70至79岁",
                   "80-89": "80至89岁", "90+": "90岁及以上"}
# Fields that would single a person out: asking for them is refused, not ignored. Keys are normalised
# (lower case, no "_" or "-") so idNumber, id_number and IDNUMBER are all caught.
PERSONAL_FIELDS = {
    "name": "姓名", "applicantname": "姓名", "fullname": "姓名", "idnumber": "身份证号码", "idcard": "身份证号码",
    "idno": "身份证号码", "phone": "手机号码", "mobile": "手机号码", "phonenumber": "手机号码", "address": "住址",
    "birthdate": "出生日期", "birthday": "出生日期", "bankaccount": "银行账号", "bank": "银行账号",
    "applicant": "申请人", "applicantid": "申请人", "caseid": "申请编号", "casenumber": "申请编号", "number": "申请编号",
    "comment": "评价内容", "sex": "性别", "gender": "性别", "studentname": "姓名", "household": "家庭成员",
}
STAGES = ("accept", "investigate", "verify", "review", "approve", "province", "pay", "total")
STAGE_LABELS = {**CASE_STAGE_LABELS, "total": "全程（提交至审批决定）"}
FUNNEL_STEPS = (("submitted", "已提交"), ("accepted", "已受理"), ("decided", "已作出审批决定"),
                ("approved", "审批通过"), ("paid", "已发放"))
DROP_OUTS = (("withdrawn", "撤回"), ("refused", "不予受理"), ("rejected", "审批未通过"))
HIDDEN = "[已隐去]"
_FULL_WIDTH = {0xFF10 + i: str(i) for i in range(10)} | {ord("Ｘ"): "X", ord("ｘ"): "x", ord("－"): "-", 0x3000: " "}
# 11 or more digits in a row (phones, ID numbers, bank cards), allowing single spaces or dashes between them
_LONG_NUMBER = re.compile(r"(?<![0-9])[0-9](?:[ \t-]?[0-9]){10,}(?:[ \t-]?[Xx])?(?![0-9])")


# ------------------------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class Key:
    """One coordinate of a cell: the dimension, the code and its display name."""

    dimension: str
    code: str
    name: str


@dataclass(frozen=True)
class Count:
    count: int | None
    display: str
    suppressed: bool


@dataclass(frozen=True)
class Number:
    value: float | None
    display: str
    suppressed: bool


@dataclass
class CountCell:
    keys: list[Key]
    count: Count
    raw: int = field(default=0, repr=False)  # the exact count, for secondary suppression; never shown


@dataclass
class CaseCounts:
    group_by: list[str]
    cells: list[CountCell]
    total: Count


@dataclass
class FunnelStep:
    step: str
    label: str
    count: Count


@dataclass
class Funnel:
    steps: list[FunnelStep]
    drop_outs: list[FunnelStep]


@dataclass
class DurationCell:
    keys: list[Key]
    stage: str
    label: str
    count: Count
    median_working_days: Number
    p90_working_days: Number
    median_hours: Number
    p90_hours: Number
    over_limit_share: Number
    over_warning_share: Number
    raw: int = field(default=0, repr=False)  # the exact count, for secondary suppression; never shown


@dataclass
class ClockCell:
    keys: list[Key]
    count: Count  # cases whose stage clock runs now
    warning: Count
    overdue: Count
    warning_share: Number
    overdue_share: Number


@dataclass
class ApplyCell:
    keys: list[Key]
    count: Count
    median_minutes: Number
    p90_minutes: Number


@dataclass
class ProvinceDay:
    day: str
    count: Count  # syncs requested that day
    decided: Count
    median_minutes: Number
    p90_minutes: Number
    failed: Count
    failed_attempts: Count
    dead: Count


@dataclass
class SatisfactionCell:
    keys: list[Key]
    count: Count
    ratings: list[Count]  # how many rated 1, 2, 3, 4, 5
    average_rating: Number
    average_ease: Number
    raw: int = field(default=0, repr=False)  # the exact count, for secondary suppression; never shown


@dataclass
class ReachCell:
    keys: list[Key]
    count: Count  # people aged 80+ who applied
    by_proxy: Count
    by_proxy_share: Number


@dataclass
class TownshipComments:
    keys: list[Key]
    count: Count  # survey answers in the township
    comments: list[str]
    raw: int = field(default=0, repr=False)  # the exact count, for secondary suppression; never shown


@dataclass
class ReviewReport:
    start: date
    end: date
    channel_mix: list[CountCell]
    channel_share: list[Number]
    total: Count
    time_to_apply: list[ApplyCell]
    time_to_decide: list[DurationCell]  # overall first, then by channel
    overdue: list[DurationCell]  # overall first, then by township
    satisfaction: list[SatisfactionCell]  # overall first, then by channel
    comments: list[TownshipComments] = field(default_factory=list)


# ------------------------------------------------------------------------------------------- checks


@dataclass(frozen=True)
class Question:
    """A checked question: the scope in SQL terms, the grouping, and whether to suppress small cells."""

    scope: Scope
    group_by: list[str]
    suppress: bool
    start: date
    end: date


def require_stats_role(actor: Actor) -> None:
    """Refuses anyone but analysts, supervisors and administrators."""
    if actor.kind == "anonymous":
        raise AuthError("请先登录", code="unauthenticated")
    if not actor.is_staff or actor.role not in STATS_ROLES:
        raise NotAllowedError("只有统计分析、督查股和系统管理员可以查看统计", code="role_not_allowed")


def check_range(start: date | None, end: date | None) -> tuple[datetime, datetime]:
    """Returns the UTC instants of a Shanghai date range (both days included), or refuses a bad range."""
    if start is None or end is None:
        raise ValidationError("请填写统计的开始日期和结束日期", code="range_required", field="range")
    if start > end:
        raise ValidationError(f"开始日期（{start}）不能晚于结束日期（{end}）", code="range_backwards", field="range")
    try:
        limit = start.replace(year=start.year + MAX_RANGE_YEARS)
    except ValueError:  # 29 February
        limit = start.replace(year=start.year + MAX_RANGE_YEARS, day=28)
    if end >= limit:
        raise ValidationError(f"统计时间范围不能超过{MAX_RANGE_YEARS}年", code="range_too_long", field="range")
    return _local_midnight(start), _local_midnight(end + timedelta(days=1))


def _local_midnight(d: date) -> datetime:
    return datetime.combine(d, time(), tzinfo=clock.SHANGHAI).astimezone(UTC)


def _normalised(name: str) -> str:
    return re.sub(r"[_\-\s]", "", str(name)).lower()


def _refuse_personal(name: str, where: str) -> None:
    label = PERSONAL_FIELDS.get(_normalised(name))
    if label is not None:
        raise NotAllowedError(f"统计分析不提供个人信息，不能按「{label}」{where}", code="personal_field",
                              field="groupBy" if where == "分组" else "filters")


def check_dimensions(names: Sequence[str] | None, *, allowed: Sequence[str] = tuple(DIMENSIONS),
                     at_most: int = MAX_GROUP_BY) -> list[str]:
    """Returns the group-by dimensions, or refuses personal, unknown, repeated or too many of them."""
    out: list[str] = []
    for name in names or []:
        _refuse_personal(name, "分组")
        if name not in allowed:
            known = "、".join(f"{d}（{DIMENSIONS[d]}）" for d in allowed)
            raise ValidationError(f"不支持按「{echo(name)}」分组；可用的分组：{known}", code="group_by_unknown",
                                  field="groupBy")
        if name in out:
            raise ValidationError(f"分组「{name}」重复了", code="group_by_repeated", field="groupBy")
        out.append(name)
    if len(out) > at_most:
        raise ValidationError(f"最多同时按{at_most}个维度分组", code="group_by_too_many", field="groupBy")
    return out


async def check_filters(filters: Sequence[tuple[str, Sequence[str]]] | None, names: dict[str, str],
                        items: dict[str, int]) -> dict[str, tuple]:
    """Returns the filters as dimension → values (item codes become ids), or refuses a bad one."""
    out: dict[str, tuple] = {}
    for name, values in filters or []:
        _refuse_personal(name, "筛选")
        if name not in DIMENSIONS:
            known = "、".join(f"{d}（{label}）" for d, label in DIMENSIONS.items())
            raise ValidationError(f"不支持按「{echo(name)}」筛选；可用的筛选：{known}", code="filter_unknown",
                                  field="filters")
        if name in out:
            raise ValidationError(f"筛选「{DIMENSIONS[name]}」重复了，请把取值合并到一个条件里",
                                  code="filter_repeated", field="filters")
        values = [str(v).strip() for v in values or []]
        if not values:
            raise ValidationError(f"筛选「{DIMENSIONS[name]}」至少要有一个取值", code="filter_empty", field="filters")
        if len(values) > MAX_FILTER_VALUES:
            raise ValidationError(f"每个筛选最多{MAX_FILTER_VALUES}个取值", code="filter_too_many", field="filters")
        bad = [v for v in values if not _valid_value(name, v, names, items)]
        if bad:
            raise ValidationError(f"筛选「{DIMENSIONS[name]}」的取值无效：{echo_all(bad)}",
                                  code="filter_value_invalid", field="filters")
        out[name] = tuple(items[v] for v in values) if name == "item" else tuple(dict.fromkeys(values))
    return out


_MONTH = re.compile(r"^(19|20)\d{2}-(0[1-9]|1[0-2])$")


def _valid_value(dimension: str, value: str, names: dict[str, str], items: dict[str, int]) -> bool:
    if dimension == "item":
        return value in items
    if dimension == "status":
        return value in STATUSES
    if dimension == "township":
        return len(value) == 9 and value in names
    if dimension == "village":
        return len(value) == 12 and value in names
    if dimension == "channel":
        return value in CHANNEL_LABELS
    if dimension == "month":
        return bool(_MONTH.match(value))
    return value in AGE_BAND_LABELS


async def _question(actor: Actor, start: date | None, end: date | None, group_by: Sequence[str] | None,
                    filters: Sequence[tuple[str, Sequence[str]]] | None, *, allowed: Sequence[str] = tuple(DIMENSIONS),
                    at_most: int = MAX_GROUP_BY) -> tuple[Question, _Labels]:
    require_stats_role(actor)
    dims = check_dimensions(group_by, allowed=allowed, at_most=at_most)
    t0, t1 = check_range(start, end)
    labels = await _Labels.load()
    checked = await check_filters(filters, labels.regions, labels.item_ids)
    await ensure_workday_index()
    await refresh_facts()
    scope = Scope(start=t0, end=t1, region_prefix=actor.region_code or "", filters=checked)
    return Question(scope, dims, actor.role == "analyst", start, end), labels


# ------------------------------------------------------------------------------------------- labels


class _Labels:
    """Names for codes: items, regions, statuses, channels, age bands."""

    def __init__(self, items: list, regions: dict[str, str]) -> None:
        self.items = {i.id: i for i in items}
        self.item_ids = {i.code: i.id for i in items}
        self.regions = regions

    @classmethod
    async def load(cls) -> _Labels:
        return cls(await aid_items.list_items(include_disabled=True), await repository.region_names())

    def key(self, dimension: str, value) -> Key:
        if dimension == "item":
            item = self.items.get(int(value))
            return Key("item", item.code if item else str(value), item.name if item else str(value))
        code = "" if value is None else str(value)
        if dimension in ("township", "village"):
            name = self.regions.get(code, code)
        elif dimension == "status":
            name = STATUS_LABELS.get(code, code)
        elif dimension == "channel":
            name = CHANNEL_LABELS.get(code, code)
        elif dimension == "ageBand":
            name = AGE_BAND_LABELS.get(code, code)
        else:
            name = code
        return Key(dimension, code, name)

    def keys(self, row: dict, dimensions: Sequence[str]) -> list[Key]:
        return [self.key(d, row[repository.key_column(d)]) for d in dimensions]


# ------------------------------------------------------------------------------------------- suppression


def count_of(n: int | None, suppress: bool) -> Count:
    """Returns a count, hidden as "<5" for analysts when under 5."""
    n = int(n or 0)
    if suppress and n < SMALL_CELL:
        return Count(None, f"<{SMALL_CELL}", True)
    return Count(n, str(n), False)


def number_of(value: float | None, over: int | None, suppress: bool, digits: int = 1, suffix: str = "") -> Number:
    """Returns a figure computed over `over` cases, hidden for analysts when that is under 5."""
    if suppress and int(over or 0) < SMALL_CELL:
        return Number(None, f"<{SMALL_CELL}", True)
    if value is None:
        return Number(None, "—", False)
    value = round(float(value), digits)
    return Number(value, f"{value:.{digits}f}{suffix}", False)


def share_of(part: int | None, whole: int | None, suppress: bool) -> Number:
    """Returns part / whole; for analysts hidden when either is under 5 (a share of a shown whole reveals its part)."""
    part, whole = int(part or 0), int(whole or 0)
    if suppress and (part < SMALL_CELL or whole < SMALL_CELL):
        return Number(None, f"<{SMALL_CELL}", True)
    if whole == 0:
        return Number(None, "—", False)
    value = round(part / whole, 4)
    return Number(value, f"{value * 100:.1f}%", False)


def hide_remainder(counts: list[Count], raw: list[int], total: int, suppress: bool) -> list[Count]:
    """Secondary suppression: hides further cells, smallest first, until what the total minus the shown cells
    reveals is 0 or at least 5 — so a hidden cell can never be worked out from the total."""
    if not suppress:
        return counts
    counts = list(counts)
    order = sorted(range(len(counts)), key=lambda i: raw[i])
    while True:
        hidden = total - sum(raw[i] for i in range(len(counts)) if not counts[i].suppressed)
        if hidden == 0 or hidden >= SMALL_CELL:
            return counts
        nxt = next((i for i in order if not counts[i].suppressed), None)
        if nxt is None:
            return counts
        counts[nxt] = Count(None, f"<{SMALL_CELL}", True)


def hide_remainder_of_cells(cells: list, total: int, suppress: bool) -> list:
    """Secondary suppression of cells (with `count` and `raw`) whose counts add up to a shown total."""
    counts = hide_remainder([c.count for c in cells], [c.raw for c in cells], total, suppress)
    return [replace(c, count=n) for c, n in zip(cells, counts, strict=True)]


# ------------------------------------------------------------------------------------------- statistics


async def case_counts(actor: Actor, *, start: date | None, end: date | None, group_by: Sequence[str] | None,
                      filters: Sequence[tuple[str, Sequence[str]]] | None = None) -> CaseCounts:
    """Returns the number of cases submitted in the range per combination of the group-by dimensions."""
    q, labels = await _question(actor, start, end, group_by, filters)
    rows = await repository.case_counts(q.scope, q.group_by)
    raw = [int(r["n"]) for r in rows]
    total = sum(raw)
    counts = hide_remainder([count_of(n, q.suppress) for n in raw], raw, total, q.suppress)
    cells = [CountCell(labels.keys(r, q.group_by), c, n) for r, c, n in zip(rows, counts, raw, strict=True)]
    return CaseCounts(q.group_by, cells, count_of(total, q.suppress))


async def funnel(actor: Actor, *, start: date | None, end: date | None,
                 filters: Sequence[tuple[str, Sequence[str]]] | None = None) -> Funnel:
    """Returns submitted → accepted → decided → approved → paid, and the cases that ended early by reason."""
    q, labels = await _question(actor, start, end, (), filters)
    paying = [i.id for i in labels.items.values() if "pay" in (i.route or [])]
    row = await repository.funnel(q.scope, paying)
    return Funnel(
        steps=[FunnelStep(step, label, count_of(row[step], q.suppress)) for step, label in FUNNEL_STEPS],
        drop_outs=[FunnelStep(reason, label, count_of(row[reason], q.suppress)) for reason, label in DROP_OUTS],
    )


def stage_limits(items: dict) -> dict[str, dict[int, tuple[float, float]]]:
    """Stage → item id → (limit, limit once extended) in working days. A stage's limit is the item's; the whole
    (`total`, submission to decision) is acceptance plus the whole-case limit where the item has one (低保: 30,
    45 once extended), else the sum of its stages up to the decision, plus the days of public notice."""
    out: dict[str, dict[int, tuple[float, float]]] = {}
    for item_id, item in items.items():
        limits = {s: float((item.stage_limits or {}).get(s, {}).get("working_days") or 0) for s in item.route or []}
        for stage, days in limits.items():
            if days:
                out.setdefault(stage, {})[item_id] = (days, days)
        accept = limits.get("accept", 0.0)
        if item.whole_case_working_days:
            base = float(item.whole_case_working_days)
            extended = float(item.whole_case_extended_working_days or base)
        else:
            base = extended = sum(v for s, v in limits.items() if s not in ("accept", "pay"))
        notice = float(item.notice_days or 0)
        out.setdefault("total", {})[item_id] = (accept + base + notice, accept + extended + notice)
    return out


def _duration_cell(row: dict, keys: list[Key], stage: str, suppress: bool) -> DurationCell:
    n = int(row["n"] or 0)
    return DurationCell(
        keys=keys, stage=stage, label=STAGE_LABELS.get(stage, stage), count=count_of(n, suppress),
        median_working_days=number_of(row["wd_p50"], n, suppress), p90_working_days=number_of(row["wd_p90"], n, suppress),
        median_hours=number_of(row["h_p50"], n, suppress), p90_hours=number_of(row["h_p90"], n, suppress),
        over_limit_share=share_of(row["over"], n, suppress), over_warning_share=share_of(row["warned"], n, suppress),
        raw=n,
    )


async def processing_times(actor: Actor, *, start: date | None, end: date | None,
                           group_by: Sequence[str] | None = None, stages: Sequence[str] | None = None,
                           filters: Sequence[tuple[str, Sequence[str]]] | None = None,
                           hours: bool = True) -> list[DurationCell]:
    """Returns per stage, and end to end (`total`: submission to decision), the median and 90th percentile in
    working days and in hours, and the shares of cases over the limit and over its 75% warning mark.
    `hours=False` leaves the hours out (shown as "—"): half the sorting, for a caller that does not show them."""
    require_stats_role(actor)
    wanted = list(dict.fromkeys(stages or STAGES))
    bad = [s for s in wanted if s not in STAGES]
    if bad:
        raise ValidationError(f"未知的办理环节：{echo_all(bad)}；可用：{'、'.join(STAGES)}", code="stage_unknown",
                              field="stages")
    q, labels = await _question(actor, start, end, group_by, filters, at_most=2)
    rows = await repository.durations(q.scope, q.group_by, [s for s in STAGES if s in wanted],
                                      stage_limits(labels.items), hours=hours)
    cells = []
    for row in sorted(rows, key=lambda r: (STAGES.index(r["stage"]),
                                           *[r[repository.key_column(d)] for d in q.group_by])):
        if int(row["n"] or 0) or not q.group_by:
            cells.append(_duration_cell(row, labels.keys(row, q.group_by), row["stage"], q.suppress))
    return cells


async def clock_rates(actor: Actor, *, start: date | None, end: date | None, group_by: Sequence[str] | None = None,
                      filters: Sequence[tuple[str, Sequence[str]]] | None = None) -> list[ClockCell]:
    """Returns, among cases submitted in the range whose stage clock runs now, the warning and overdue rates
    (by township unless another grouping is asked for)."""
    q, labels = await _question(actor, start, end, group_by if group_by is not None else ["township"], filters)
    rows = await repository.clock_rates(q.scope, q.group_by, clock.now())
    out = []
    for r in rows:
        n, warning, overdue = int(r["n"] or 0), int(r["warning"] or 0), int(r["overdue"] or 0)
        out.append(ClockCell(labels.keys(r, q.group_by), count_of(n, q.suppress), count_of(warning, q.suppress),
                             count_of(overdue, q.suppress), share_of(warning, n, q.suppress),
                             share_of(overdue, n, q.suppress)))
    return out


async def time_to_apply(actor: Actor, *, start: date | None, end: date | None, group_by: Sequence[str] | None = None,
                        filters: Sequence[tuple[str, Sequence[str]]] | None = None) -> list[ApplyCell]:
    """Returns minutes from a draft's first saved answer to its submission (by channel unless told otherwise)."""
    q, labels = await _question(actor, start, end, group_by if group_by is not None else ["channel"], filters)
    rows = await repository.time_to_apply(q.scope, q.group_by)
    rows = sorted((r for r in rows if int(r["n"] or 0)), key=lambda r: [str(r[repository.key_column(d)]) for d in q.group_by])
    return [ApplyCell(labels.keys(r, q.group_by), count_of(r["n"], q.suppress),
                      number_of(r["m_p50"], r["n"], q.suppress), number_of(r["m_p90"], r["n"], q.suppress))
            for r in rows]


async def province_sync(actor: Actor, *, start: date | None, end: date | None) -> list[ProvinceDay]:
    """Returns per day the provincial syncs requested, the push-to-decision round trip (median, p90, minutes),
    the syncs that failed at least once, their failed attempts, and the dead letters."""
    q, _ = await _question(actor, start, end, (), ())
    rows = await repository.province_days(q.scope.start, q.scope.end)
    s = q.suppress
    return [ProvinceDay(day=str(r["k_day"]), count=count_of(r["n"], s), decided=count_of(r["decided"], s),
                        median_minutes=number_of(r["m_p50"], r["decided"], s),
                        p90_minutes=number_of(r["m_p90"], r["decided"], s), failed=count_of(r["failed"], s),
                        failed_attempts=count_of(r["attempts"], s), dead=count_of(r["dead"], s))
            for r in rows]


def _satisfaction_cell(r: dict, keys: list[Key], suppress: bool) -> SatisfactionCell:
    n = int(r["n"] or 0)
    count = count_of(n, suppress)
    raw = [int(r[f"r{i}"] or 0) for i in range(1, 6)]
    # the ratings add up to the cell's count: when the count is shown, no hidden rating may be worked out
    ratings = [count_of(x, suppress) for x in raw]
    ratings = ratings if count.suppressed else hide_remainder(ratings, raw, n, suppress)
    return SatisfactionCell(keys=keys, count=count, ratings=ratings,
                            average_rating=number_of(r["avg_rating"], n, suppress, 2),
                            average_ease=number_of(r["avg_ease"], r["n_ease"], suppress, 2), raw=n)


async def satisfaction(actor: Actor, *, start: date | None, end: date | None, group_by: Sequence[str] | None = None,
                       filters: Sequence[tuple[str, Sequence[str]]] | None = None) -> list[SatisfactionCell]:
    """Returns the distribution of ratings (1–5) and the average rating and ease, of cases submitted in the range."""
    q, labels = await _question(actor, start, end, group_by, filters)
    rows = await repository.satisfaction(q.scope, q.group_by)
    return [_satisfaction_cell(r, labels.keys(r, q.group_by), q.suppress) for r in rows
            if int(r["n"] or 0) or not q.group_by]


async def elder_reach(actor: Actor, *, start: date | None, end: date | None, group_by: Sequence[str] | None = None,
                      filters: Sequence[tuple[str, Sequence[str]]] | None = None) -> list[ReachCell]:
    """Returns, among people aged 80 and over on the day they applied, how many were helped by proxy."""
    q, labels = await _question(actor, start, end, group_by, filters)
    rows = await repository.elder_reach(q.scope, q.group_by, ELDER_AGE)
    return [ReachCell(labels.keys(r, q.group_by), count_of(r["n"], q.suppress), count_of(r["proxied"], q.suppress),
                      share_of(r["proxied"], r["n"], q.suppress))
            for r in rows if int(r["n"] or 0) or not q.group_by]


def strip_personal(text: str) -> str:
    """Returns a comment without phone, ID or bank numbers (11 digits or more, spaced or not)."""
    # full-width digits, as Chinese phone keyboards often type them, count as digits; nothing else is changed
    text = (text or "").translate(_FULL_WIDTH)
    return _LONG_NUMBER.sub(HIDDEN, text).strip()


async def review_report(actor: Actor, *, start: date | None, end: date | None,
                        comments_per_township: int = 50) -> ReviewReport:
    """Returns the 回头看 review of a date range: channel mix, time to apply, time to decide, overdue rate,
    satisfaction, and the comments by township (numbers and the applicant's own name removed)."""
    require_stats_role(actor)
    if not 0 <= comments_per_township <= 5000:
        raise ValidationError("每个乡镇(街道)最多列出5000条意见", code="comment_limit_invalid", field="commentsPerTownship")
    q, labels = await _question(actor, start, end, (), ())
    s = q.suppress
    mix = await case_counts(actor, start=start, end=end, group_by=["channel"])
    shares = [Number(None, f"<{SMALL_CELL}", True) if c.count.suppressed else
              share_of(c.count.count, mix.total.count, s) for c in mix.cells]
    apply = await time_to_apply(actor, start=start, end=end, group_by=["channel"])
    # the district's figure comes with its breakdowns: hide what the district total minus the shown parts reveals
    district = await processing_times(actor, start=start, end=end, stages=["total"])
    by_channel = await processing_times(actor, start=start, end=end, group_by=["channel"], stages=["total"])
    by_township = await processing_times(actor, start=start, end=end, group_by=["township"], stages=["total"])
    decided = district[0].raw
    answers_all = await satisfaction(actor, start=start, end=end)
    answers = answers_all[0].raw
    by_channel_answers = await satisfaction(actor, start=start, end=end, group_by=["channel"])
    townships = [TownshipComments([labels.key("township", r["k_township"])], count_of(r["n"], s), [], int(r["n"]))
                 for r in await repository.answer_counts(q.scope)]
    townships = hide_remainder_of_cells(townships, answers, s)
    texts: dict[str, list[str]] = {}
    if comments_per_township:
        for r in await repository.comments(q.scope, comments_per_township):
            texts.setdefault(r["k_township"], []).append(strip_personal(r["comment"]))
    for t in townships:
        # no comments where the number of answers is hidden: a handful of answers could be told apart
        t.comments = [] if t.count.suppressed else [x for x in texts.get(t.keys[0].code, []) if x]
    return ReviewReport(start=q.start, end=q.end, channel_mix=mix.cells, channel_share=shares, total=mix.total,
                        time_to_apply=apply,
                        time_to_decide=[*district, *hide_remainder_of_cells(by_channel, decided, s)],
                        overdue=[*district, *hide_remainder_of_cells(by_township, decided, s)],
                        satisfaction=[*answers_all, *hide_remainder_of_cells(by_channel_answers, answers, s)],
                        comments=townships)


# ------------------------------------------------------------------------------------------- case facts

# Cases are picked up again for this long after the last refresh began, so a transaction that saved a case
# before that moment but committed after it is never missed.
FACTS_MARGIN = timedelta(minutes=10)
# Surveys change no case row: they are found by id, and ids may commit out of order, so look back this many.
FACTS_MARGIN_SURVEYS = 1000
_refreshing = asyncio.Lock()


async def refresh_facts() -> int:
    """Brings the per-case facts up to date with the cases changed since the last refresh (all cases the
    first time); returns how many rows were written."""
    async with _refreshing:
        started = datetime.now(UTC)  # updated_at is stamped with the real time, never the test clock
        surveys = await repository.last_survey_id()
        mark = await repository.facts_watermark()
        if mark is None:
            written = await repository.write_facts()
        else:
            at, survey_id = mark
            written = await repository.write_facts(changed_since=at - FACTS_MARGIN,
                                                   surveys_after=survey_id - FACTS_MARGIN_SURVEYS)
        await repository.set_facts_watermark(started, surveys)
        return written


# ------------------------------------------------------------------------------------------- working days

_checked: set[int] = set()
_lock = asyncio.Lock()


async def ensure_workday_index(*, rows: Callable[[], list] = workdays.index_rows) -> bool:
    """Makes the stored working-day index match the bundled calendar (once per connection); True if rewritten.

    The migration fills the table; this catches a calendar year file added after it ran.
    """
    key = id(connections.get("default"))
    if key in _checked:
        return False
    async with _lock:
        if key in _checked:
            return False
        wanted = rows()
        rewritten = False
        if await repository.workday_fingerprint() != workdays.fingerprint(wanted):
            try:
                await repository.write_workday_index(wanted)
                rewritten = True
            except Exception:  # a read-only replica: figures use the index as the primary last wrote it
                log.warning("could not refresh the working-day index", exc_info=True)
        _checked.add(key)
        return rewritten
