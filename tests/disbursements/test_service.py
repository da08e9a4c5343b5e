import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from api.cases.models import Case, CaseEvent
from api.disbursements import service
from api.disbursements.models import PaymentLine
from api.kit.db import unit_of_work
from api.kit.errors import ConflictError, NotAllowedError, ValidationError
from tests.factories import make_case, make_staff, staff_actor


@pytest.fixture(autouse=True)
async def finance(db):
    staff_id, _ = await make_staff("finance")
    global FINANCE
    FINANCE = staff_actor("finance", staff_id=staff_id)
    return FINANCE


async def _build(month: str, actor=None):
    async with unit_of_work():
        return await service.build(actor or FINANCE, month)


async def _mark(line_id: int, paid: bool, reason: str = ""):
    async with unit_of_work():
        return await service.mark(FINANCE, line_id, paid=paid, reason=reason)


async def test_a_batch_takes_every_approved_case_due_that_month(db):
    a = await make_case("dibao", "approved")
    b = await make_case("dibao", "approved")
    summary = await _build("2026-12")
    assert summary.lines == 2
    assert summary.total == Decimal("1300.00")
    assert {c.status for c in await Case.filter(id__in=[a.id, b.id])} == {"paying"}


async def test_a_case_starting_later_is_not_in_an_earlier_batch(db):
    await make_case("dibao", "approved")
    with pytest.raises(ConflictError) as e:
        await _build("2026-11")
    assert e.value.code == "nothing_to_pay"


async def test_a_month_is_paid_once_per_case(db):
    await make_case("dibao", "approved")
    await _build("2026-12")
    with pytest.raises(ConflictError):
        await _build("2026-12")
    assert await PaymentLine.all().count() == 1


async def test_monthly_aid_is_paid_again_the_next_month(db):
    await make_case("dibao", "approved")
    await _build("2026-12")
    assert (await _build("2027-01")).lines == 1


async def test_a_paid_line_appears_on_the_applicants_timeline(db):
    case = await make_case("dibao", "approved")
    await _build("2026-12")
    line = await PaymentLine.get(case_id=case.id)
    await _mark(line.id, paid=True)
    event = await CaseEvent.filter(case_id=case.id).order_by("-seq").first()
    assert (event.action, event.public) == ("pay_record", True)
    assert "650" in event.comment
    assert (await PaymentLine.get(id=line.id)).status == "paid"


async def test_a_failed_line_needs_a_reason_and_stays_until_paid(db):
    case = await make_case("dibao", "approved")
    await _build("2026-12")
    line = await PaymentLine.get(case_id=case.id)
    with pytest.raises(ValidationError):
        await _mark(line.id, paid=False)
    await _mark(line.id, paid=False, reason="账户已销户")
    assert (await PaymentLine.get(id=line.id)).status == "failed"
    await _mark(line.id, paid=True)
    assert (await PaymentLine.get(id=line.id)).status == "paid"


async def test_a_paid_line_cannot_be_changed(db):
    case = await make_case("dibao", "approved")
    await _build("2026-12")
    line = await PaymentLine.get(case_id=case.id)
    await _mark(line.id, paid=True)
    with pytest.raises(ConflictError) as e:
        await _mark(line.id, paid=False, reason="误操作")
    assert e.value.code == "line_already_paid"


async def test_one_off_aid_closes_once_paid(db):
    case = await make_case("yiliao", "approved")
    await _build("2026-12")
    await _mark((await PaymentLine.get(case_id=case.id)).id, paid=True)
    assert (await Case.get(id=case.id)).status == "closed"


async def test_only_finance_builds_batches(db):
    await make_case("dibao", "approved")
    with pytest.raises(NotAllowedError):
        await _build("2026-12", actor=staff_actor("approver"))


async def test_a_bad_month_is_refused(db):
    with pytest.raises(ValidationError) as e:
        await _build("2026-13")
    assert e.value.code == "month_invalid"


async def test_the_export_opens_and_its_total_matches_the_batch(db):
    for _ in range(3):
        await make_case("dibao", "approved")
    summary = await _build("2026-12")
    async with unit_of_work():
        name, data = await service.export_xlsx(FINANCE, summary.batch.id)
    ws = load_workbook(io.BytesIO(data)).active
    amounts = [row[6] for row in ws.iter_rows(min_row=2, values_only=True) if row[0] != "合计"]
    assert name.endswith(".xlsx")
    assert sum(Decimal(str(a)) for a in amounts) == summary.total
    assert ws.cell(row=len(amounts) + 2, column=7).value == f"=SUM(G2:G{len(amounts) + 1})"
    accounts = [row[4] for row in ws.iter_rows(min_row=2, max_row=len(amounts) + 1, values_only=True)]
    assert all("****" in a for a in accounts)


async def test_the_export_is_downloaded_by_finance_and_refused_to_others(client, db):
    from tests.graphql.helpers import staff_token

    await make_case("dibao", "approved")
    summary = await _build("2026-12")
    url = f"/api/disbursements/batches/{summary.batch.id}.xlsx"
    finance_token = await staff_token(client, "finance")
    approver_token = await staff_token(client, "approver")
    ok = await client.get(url, headers={"Authorization": f"Bearer {finance_token}"})
    refused = await client.get(url, headers={"Authorization": f"Bearer {approver_token}"})
    anonymous = await client.get(url)
    assert ok.status_code == 200
    assert ok.content[:2] == b"PK"
    assert (refused.status_code, anonymous.status_code) == (403, 401)


async def test_a_double_tapped_build_makes_one_batch_and_tells_the_second_tap_why(db, monkeypatch):
    import asyncio

    from api.disbursements import repository
    from api.disbursements.models import PaymentBatch
    from tests.factories import reading_together

    await make_case("dibao", "approved")
    await make_case("dibao", "approved")
    reading_together(monkeypatch, repository, "payable_cases", 2)  # both taps find the cases before either writes
    results = await asyncio.gather(_build("2026-12"), _build("2026-12"), return_exceptions=True)

    built = [r for r in results if isinstance(r, service.BatchSummary)]
    refused = [r for r in results if isinstance(r, ConflictError)]
    assert (len(built), len(refused)) == (1, 1), results
    assert refused[0].code in ("batch_just_built", "nothing_to_pay")  # never the generic "数据已被他人修改"
    assert "已" in refused[0].message and "发放批次" in refused[0].message
    assert await PaymentLine.filter(month="2026-12").count() == 2
    assert await PaymentBatch.filter(month="2026-12").count() == 1  # the refused tap's batch rolled back


async def test_building_a_month_again_says_its_cases_are_in_a_batch_already(db):
    await make_case("dibao", "approved")
    await _build("2026-12")
    with pytest.raises(ConflictError) as e:
        await _build("2026-12")
    assert (e.value.code, e.value.message) == ("nothing_to_pay", "2026-12 需要发放的申请都已纳入发放批次，没有新的可发放")
