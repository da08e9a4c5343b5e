from __future__ import annotations

import strawberry

from api.disbursements import service
from api.disbursements.types import PaymentBatch, PaymentLine
from api.graphql.payloads import parse_id, require_signed_in


@strawberry.type
class DisbursementQueries:
    @strawberry.field(description="Recent payment batches (finance, approvers, supervisors).")
    async def payment_batches(self, info: strawberry.Info, first: int = 24) -> list[PaymentBatch]:
        require_signed_in(info.context)
        rows = await service.batches(info.context.actor, first=min(max(first, 1), 100))
        return [PaymentBatch.from_model(b) for b in rows]

    @strawberry.field(description="The lines of a payment batch.")
    async def payment_lines(self, info: strawberry.Info, batch_id: strawberry.ID) -> list[PaymentLine]:
        require_signed_in(info.context)
        return [PaymentLine.from_model(m) for m in await service.lines(info.context.actor, parse_id(batch_id))]
