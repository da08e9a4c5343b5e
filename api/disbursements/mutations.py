from __future__ import annotations

import strawberry

from api.disbursements import service
from api.disbursements.types import PaymentBatch, PaymentBatchSuccess, PaymentLineSuccess
from api.graphql.payloads import parse_id, payload, run_mutation

PaymentBatchPayload = payload("PaymentBatchPayload", PaymentBatchSuccess)
PaymentLinePayload = payload("PaymentLinePayload", PaymentLineSuccess)


@strawberry.type
class DisbursementMutations:
    @strawberry.mutation(description="Builds the payment batch of a month (YYYY-MM) from approved cases (finance).")
    async def payment_batch_build(self, info: strawberry.Info, month: str) -> PaymentBatchPayload:
        async def work():
            s = await service.build(info.context.actor, month)
            return PaymentBatchSuccess(batch=PaymentBatch.from_model(s.batch), lines=s.lines, total=s.total)

        return await run_mutation(info.context, work)

    @strawberry.mutation(description="Marks a payment line paid, or failed with a reason (finance).")
    async def payment_line_mark(self, info: strawberry.Info, line_id: strawberry.ID, paid: bool,
                                reason: str = "") -> PaymentLinePayload:
        async def work():
            line = await service.mark(info.context.actor, parse_id(line_id), paid=paid, reason=reason)
            return PaymentLineSuccess(line_id=strawberry.ID(str(line.id)), status=line.status)

        return await run_mutation(info.context, work)
