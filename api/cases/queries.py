from __future__ import annotations

import strawberry

from api.cases import service
from api.cases.types import (
    Case,
    CaseConnection,
    CaseCount,
    CaseEdge,
    CaseFilterInput,
    CaseStatus,
    ClockBoard,
    ClockBoardRow,
    PageInfo,
    StaffBrief,
    decode_cursor,
    encode_cursor,
)
from api.graphql.loaders import prefetch, selected_names_of
from api.graphql.payloads import parse_id, require_signed_in
from api.kit.errors import ValidationError


async def _prefetch(info: strawberry.Info, page: list) -> None:
    """Loads what the page's cases are asked for (items, applicants, steps, materials) before they are
    completed: the same statements the fields' loaders would run, but each case's fields then resolve at once
    instead of each waiting on its own (at 50 cases, hundreds of waits fewer)."""
    if not page:
        return
    wanted = selected_names_of(info, "cases", "edges", "node")
    loaders = info.context.loaders
    loads = []
    if wanted & {"item", "availableActions", "plannedSteps"}:
        loads.append((loaders.item, (c.item_id for c in page)))
    if wanted & {"applicant", "availableActions"}:
        loads.append((loaders.applicant, (c.applicant_id for c in page)))
    if "events" in wanted:
        loads.append((loaders.events, (c.id for c in page)))
    if "materials" in wanted and info.context.actor.role != "analyst":  # analysts are shown none
        loads.append((loaders.materials, (c.id for c in page)))
    await prefetch(*loads)


@strawberry.type
class CaseQueries:
    @strawberry.field(description="Cases visible to the caller, newest first (at most 100 a page).")
    async def cases(self, info: strawberry.Info, filter: CaseFilterInput | None = None, first: int = 20,
                    after: str | None = None) -> CaseConnection:
        require_signed_in(info.context)
        if not 1 <= first <= 100:
            raise ValidationError("每页条数应为1到100", code="page_size_invalid", field="first")
        after_id = None
        if after:
            after_id = decode_cursor(after)
            if after_id is None:
                raise ValidationError("分页游标无效", code="cursor_invalid", field="after")
        f = filter or CaseFilterInput()
        rows = await service.page(info.context.actor, service.CaseFilter(
            statuses=[s.value for s in f.status] if f.status else None, item_codes=f.item_codes,
            region_code=f.region_code, channel=f.channel.value if f.channel else None,
            clock=f.clock.value if f.clock and f.clock.value != "ok" else None,
            proxy_by_me=f.proxy_by_me, assigned_to_me=f.assigned_to_me,
        ), first=first, after_id=after_id)
        page = rows[:first]
        await _prefetch(info, page)
        edges = [CaseEdge(cursor=encode_cursor(c.id), node=Case.from_model(c)) for c in page]
        return CaseConnection(edges=edges, page_info=PageInfo(has_next_page=len(rows) > first,
                                                              end_cursor=edges[-1].cursor if edges else None))

    @strawberry.field(description="Open cases per status in the caller's region, with warning and overdue counts.")
    async def case_counts(self, info: strawberry.Info) -> list[CaseCount]:
        require_signed_in(info.context)
        return [CaseCount(status=CaseStatus(r["status"]), total=r["total"], warning=r["warning"], overdue=r["overdue"])
                for r in await service.counts(info.context.actor)]

    @strawberry.field(description="One case with its steps and materials.")
    async def case(self, info: strawberry.Info, id: strawberry.ID) -> Case:
        require_signed_in(info.context)
        return Case.from_model(await service.get_for(info.context.actor, parse_id(id)))

    @strawberry.field(description="The overdue board: open warning and overdue cases of the caller's region by "
                                  "township, by item and by stage (supervisors and those who handle cases).")
    async def case_clock_board(self, info: strawberry.Info) -> ClockBoard:
        require_signed_in(info.context)
        board = await service.clock_board(info.context.actor)

        def rows(key: str) -> list[ClockBoardRow]:
            return [ClockBoardRow(key=r.key, label=r.label, warning=r.warning, overdue=r.overdue) for r in board[key]]

        return ClockBoard(by_township=rows("township"), by_item=rows("item"), by_stage=rows("stage"))

    @strawberry.field(description="The staff a case may be assigned to now: active accounts of its area whose "
                                  "role acts on its current stage.")
    async def case_assignees(self, info: strawberry.Info, case_id: strawberry.ID) -> list[StaffBrief]:
        require_signed_in(info.context)
        return [StaffBrief.from_model(m) for m in await service.assignees(info.context.actor, parse_id(case_id))]
