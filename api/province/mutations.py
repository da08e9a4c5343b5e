from __future__ import annotations

import strawberry

from api.graphql.payloads import parse_id, payload, run_mutation
from api.province import service
from api.province.types import ProvinceSync, ProvinceSyncSuccess

ProvinceSyncPayload = payload("ProvinceSyncPayload", ProvinceSyncSuccess)


@strawberry.type
class ProvinceMutations:
    @strawberry.mutation(description="Sends a dead provincial sync again (supervisors).")
    async def province_sync_retry(self, info: strawberry.Info, case_id: strawberry.ID) -> ProvinceSyncPayload:
        async def work():
            return ProvinceSyncSuccess(sync=ProvinceSync.from_model(
                await service.retry(info.context.actor, parse_id(case_id))))

        return await run_mutation(info.context, work)
