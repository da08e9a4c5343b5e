from __future__ import annotations

import datetime

import strawberry

from api.province.models import ProvinceSync as SyncModel


@strawberry.type(description="The provincial side of a 高龄津贴 case: pending, sent, decided, failing or dead.")
class ProvinceSync:
    case_id: strawberry.ID
    case_number: str = strawberry.field(description="The case's number, as staff and the applicant know it.")
    request_id: str
    reference: str | None
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime.datetime
    pushed_at: datetime.datetime | None
    decided_at: datetime.datetime | None
    last_checked_at: datetime.datetime | None

    @classmethod
    def from_model(cls, m: SyncModel) -> ProvinceSync:
        # every read of a sync for the API carries its case's number (repository._with_case_number)
        return cls(case_id=strawberry.ID(str(m.case_id)), case_number=m.case_number, request_id=m.request_id,
                   reference=m.reference, state=m.state, attempts=m.attempts, last_error=m.last_error,
                   created_at=m.created_at, pushed_at=m.pushed_at, decided_at=m.decided_at,
                   last_checked_at=m.last_checked_at)


@strawberry.type
class ProvinceSyncSuccess:
    sync: ProvinceSync
