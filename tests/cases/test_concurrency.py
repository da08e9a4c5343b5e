"""Concurrent callers on one case or one submission: one wins, the others are refused, seq keeps no gaps."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta

from api.cases import service as cases
from api.cases.models import Case, CaseEvent
from api.kit import clock
from api.kit.actors import Actor
from api.kit.db import unit_of_work
from api.kit.errors import DomainError
from api.kit.workdays import TZ
from tests.factories import (
    STEP_DATA,
    STEP_ROLE,
    key,
    make_applicant,
    make_case,
    required_material_ids,
    sample_form,
    staff_actor,
)

FRIDAY = datetime(2026, 12, 4, 10, 0, tzinfo=TZ).astimezone(UTC)
N = 5  # the PostgreSQL pool holds five connections: every caller runs at the same time


async def attempt(actor: Actor, case_id: int, action: str, data: dict) -> Case:
    async with unit_of_work():
        case, _ = await cases.act(actor, case_id, action, data)
    return case


def describe(result: Case | BaseException) -> tuple[str, object]:
    """Returns ('case', id) for a success, ('error', code) for an expected refusal; anything else is raised."""
    if isinstance(result, Case):
        return "case", result.id
    if isinstance(result, DomainError):
        return "error", result.code
    raise result


async def race(case_id: int, calls: list[tuple[Actor, str, dict]]) -> list[tuple[str, object]]:
    results = await asyncio.gather(*(attempt(actor, case_id, action, data) for actor, action, data in calls),
                                   return_exceptions=True)
    return sorted(map(describe, results), key=str)


def step_calls(action: str) -> list[tuple[Actor, str, dict]]:
    return [(staff_actor(STEP_ROLE[action]), action, STEP_DATA.get(action, dict)()) for _ in range(N)]


async def seqs(case_id: int) -> list[int]:
    return list(await CaseEvent.filter(case_id=case_id).order_by("seq").values_list("seq", flat=True))


async def test_concurrent_same_action_lets_exactly_one_through_per_step(db) -> None:
    clock.freeze(FRIDAY)
    case = await make_case("dibao", "submitted")

    outcomes = [await race(case.id, step_calls(action)) for action in ("accept", "investigate", "verify", "review")]
    clock.freeze(FRIDAY + timedelta(days=8))  # the 7-day public notice has ended
    outcomes += [await race(case.id, step_calls(action)) for action in ("approve", "pay_start", "close")]

    moved_on = [("case", case.id)] + [("error", "invalid_transition")] * (N - 1)
    ended = [("case", case.id)] + [("error", "case_closed")] * (N - 1)  # the losers of `close` find it closed
    stored = await Case.get(id=case.id)
    assert (outcomes, stored.status, stored.last_seq, await seqs(case.id)) == (
        [moved_on] * 6 + [ended], "closed", 8, [1, 2, 3, 4, 5, 6, 7, 8])


async def test_concurrent_conflicting_actions_let_exactly_one_win(db) -> None:
    clock.freeze(FRIDAY)
    applicant = await make_applicant()
    case = await make_case("dibao", "submitted", applicant=applicant)
    clock.freeze(FRIDAY + timedelta(hours=1))  # past the withdrawal grace: withdraw only before acceptance
    officer = staff_actor("township_officer")
    calls = [(officer, "accept", {}), (officer, "refuse", {"reason": "户籍不在本区"}),
             (officer, "return", {"reason": "缺少户口簿"}), (applicant, "withdraw", {})]

    results = await asyncio.gather(*(attempt(actor, case.id, action, data) for actor, action, data in calls),
                                   return_exceptions=True)
    won = [action for (_, action, _), result in zip(calls, results, strict=True) if describe(result)[0] == "case"]

    # The officer's three decisions exclude each other: at most one of them lands. The applicant may
    # still withdraw after a return (补正 is before acceptance), so `return` then `withdraw` is a
    # legitimate history; every other pair is not.
    events = await CaseEvent.filter(case_id=case.id, seq__gt=1).order_by("seq")
    history = [event.action for event in events]
    stored = await Case.get(id=case.id)
    chained = all(later.from_status == earlier.to_status for earlier, later in zip(events, events[1:], strict=False))
    assert (sorted(history), chained, stored.status, await seqs(case.id)) == (
        sorted(won), True, events[-1].to_status, list(range(1, len(events) + 2)))
    assert history in (["accept"], ["refuse"], ["return"], ["withdraw"], ["return", "withdraw"]), history


async def submit_concurrently(applicant: Actor, submissions: list[tuple[str, list[str]]]) -> list:
    async def submit(submission_key: str, material_ids: list[str]) -> Case:
        async with unit_of_work():
            return await cases.submit(applicant, cases.SubmitInput(
                item_code="dibao", submission_key=submission_key, form=sample_form("dibao"),
                material_ids=material_ids))

    return await asyncio.gather(*(submit(k, ids) for k, ids in submissions), return_exceptions=True)


async def test_concurrent_submits_with_same_key_all_return_one_case(db) -> None:
    applicant = await make_applicant()
    submission = (key(), await required_material_ids(applicant, "dibao"))

    results = await submit_concurrently(applicant, [submission] * N)

    only = await Case.get(submission_key=submission[0])
    assert (sorted(map(describe, results), key=str), await Case.all().count(), await seqs(only.id)) == (
        [("case", only.id)] * N, 1, [1])


async def test_concurrent_submits_with_different_keys_for_same_item_create_one_case(db) -> None:
    applicant = await make_applicant()
    submissions = [(key(), await required_material_ids(applicant, "dibao")) for _ in range(N)]

    results = await submit_concurrently(applicant, submissions)

    only = await Case.get(applicant_id=applicant.applicant_id)
    assert (sorted(map(describe, results), key=str), await Case.all().count()) == (
        sorted([("case", only.id)] + [("error", "open_case_exists")] * (N - 1), key=str), 1)


async def test_clock_scan_racing_an_action_does_not_flag_the_case_it_moved_on(db, monkeypatch) -> None:
    """The scan reads a case overdue while an officer's action on it is under way; the action commits first
    (the case is in a new stage with a fresh clock): the scan must not then mark it overdue."""
    from api.cases import repository

    clock.freeze(FRIDAY)
    case = await make_case("dibao", "submitted")
    clock.freeze(FRIDAY + timedelta(days=60))  # far past the acceptance limit
    acted, scan_writing = asyncio.Event(), asyncio.Event()
    set_flags = repository.set_flags

    async def noted_set_flags(case_ids: list[int], **values) -> None:
        scan_writing.set()
        await set_flags(case_ids, **values)

    monkeypatch.setattr(repository, "set_flags", noted_set_flags)

    async def accept() -> None:
        async with unit_of_work():
            await cases.act(staff_actor("township_officer"), case.id, "accept", {})
            acted.set()
            # the scan writes its flags while the action has not committed yet (on SQLite it cannot start)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(scan_writing.wait(), 1.0)

    async def scan() -> dict[str, int]:
        await acted.wait()
        return await cases.scan_clocks()

    await asyncio.gather(accept(), scan())

    stored = await Case.get(id=case.id)
    assert (stored.status, stored.clock_flag, stored.due_at > clock.now()) == ("investigating", "ok", True)
