from __future__ import annotations

from typing import Annotated

import strawberry
from strawberry.types.nodes import SelectedField, Selection

from api.analytics import service
from api.analytics.types import (
    CaseCountCell,
    CaseCountStats,
    ClockRateCell,
    ElderReachCell,
    FunnelCell,
    FunnelStats,
    ProcessingTimeCell,
    ProvinceSyncDay,
    ReviewReport,
    SatisfactionCell,
    StatsCount,
    StatsFilterInput,
    StatsRangeInput,
    TimeToApplyCell,
)
from api.graphql.payloads import require_signed_in

Range = Annotated[StatsRangeInput, strawberry.argument(name="range", description="按提交日期的统计范围（含首尾，最长5年）")]
GroupBy = Annotated[list[str] | None, strawberry.argument(
    description="分组维度：item、status、township、village、channel、month、ageBand（最多3个）")]
Filters = Annotated[list[StatsFilterInput] | None, strawberry.argument(description="筛选条件，同一维度只写一次")]


def _filters(filters: list[StatsFilterInput] | None) -> list[tuple[str, list[str]]]:
    return [(f.field, f.values) for f in filters or []]


def _asks_for(info: strawberry.Info, names: set[str]) -> bool:
    """Whether the query selects any of these fields of the resolved field's items (through fragments too)."""
    def selects(selections: list[Selection]) -> bool:
        for s in selections:
            if isinstance(s, SelectedField):
                if s.name in names:
                    return True
            # a fragment (spread or inline): look inside it; a field's own subfields are not the items' fields
            elif selects(s.selections):
                return True
        return False

    return any(selects(field.selections) for field in info.selected_fields)


@strawberry.type
class AnalyticsQueries:
    @strawberry.field(description="申请件数，按任意维度组合分组（统计分析、督查股、系统管理员）。")
    async def stats_case_counts(self, info: strawberry.Info, range_: Range, group_by: list[str],
                                filters: Filters = None) -> CaseCountStats:
        require_signed_in(info.context)
        r = await service.case_counts(info.context.actor, start=range_.from_, end=range_.to, group_by=group_by,
                                      filters=_filters(filters))
        return CaseCountStats(group_by=r.group_by, cells=[CaseCountCell.of(c) for c in r.cells],
                              total=StatsCount.of(r.total))

    @strawberry.field(description="办理漏斗：提交 → 受理 → 审批决定 → 审批通过 → 发放，以及中途结束的原因。")
    async def stats_funnel(self, info: strawberry.Info, range_: Range, filters: Filters = None) -> FunnelStats:
        require_signed_in(info.context)
        r = await service.funnel(info.context.actor, start=range_.from_, end=range_.to, filters=_filters(filters))
        return FunnelStats(steps=[FunnelCell.of(s) for s in r.steps], drop_outs=[FunnelCell.of(s) for s in r.drop_outs])

    @strawberry.field(description="各办理环节及全程（total：提交至审批决定）的用时：工作日和小时的中位数、90分位，超时限比例。"
                                  "stages 可选 accept、investigate、verify、review、approve、province、pay、total。")
    async def stats_processing_times(self, info: strawberry.Info, range_: Range, group_by: GroupBy = None,
                                     stages: list[str] | None = None,
                                     filters: Filters = None) -> list[ProcessingTimeCell]:
        require_signed_in(info.context)
        cells = await service.processing_times(info.context.actor, start=range_.from_, end=range_.to,
                                               group_by=group_by, stages=stages, filters=_filters(filters),
                                               hours=_asks_for(info, {"medianHours", "p90Hours"}))
        return [ProcessingTimeCell.of(c) for c in cells]

    @strawberry.field(description="正在计时的在办件中预警和超期的比例，默认按乡镇(街道)。")
    async def stats_clock_rates(self, info: strawberry.Info, range_: Range, group_by: GroupBy = None,
                                filters: Filters = None) -> list[ClockRateCell]:
        require_signed_in(info.context)
        cells = await service.clock_rates(info.context.actor, start=range_.from_, end=range_.to, group_by=group_by,
                                          filters=_filters(filters))
        return [ClockRateCell.of(c) for c in cells]

    @strawberry.field(description="申请用时：草稿第一次保存到提交的分钟数，默认按申请渠道。")
    async def stats_time_to_apply(self, info: strawberry.Info, range_: Range, group_by: GroupBy = None,
                                  filters: Filters = None) -> list[TimeToApplyCell]:
        require_signed_in(info.context)
        cells = await service.time_to_apply(info.context.actor, start=range_.from_, end=range_.to, group_by=group_by,
                                            filters=_filters(filters))
        return [TimeToApplyCell.of(c) for c in cells]

    @strawberry.field(description="省级同步（高龄津贴）按发起日：往返用时、失败和死信。")
    async def stats_province_sync(self, info: strawberry.Info, range_: Range) -> list[ProvinceSyncDay]:
        require_signed_in(info.context)
        days = await service.province_sync(info.context.actor, start=range_.from_, end=range_.to)
        return [ProvinceSyncDay.of(d) for d in days]

    @strawberry.field(description="满意度分布和平均分，可按事项、乡镇(街道)、渠道等分组。")
    async def stats_satisfaction(self, info: strawberry.Info, range_: Range, group_by: GroupBy = None,
                                 filters: Filters = None) -> list[SatisfactionCell]:
        require_signed_in(info.context)
        cells = await service.satisfaction(info.context.actor, start=range_.from_, end=range_.to, group_by=group_by,
                                           filters=_filters(filters))
        return [SatisfactionCell.of(c) for c in cells]

    @strawberry.field(description="覆盖面：年满80周岁的申请人中由工作人员帮办代办的人数和比例。")
    async def stats_elder_reach(self, info: strawberry.Info, range_: Range, group_by: GroupBy = None,
                                filters: Filters = None) -> list[ElderReachCell]:
        require_signed_in(info.context)
        cells = await service.elder_reach(info.context.actor, start=range_.from_, end=range_.to, group_by=group_by,
                                          filters=_filters(filters))
        return [ElderReachCell.of(c) for c in cells]

    @strawberry.field(description="“回头看”报告（也可下载 XLSX：GET /api/analytics/review-report.xlsx?from=…&to=…）。")
    async def stats_review_report(self, info: strawberry.Info, range_: Range,
                                  comments_per_township: int = 50) -> ReviewReport:
        require_signed_in(info.context)
        report = await service.review_report(info.context.actor, start=range_.from_, end=range_.to,
                                             comments_per_township=comments_per_township)
        return ReviewReport.of(report)
