from __future__ import annotations

from decimal import Decimal

import strawberry

from api.cases import service
from api.cases.types import Case, CaseSubmitInput, CaseSuccess, InvestigationInput, VerificationInput
from api.graphql.payloads import parse_id, payload, run_mutation

CasePayload = payload("CasePayload", CaseSuccess)


async def _act(info: strawberry.Info, case_id: strawberry.ID, action: str, data: dict,
               client_key: str | None = None) -> CasePayload:
    async def work():
        case, _ = await service.act(info.context.actor, parse_id(case_id), action, data, client_key=client_key)
        return CaseSuccess(case=Case.from_model(case))

    return await run_mutation(info.context, work)


@strawberry.type
class CaseMutations:
    @strawberry.mutation(description="Submits an application; the same submissionKey never makes two cases.")
    async def case_submit(self, info: strawberry.Info, input: CaseSubmitInput) -> CasePayload:
        async def work():
            data = service.SubmitInput(
                item_code=input.item_code, submission_key=input.submission_key,
                form=input.form,
                material_ids=[str(m) for m in input.material_ids], emergency=input.emergency,
                applicant_id=parse_id(input.applicant_id) if input.applicant_id is not None else None,
                draft_started_at=input.draft_started_at)
            return CaseSuccess(case=Case.from_model(await service.submit(info.context.actor, data)))

        return await run_mutation(info.context, work)

    @strawberry.mutation(description="Withdraws an application (before acceptance, or within 10 minutes).")
    async def case_withdraw(self, info: strawberry.Info, case_id: strawberry.ID, comment: str = "") -> CasePayload:
        return await _act(info, case_id, "withdraw", {"comment": comment})

    @strawberry.mutation(description="Resubmits a case returned for supplement (补正).")
    async def case_resubmit(self, info: strawberry.Info, case_id: strawberry.ID, comment: str = "") -> CasePayload:
        return await _act(info, case_id, "resubmit", {"comment": comment})

    @strawberry.mutation(description="Accepts an application as complete (受理).")
    async def case_accept(self, info: strawberry.Info, case_id: strawberry.ID, comment: str = "") -> CasePayload:
        return await _act(info, case_id, "accept", {"comment": comment})

    @strawberry.mutation(description="Returns an application to the applicant for more material (补正).")
    async def case_return(self, info: strawberry.Info, case_id: strawberry.ID, reason: str,
                          missing_materials: list[str] | None = None) -> CasePayload:
        return await _act(info, case_id, "return", {"reason": reason, "missing_materials": missing_materials or []})

    @strawberry.mutation(description="Refuses to accept an application (不予受理), with a written reason.")
    async def case_refuse(self, info: strawberry.Info, case_id: strawberry.ID, reason: str) -> CasePayload:
        return await _act(info, case_id, "refuse", {"reason": reason})

    @strawberry.mutation(description="Records the home investigation (two investigators). A record made offline "
                                     "carries a `clientKey`: sending it again is answered once, never applied twice.")
    async def case_investigate(self, info: strawberry.Info, case_id: strawberry.ID, input: InvestigationInput,
                               client_key: str | None = None) -> CasePayload:
        return await _act(info, case_id, "investigate", {
            "investigators": input.investigators, "visited_at": input.visited_at, "conclusion": input.conclusion,
            "place": input.place, "findings": input.findings, "material_ids": [str(m) for m in input.material_ids]},
            client_key)

    @strawberry.mutation(description="Records the household economic verification result.")
    async def case_verify(self, info: strawberry.Info, case_id: strawberry.ID, input: VerificationInput) -> CasePayload:
        return await _act(info, case_id, "verify", {"result": input.result.value, "note": input.note,
                                                    "household_monthly_income": input.household_monthly_income})

    @strawberry.mutation(description="Reviews the case and starts its public notice where the item has one.")
    async def case_review(self, info: strawberry.Info, case_id: strawberry.ID, opinion: str = "") -> CasePayload:
        return await _act(info, case_id, "review", {"opinion": opinion})

    @strawberry.mutation(description="Approves, with the monthly (or one-off) amount and start month (YYYY-MM).")
    async def case_approve(self, info: strawberry.Info, case_id: strawberry.ID, amount: Decimal, start_month: str,
                           comment: str = "") -> CasePayload:
        return await _act(info, case_id, "approve", {"amount": amount, "start_month": start_month, "comment": comment})

    @strawberry.mutation(description="Rejects, with a written reason.")
    async def case_reject(self, info: strawberry.Info, case_id: strawberry.ID, reason: str) -> CasePayload:
        return await _act(info, case_id, "reject", {"reason": reason})

    @strawberry.mutation(description="Starts payment of an approved case (finance).")
    async def case_pay_start(self, info: strawberry.Info, case_id: strawberry.ID, comment: str = "") -> CasePayload:
        return await _act(info, case_id, "pay_start", {"comment": comment})

    @strawberry.mutation(description="Closes a case (办结).")
    async def case_close(self, info: strawberry.Info, case_id: strawberry.ID, comment: str = "") -> CasePayload:
        return await _act(info, case_id, "close", {"comment": comment})

    @strawberry.mutation(description="Extends the whole-case time limit once (低保: 30 → 45 working days).")
    async def case_extend(self, info: strawberry.Info, case_id: strawberry.ID, reason: str) -> CasePayload:
        return await _act(info, case_id, "extend", {"reason": reason})

    @strawberry.mutation(description="Adds an internal note to a case's timeline (staff who handle it; the "
                                     "applicant never sees it).")
    async def case_comment(self, info: strawberry.Info, case_id: strawberry.ID, comment: str) -> CasePayload:
        return await _act(info, case_id, "comment", {"comment": comment})

    @strawberry.mutation(description="Assigns (or reassigns) a case to a staff member of its area whose role acts on "
                                     "its current stage, with a reason: an internal step, status and clocks stay.")
    async def case_assign(self, info: strawberry.Info, case_id: strawberry.ID, assignee_id: strawberry.ID,
                          reason: str) -> CasePayload:
        async def work():
            case = await service.assign(info.context.actor, parse_id(case_id), parse_id(assignee_id), reason)
            return CaseSuccess(case=Case.from_model(case))

        return await run_mutation(info.context, work)
