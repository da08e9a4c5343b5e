"""GraphQL types of statistics: every cell carries its keys, `count`, `display` and `suppressed`."""

from __future__ import annotations

from datetime import date

import strawberry

from api.analytics import service

SUPPRESSED_NOTE = "为保护个人信息，少于5的数值（以及基于少于5件计算的中位数、平均数和比例）对统计分析角色显示为 \"<5\"。"


@strawberry.input(description="统计时间范围：按提交申请的日期（北京时间），含首尾两天，最长5年。")
class StatsRangeInput:
    from_: date = strawberry.field(name="from")
    to: date


@strawberry.input(description="筛选条件：维度（item、status、township、village、channel、month、ageBand）及其取值。")
class StatsFilterInput:
    field: str
    values: list[str]


@strawberry.type(description="单元格的一个维度：维度名、代码和名称。")
class StatsKey:
    dimension: str
    code: str
    name: str

    @staticmethod
    def from_key(k: service.Key) -> StatsKey:
        return StatsKey(dimension=k.dimension, code=k.code, name=k.name)


@strawberry.type(description="一个计数；`count` 为 null 且 `suppressed` 为 true 时表示少于5（显示为 \"<5\"）。")
class StatsCount:
    count: int | None
    display: str
    suppressed: bool

    @staticmethod
    def of(c: service.Count) -> StatsCount:
        return StatsCount(count=c.count, display=c.display, suppressed=c.suppressed)


@strawberry.type(description="一个数值（中位数、平均数或比例，比例为0到1）；少于5件时不显示。")
class StatsNumber:
    value: float | None
    display: str
    suppressed: bool

    @staticmethod
    def of(n: service.Number) -> StatsNumber:
        return StatsNumber(value=n.value, display=n.display, suppressed=n.suppressed)


def _keys(keys: list[service.Key]) -> list[StatsKey]:
    return [StatsKey.from_key(k) for k in keys]


@strawberry.type(description="按维度组合统计的申请件数。")
class CaseCountCell:
    keys: list[StatsKey]
    count: int | None
    display: str
    suppressed: bool

    @staticmethod
    def of(c: service.CountCell) -> CaseCountCell:
        return CaseCountCell(keys=_keys(c.keys), count=c.count.count, display=c.count.display,
                             suppressed=c.count.suppressed)


@strawberry.type(description="申请件数统计：分组维度、各单元格和合计。" + SUPPRESSED_NOTE)
class CaseCountStats:
    group_by: list[str]
    cells: list[CaseCountCell]
    total: StatsCount


@strawberry.type(description="办理漏斗的一步（或一种中途结束的原因）。")
class FunnelCell:
    step: str
    label: str
    count: int | None
    display: str
    suppressed: bool

    @staticmethod
    def of(s: service.FunnelStep) -> FunnelCell:
        return FunnelCell(step=s.step, label=s.label, count=s.count.count, display=s.count.display,
                          suppressed=s.count.suppressed)


@strawberry.type(description="办理漏斗：提交 → 受理 → 审批决定 → 审批通过 → 发放；以及撤回、不予受理、审批未通过的件数。")
class FunnelStats:
    steps: list[FunnelCell]
    drop_outs: list[FunnelCell]


@strawberry.type(description="一个办理环节（或全程）的用时：`count` 为计入的件数；工作日和小时的中位数、90分位，"
                             "以及超过时限、超过时限75%（预警）的比例。")
class ProcessingTimeCell:
    keys: list[StatsKey]
    stage: str
    label: str
    count: int | None
    display: str
    suppressed: bool
    median_working_days: StatsNumber
    p90_working_days: StatsNumber
    median_hours: StatsNumber
    p90_hours: StatsNumber
    over_limit_share: StatsNumber
    over_warning_share: StatsNumber

    @staticmethod
    def of(c: service.DurationCell) -> ProcessingTimeCell:
        n = StatsNumber.of
        return ProcessingTimeCell(
            keys=_keys(c.keys), stage=c.stage, label=c.label, count=c.count.count, display=c.count.display,
            suppressed=c.count.suppressed, median_working_days=n(c.median_working_days),
            p90_working_days=n(c.p90_working_days), median_hours=n(c.median_hours), p90_hours=n(c.p90_hours),
            over_limit_share=n(c.over_limit_share), over_warning_share=n(c.over_warning_share))


@strawberry.type(description="正在计时的在办件（`count`）中，预警和超期的件数与比例（以当前时间计）。")
class ClockRateCell:
    keys: list[StatsKey]
    count: int | None
    display: str
    suppressed: bool
    warning: StatsCount
    overdue: StatsCount
    warning_share: StatsNumber
    overdue_share: StatsNumber

    @staticmethod
    def of(c: service.ClockCell) -> ClockRateCell:
        return ClockRateCell(keys=_keys(c.keys), count=c.count.count, display=c.count.display,
                             suppressed=c.count.suppressed, warning=StatsCount.of(c.warning),
                             overdue=StatsCount.of(c.overdue), warning_share=StatsNumber.of(c.warning_share),
                             overdue_share=StatsNumber.of(c.overdue_share))


