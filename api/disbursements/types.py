from __future__ import annotations

import datetime
from decimal import Decimal

import strawberry

from api.disbursements.models import PaymentBatch as BatchModel
from api.disbursements.models import PaymentLine as LineModel


@strawberry.type(description="One recipient's payment in a batch (bank account masked).")
class PaymentLine:
    id: strawberry.ID
    case_id: strawberry.ID
    case_number: str
    recipient_name: str
    bank_name: str | None
    bank_account_masked: str | None
    month: str
    amount: Decimal
    status: str = strawberry.field(description="pending | paid | failed")
    failure_reason: str | None
    paid_at: datetime.datetime | None

    @classmethod
    def from_model(cls, m: LineModel) -> PaymentLine:
        a = m.case.applicant
        return cls(id=strawberry.ID(str(m.id)), case_id=strawberry.ID(str(m.case_id)), case_number=m.case.number,
                   recipient_name=a.name, bank_name=a.bank_name, bank_account_masked=a.bank_masked, month=m.month,
                   amount=m.amount, status=m.status, failure_reason=m.failure_reason, paid_at=m.paid_at)


@strawberry.type(description="One month's payments.")
class PaymentBatch:
    id: strawberry.ID
    month: str
    created_at: datetime.datetime
    exported_at: datetime.datetime | None
    download_url: str

    @classmethod
    def from_model(cls, m: BatchModel) -> PaymentBatch:
        return cls(id=strawberry.ID(str(m.id)), month=m.month, created_at=m.created_at, exported_at=m.exported_at,
                   download_url=f"/api/disbursements/batches/{m.id}.xlsx")


@strawberry.type
class PaymentBatchSuccess:
    batch: PaymentBatch
    lines: int
    total: Decimal


@strawberry.type
class PaymentLineSuccess:
    line_id: strawberry.ID
    status: str
