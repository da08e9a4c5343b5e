from __future__ import annotations

import strawberry

from api.graphql.payloads import payload, run_mutation
from api.regions import service


@strawberry.type
class RegionImportSuccess:
    imported: int


RegionImportPayload = payload("RegionImportPayload", RegionImportSuccess)


@strawberry.type
class RegionMutations:
    @strawberry.mutation(description="Imports `code,name,level,parent_code` CSV rows; all or nothing (admin).")
    async def region_import(self, info: strawberry.Info, csv: str) -> RegionImportPayload:
        async def work():
            return RegionImportSuccess(imported=await service.import_csv(info.context.actor, csv))

        return await run_mutation(info.context, work)
