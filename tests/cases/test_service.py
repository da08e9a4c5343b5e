"""Cases against a real database: submission, actions and their events, visibility, stage clocks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from api.cases import repository
from api.cases import service as cases
from api.cases.models import Case, CaseEvent
from api.kit import clock
from api.kit.db import unit_of_work
from api.kit.errors import ConflictError, NotAllowedError, NotFoundError, ValidationError
from api.kit.workdays import TZ
from tests.factories import (
    CUIPING,
    OTHER_VILLAGE,
    XINQIAO,
    act,
    key,
    make_applicant,
    make_case,
    make_staff,
    required_material_ids,
    sample_form,
    staff_actor,
    tiny_png,
)


def shanghai(*args: int) -> datetime:
    """Returns a Shanghai wall-clock time as the aware UTC instant `clock.now()` promises."""
    return datetime(*args, tzinfo=TZ).astimezone(UTC)


FRIDAY = shanghai(2026, 12, 4, 10, 0)
OFFICER = staff_actor("township_officer", CUIPING)


async def submit(applicant, item: str = "dibao", *, submission_key: str | None = None, form: dict | None = None,
                 material_ids: list[str] | None = None, **kw):
    ids = await required_material_ids(applicant, item) if material_ids is None else material_ids
    async with unit_of_work():
        return await cases.submit(applicant, cases.SubmitInput(
            item_code=item, submission_key=submission_key or key(),
            form=sample_form(item) if form is None else form, material_ids=ids, **kw))


async def rows() -> tuple[int, int]:
    return await Case.all().count(), await CaseEvent.all().count()


async def seqs(case_id: int) -> list[int]:
    return list(await CaseEvent.filter(case_id=case_id).order_by("seq").values_list("seq", flat=True))


async def actions(case_id: int) -> list[str]:
    return list(await CaseEvent.filter(case_id=case_id).order_by("seq").values_list("action", flat=True))


async def listed(clock_filter: str) -> set[int]:
    async with unit_of_work():
        found = await cases.page(OFFICER, cases.CaseFilter(clock=clock_filter), first=100, after_id=None)
    return {c.id for c in found}


# ---- submission --------------------------------------------------------------------------------------

async def test_same_submission_key_twice_creates_one_case(db) -> None:
    applicant = await make_applicant()
    ids = await required_material_ids(applicant, "dibao")
    first = await submit(applicant, submission_key="key-0001-abcdef", material_ids=ids)

    second = await submit(applicant, submission_key="key-0001-abcdef", material_ids=ids)

    assert (second.id, second.number, await rows()) == (first.id, first.number, (1, 1))


async def test_submission_key_of_another_applicant_is_refused(db) -> None:
    await submit(await make_applicant(), submission_key="key-0002-abcdef")
    other = await make_applicant(name="李四")

    with pytest.raises(ConflictError) as e:
        await submit(other, submission_key="key-0002-abcdef")
    assert (e.value.code, await rows()) == ("submission_key_taken", (1, 1))


async def test_submitted_case_gets_number_and_first_event(db) -> None:
    case = await submit(await make_applicant())

    assert (case.number, case.status, case.channel, case.last_seq, await actions(case.id)) == (
        f"DC{clock.now().year}-{case.id:06d}", "submitted", "self", 1, ["submit"])


async def test_second_open_case_for_same_person_and_item_is_refused(db) -> None:
    applicant = await make_applicant()
    await submit(applicant)

    with pytest.raises(ConflictError) as e:
        await submit(applicant)
    assert (e.value.code, await rows()) == ("open_case_exists", (1, 1))


async def test_open_case_of_another_item_does_not_block_submission(db) -> None:
    applicant = await make_applicant()
    await submit(applicant, "dibao")

    await submit(applicant, "linshi")

    assert await Case.filter(applicant_id=applicant.applicant_id).count() == 2


async def test_new_case_for_same_item_is_allowed_once_previous_is_withdrawn(db) -> None:
    applicant = await make_applicant()
    first = await submit(applicant)
    await act(first.id, "withdraw", actor=applicant)

    second = await submit(applicant)

    assert (second.id != first.id, second.status, (await Case.get(id=first.id)).status) == (
        True, "submitted", "withdrawn")


async def test_submission_missing_required_form_field_is_refused_and_writes_nothing(db) -> None:
    applicant = await make_applicant()
    form = sample_form("dibao")
    del form["householdSize"]
    before = await rows()

    with pytest.raises(ValidationError) as e:
        await submit(applicant, form=form)
    assert (e.value.code, e.value.field, await rows()) == ("form_field_required", "householdSize", before)


async def test_submission_for_unknown_item_is_refused(db) -> None:
    applicant = await make_applicant()

    with pytest.raises(NotFoundError) as e:
        await submit(applicant, "no_such_item", form={}, material_ids=[])
    assert (e.value.code, await rows()) == ("item_not_found", (0, 0))


async def test_submission_without_required_materials_is_refused(db) -> None:
    applicant = await make_applicant()
    ids = await required_material_ids(applicant, "dibao")

    with pytest.raises(ValidationError) as e:
        await submit(applicant, material_ids=ids[:1])  # only the ID card: 户口簿 and 授权书 are missing
    assert (e.value.code, await rows()) == ("materials_missing", (0, 0))


async def test_proxy_submission_by_village_worker_records_channel_and_worker(db) -> None:
    from api.materials import service as materials

    staff_id, _ = await make_staff("village_worker", XINQIAO)
    worker = staff_actor("village_worker", XINQIAO, staff_id=staff_id)
    applicant = await make_applicant()
    ids = []
    for kind in ("id_card", "hukou", "authorization", "proxy_consent"):
        async with unit_of_work():
            m = await materials.upload(worker, data=tiny_png(), kind=kind, applicant_id=applicant.applicant_id)
        ids.append(str(m.id))

    case = await submit(worker, material_ids=ids, applicant_id=applicant.applicant_id)

    event = await CaseEvent.get(case_id=case.id, seq=1)
    assert (case.applicant_id, case.channel, case.proxy_by_id, event.actor_kind, event.actor_staff_id) == (
        applicant.applicant_id, "proxy", staff_id, "staff", staff_id)


async def test_a_proxy_application_without_the_applicants_consent_is_refused_and_writes_nothing(db) -> None:
    from api.materials import service as materials

    worker = staff_actor("village_worker", XINQIAO)
    applicant = await make_applicant()
    ids = []
    for kind in ("id_card", "hukou", "authorization"):
        async with unit_of_work():
            ids.append(str((await materials.upload(worker, data=tiny_png(), kind=kind,
                                                   applicant_id=applicant.applicant_id)).id))

    with pytest.raises(ValidationError) as e:
        await submit(worker, material_ids=ids, applicant_id=applicant.applicant_id)
    assert (e.value.code, e.value.field, await Case.filter(applicant_id=applicant.applicant_id).count()) == (
        "consent_missing", "materialIds", 0)
    assert "签名" in e.value.message


# ---- actions and their events ------------------------------------------------------------------------

async def test_events_are_numbered_one_to_n_without_gaps_after_full_walk(db) -> None:
    case = await make_case("dibao", "closed")

    assert (await seqs(case.id), await actions(case.id), case.last_seq) == (
        [1, 2, 3, 4, 5, 6, 7, 8],
        ["submit", "accept", "investigate", "verify", "review", "approve", "pay_start", "close"], 8)


async def test_refused_action_leaves_case_and_events_unchanged(db) -> None:
    case = await make_case("dibao", "submitted")

    with pytest.raises(ConflictError):
        await act(case.id, "approve")

    stored = await Case.get(id=case.id)
    assert (stored.status, stored.last_seq, await seqs(case.id)) == ("submitted", 1, [1])


async def test_action_rolled_back_with_its_transaction_leaves_no_event(db) -> None:
    case = await make_case("dibao", "submitted")

    with pytest.raises(RuntimeError, match="later step failed"):
        async with unit_of_work():
            await cases.act(OFFICER, case.id, "accept", {})
            raise RuntimeError("later step failed")

    stored = await Case.get(id=case.id)
    assert (stored.status, stored.accepted_at, stored.last_seq, await seqs(case.id)) == ("submitted", None, 1, [1])


async def test_action_returns_case_and_its_event(db) -> None:
    case = await make_case("dibao", "submitted")

    updated, event = await act(case.id, "accept")

    assert (updated.status, event.seq, event.action, event.from_status, event.to_status, event.actor_role) == (
        "investigating", 2, "accept", "submitted", "investigating", "township_officer")


async def test_applicant_sees_only_public_events(db) -> None:
    applicant = await make_applicant()
    case = await make_case("dibao", "investigating", applicant=applicant)
    async with unit_of_work():  # an internal note between the public steps
        stored = await repository.by_id(case.id, for_update=True)
        stored.last_seq += 1
        await repository.add_event(case_id=case.id, seq=stored.last_seq, action="note", from_status="investigating",
                                   to_status="investigating", actor_kind="staff", actor_name="经办人",
                                   actor_role="township_officer", public=False, created_at=clock.now())
        await stored.save(update_fields=["last_seq"])
    await act(case.id, "investigate")

    async with unit_of_work():
        seen_by_applicant = [e.seq for e in await cases.events_for(applicant, stored)]
        seen_by_staff = [e.seq for e in await cases.events_for(OFFICER, stored)]
    assert (seen_by_applicant, seen_by_staff) == ([1, 2, 4], [1, 2, 3, 4])


async def test_village_worker_cannot_act_on_case_in_another_village(db) -> None:
    case = await make_case("dibao", "submitted", applicant=await make_applicant(region=OTHER_VILLAGE))

    with pytest.raises(NotFoundError) as e:
        await act(case.id, "accept", actor=staff_actor("village_worker", XINQIAO))

    stored = await Case.get(id=case.id)
    assert (e.value.code, stored.status, stored.last_seq) == ("case_not_found", "submitted", 1)


async def test_village_worker_may_accept_case_in_own_village(db) -> None:
    case = await make_case("dibao", "submitted")

    updated, _ = await act(case.id, "accept", actor=staff_actor("village_worker", XINQIAO))

    assert updated.status == "investigating"


async def test_returned_case_is_resubmitted_and_accepted(db) -> None:
    applicant = await make_applicant()
    case = await make_case("dibao", "returned", applicant=applicant)

    resubmitted, _ = await act(case.id, "resubmit", actor=applicant)
    accepted, _ = await act(case.id, "accept")

    assert (resubmitted.status, accepted.status, await actions(case.id)) == (
        "submitted", "investigating", ["submit", "return", "resubmit", "accept"])


async def test_gaoling_case_goes_through_province_to_closed(db) -> None:
    from api.kit.actors import PROVINCE, SYSTEM

    case = await make_case("gaoling", "submitted", applicant=await make_applicant(birth=date(1940, 3, 1)))
    await act(case.id, "accept")
    await act(case.id, "province_sent", actor=SYSTEM, data={"reference": "SC-1"})
    await act(case.id, "province_decide", actor=PROVINCE,
              data={"approved": True, "amount": "100", "start_month": "2026-12", "reference": "SC-1"})
    await act(case.id, "pay_start")
    closed, _ = await act(case.id, "close")

    assert (closed.status, str(closed.amount), await seqs(case.id)) == ("closed", "100.00", [1, 2, 3, 4, 5, 6])


# ---- stage clocks ------------------------------------------------------------------------------------

async def test_submitted_case_is_due_three_working_days_later(db) -> None:
    clock.freeze(FRIDAY)

    case = await submit(await make_applicant())

    assert (case.stage_started_at, case.warn_at, case.due_at) == (
        FRIDAY, shanghai(2026, 12, 8, 16, 0), shanghai(2026, 12, 9, 10, 0))


async def test_warning_filter_lists_cases_past_three_quarters_of_their_limit(db) -> None:
    clock.freeze(FRIDAY)
    early = await submit(await make_applicant())
    clock.freeze(FRIDAY + timedelta(days=3))  # Monday 10:00: warns Wednesday 16:00
    later = await submit(await make_applicant(name="李四"))

    clock.freeze(shanghai(2026, 12, 8, 16, 1))  # the early case warns Tuesday 16:00

    assert (await listed("warning"), await listed("overdue"), later.id) == ({early.id}, set(), later.id)


async def test_overdue_filter_lists_cases_past_their_limit(db) -> None:
    clock.freeze(FRIDAY)
    early = await submit(await make_applicant())
    clock.freeze(FRIDAY + timedelta(days=3))  # Monday 10:00: warns Wednesday 16:00, due Thursday 10:00
    later = await submit(await make_applicant(name="李四"))

    clock.freeze(shanghai(2026, 12, 9, 16, 1))  # the early case was due Wednesday 10:00

    assert (await listed("overdue"), await listed("warning")) == ({early.id}, {later.id})


async def test_returned_case_has_its_clock_stopped(db) -> None:
    clock.freeze(FRIDAY)
    case = await make_case("dibao", "returned")

    clock.freeze(FRIDAY + timedelta(days=60))

    assert ((case.stage_started_at, case.warn_at, case.due_at, case.case_due_at), await listed("overdue")) == (
        (None, None, None, None), set())


async def test_resubmitted_case_clock_starts_afresh(db) -> None:
    clock.freeze(FRIDAY)
    applicant = await make_applicant()
    case = await make_case("dibao", "returned", applicant=applicant)
    monday = FRIDAY + timedelta(days=3)
    clock.freeze(monday)

    resubmitted, _ = await act(case.id, "resubmit", actor=applicant)

    assert (resubmitted.stage_started_at, resubmitted.due_at) == (monday, shanghai(2026, 12, 10, 10, 0))


async def test_dibao_acceptance_sets_whole_case_due_in_30_working_days(db) -> None:
    clock.freeze(FRIDAY)
    case = await make_case("dibao", "submitted")

    accepted, _ = await act(case.id, "accept")

    # 2027-01-01 is a holiday
    assert (accepted.accepted_at, accepted.case_due_at) == (FRIDAY, shanghai(2027, 1, 18, 10, 0))


async def test_extension_moves_whole_case_due_to_45_working_days(db) -> None:
    clock.freeze(FRIDAY)
    case = await make_case("dibao", "investigating")
    clock.freeze(FRIDAY + timedelta(days=10))

    extended, event = await act(case.id, "extend", role="approver", data={"reason": "家庭成员多，核对需要更多时间"})

    # Spring Festival 2027-02-05..14 off, 2027-01-31 a make-up working day
    assert (extended.extended, extended.extension_reason, extended.case_due_at, extended.status, event.public) == (
        True, "家庭成员多，核对需要更多时间", shanghai(2027, 2, 15, 10, 0), "investigating", True)


async def test_item_without_whole_case_limit_has_no_case_due(db) -> None:
    case = await make_case("linshi", "investigating")

    assert (case.case_due_at, case.due_at is not None) == (None, True)


@pytest.mark.parametrize("status", ["paying", "closed"])
async def test_decided_dibao_case_is_not_listed_overdue_after_whole_case_limit(db, status: str) -> None:
    clock.freeze(FRIDAY)
    case = await make_case("dibao", status)

    clock.freeze(shanghai(2027, 6, 1, 10, 0))

    assert (case.status, await listed("overdue")) == (status, set())


async def test_rejected_dibao_case_is_not_listed_overdue_after_whole_case_limit(db) -> None:
    clock.freeze(FRIDAY)
    case = await make_case("dibao", "approving")
    clock.freeze(case.notice_until + timedelta(minutes=1))
    await act(case.id, "reject", role="approver", data={"reason": "家庭收入超过标准"})

    clock.freeze(shanghai(2027, 6, 1, 10, 0))

    assert await listed("overdue") == set()


async def test_emergency_linshi_approval_is_due_48_hours_after_acceptance(db) -> None:
    clock.freeze(FRIDAY)
    case = await submit(await make_applicant(), "linshi", emergency=True)

    accepted, _ = await act(case.id, "accept")

    assert (accepted.status, accepted.warn_at, accepted.due_at) == (
        "approving", FRIDAY + timedelta(hours=36), FRIDAY + timedelta(hours=48))


async def test_approval_clock_starts_when_public_notice_ends(db) -> None:
    clock.freeze(FRIDAY)
    case = await make_case("dibao", "reviewing")

    reviewed, _ = await act(case.id, "review")

    notice_end = shanghai(2026, 12, 11, 10, 0)
    assert (reviewed.notice_until, reviewed.stage_started_at, reviewed.due_at) == (
        notice_end, notice_end, shanghai(2026, 12, 25, 10, 0))


async def test_minor_case_goes_to_approval_without_public_notice(db) -> None:
    clock.freeze(FRIDAY)
    case = await make_case("tekun", "reviewing", applicant=await make_applicant(birth=date(2014, 6, 1)))

    reviewed, event = await act(case.id, "review")
    approved, _ = await act(case.id, "approve")

    assert (reviewed.notice_until, event.data["notice_days"], approved.status) == (None, 0, "approved")


async def test_an_internal_note_stays_on_the_staff_timeline_and_changes_nothing_else(db) -> None:
    applicant = await make_applicant()
    case = await make_case("dibao", "verifying", applicant=applicant)

    noted, event = await act(case.id, "comment", role="verifier", data={"comment": "  已向民政局调取社保记录  "})

    stored = await repository.by_id(case.id)
    assert (event.public, event.from_status, event.to_status, event.comment) == (
        False, "verifying", "verifying", "已向民政局调取社保记录")
    assert (stored.status, stored.due_at, stored.warn_at, stored.last_seq) == (
        "verifying", case.due_at, case.warn_at, case.last_seq + 1)
    assert event.seq in [e.seq for e in await cases.events_for(staff_actor("approver"), stored)]
    assert event.seq not in [e.seq for e in await cases.events_for(applicant, stored)]


async def test_an_internal_note_needs_text_and_a_role_that_handles_cases(db) -> None:
    case = await make_case("dibao", "submitted")

    with pytest.raises(ValidationError) as empty:
        await act(case.id, "comment", role="township_officer", data={"comment": "   "})
    with pytest.raises(NotAllowedError):
        await act(case.id, "comment", role="analyst", data={"comment": "看看"})
    with pytest.raises(NotFoundError):  # outside the worker's village the case does not exist for them
        await act(case.id, "comment", actor=staff_actor("village_worker", OTHER_VILLAGE), data={"comment": "看看"})

    assert empty.value.field == "comment"
    assert (await repository.by_id(case.id)).last_seq == case.last_seq