@strawberry.type(description="申请用时：从草稿第一次保存到提交的分钟数（中位数、90分位）。")
class TimeToApplyCell:
    keys: list[StatsKey]
    count: int | None
    display: str
    suppressed: bool
    median_minutes: StatsNumber
    p90_minutes: StatsNumber

    @staticmethod
    def of(c: service.ApplyCell) -> TimeToApplyCell:
        return TimeToApplyCell(keys=_keys(c.keys), count=c.count.count, display=c.count.display,
                               suppressed=c.count.suppressed, median_minutes=StatsNumber.of(c.median_minutes),
                               p90_minutes=StatsNumber.of(c.p90_minutes))


@strawberry.type(description="某一天发起的省级同步：件数、已回传决定数、推送到决定的往返分钟数（中位数、90分位）、"
                             "推送失败过的件数、失败次数、死信数。")
class ProvinceSyncDay:
    day: str
    count: int | None
    display: str
    suppressed: bool
    decided: StatsCount
    median_minutes: StatsNumber
    p90_minutes: StatsNumber
    failed: StatsCount
    failed_attempts: StatsCount
    dead_letters: StatsCount

    @staticmethod
    def of(d: service.ProvinceDay) -> ProvinceSyncDay:
        return ProvinceSyncDay(day=d.day, count=d.count.count, display=d.count.display, suppressed=d.count.suppressed,
                               decided=StatsCount.of(d.decided), median_minutes=StatsNumber.of(d.median_minutes),
                               p90_minutes=StatsNumber.of(d.p90_minutes), failed=StatsCount.of(d.failed),
                               failed_attempts=StatsCount.of(d.failed_attempts), dead_letters=StatsCount.of(d.dead))


@strawberry.type(description="满意度：评价件数（`count`），1至5星各自的件数（`ratings[0]` 为1星），平均满意度和平均便利度。")
class SatisfactionCell:
    keys: list[StatsKey]
    count: int | None
    display: str
    suppressed: bool
    ratings: list[StatsCount]
    average_rating: StatsNumber
    average_ease: StatsNumber

    @staticmethod
    def of(c: service.SatisfactionCell) -> SatisfactionCell:
        return SatisfactionCell(keys=_keys(c.keys), count=c.count.count, display=c.count.display,
                                suppressed=c.count.suppressed, ratings=[StatsCount.of(r) for r in c.ratings],
                                average_rating=StatsNumber.of(c.average_rating),
                                average_ease=StatsNumber.of(c.average_ease))


@strawberry.type(description="覆盖面：申请时年满80周岁的申请人数（`count`，按人计），其中由工作人员帮办代办的人数和比例。")
class ElderReachCell:
    keys: list[StatsKey]
    count: int | None
    display: str
    suppressed: bool
    by_proxy: StatsCount
    by_proxy_share: StatsNumber

    @staticmethod
    def of(c: service.ReachCell) -> ElderReachCell:
        return ElderReachCell(keys=_keys(c.keys), count=c.count.count, display=c.count.display,
                              suppressed=c.count.suppressed, by_proxy=StatsCount.of(c.by_proxy),
                              by_proxy_share=StatsNumber.of(c.by_proxy_share))


@strawberry.type(description="申请渠道占比。")
class ChannelMixCell:
    keys: list[StatsKey]
    count: int | None
    display: str
    suppressed: bool
    share: StatsNumber


@strawberry.type(description="一个乡镇(街道)的评价意见：评价件数（`count`）和意见原文（已去除电话、身份证号等数字及申请人姓名）；"
                             "评价少于5件的乡镇不列出意见。")
class TownshipComments:
    keys: list[StatsKey]
    count: int | None
    display: str
    suppressed: bool
    comments: list[str]


@strawberry.type(description="“回头看”报告：申请渠道、申请用时、办理用时、超期率、满意度和按乡镇(街道)归集的意见。"
                             "`timeToDecide` 第一项为全区，其后按渠道；`overdue` 第一项为全区，其后按乡镇(街道)。")
class ReviewReport:
    from_: date = strawberry.field(name="from")
    to: date
    total: StatsCount
    channel_mix: list[ChannelMixCell]
    time_to_apply: list[TimeToApplyCell]
    time_to_decide: list[ProcessingTimeCell]
    overdue: list[ProcessingTimeCell]
    satisfaction: list[SatisfactionCell]
    comments: list[TownshipComments]

    @staticmethod
    def of(r: service.ReviewReport) -> ReviewReport:
        mix = [ChannelMixCell(keys=_keys(c.keys), count=c.count.count, display=c.count.display,
                              suppressed=c.count.suppressed, share=StatsNumber.of(s))
               for c, s in zip(r.channel_mix, r.channel_share, strict=True)]
        comments = [TownshipComments(keys=_keys(t.keys), count=t.count.count, display=t.count.display,
                                     suppressed=t.count.suppressed, comments=t.comments) for t in r.comments]
        return ReviewReport(from_=r.start, to=r.end, total=StatsCount.of(r.total), channel_mix=mix,
                            time_to_apply=[TimeToApplyCell.of(c) for c in r.time_to_apply],
                            time_to_decide=[ProcessingTimeCell.of(c) for c in r.time_to_decide],
                            overdue=[ProcessingTimeCell.of(c) for c in r.overdue],
                            satisfaction=[SatisfactionCell.of(c) for c in r.satisfaction], comments=comments)
