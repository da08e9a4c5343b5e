"""Property tests: ID numbers against their definition, and random workflows that never break an invariant."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from argon2 import PasswordHasher
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from api.accounts import service as accounts
from api.cases import service as cases
from api.cases.models import Case, CaseEvent
from api.kit import clock
from api.kit.actors import STAFF_ROLES, Actor
from api.kit.db import unit_of_work
from api.kit.errors import ConflictError, DomainError, ValidationError
from api.kit.idnumber import parse_id_number
from tests.conftest import _truncate
from tests.factories import (
    OTHER_TOWN,
    OTHER_VILLAGE,
    STEP_DATA,
    make_applicant,
    make_staff,
    staff_actor,
    submit_case,
)

# ---- ID numbers (GB 11643-1999) ---------------------------------------------------------------------------------
TODAY = date(2026, 11, 26)
EARLIEST = date(1890, 1, 1)
# GB/T 2260 province-level codes (the first two digits of the address code)
PROVINCES = ("11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 "
             "71 81 82").split()
CHARS = "0123456789X"


def check_character(body: str) -> str:
    """ISO 7064 MOD 11-2 over the 17 digits: weights 2^(17-i) mod 11; the value (12 - Σ mod 11) mod 11, 10 → X."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(body))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def expected_reason(number: str) -> str | None:
    """What the definition says is wrong with an 18-character number (checked in the order the messages name
    it), or None when it is valid."""
    if any(c not in "0123456789" for c in number[:17]) or number[17] not in CHARS:
        return "id_number_chars"
    if number[:2] not in PROVINCES:
        return "id_number_region"
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "id_number_birth_date"
    if not EARLIEST <= born <= TODAY:
        return "id_number_birth_date"
    if check_character(number[:17]) != number[17]:
        return "id_number_checksum"
    return None


def outcome(number: str) -> str | None:
    try:
        parse_id_number(number, today=TODAY)
    except ValidationError as e:
        assert e.field == "idNumber"
        return e.code
    return None


@st.composite
def id_numbers(draw) -> str:
    """Valid numbers built from the definition: address code, birth date, sequence, check character."""
    address = draw(st.sampled_from(PROVINCES)) + draw(st.text("0123456789", min_size=4, max_size=4))
    born = draw(st.dates(min_value=EARLIEST, max_value=TODAY))
    body = f"{address}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return body + check_character(body)


@given(id_numbers())
@settings(max_examples=300, deadline=None, database=None)
def test_valid_numbers_are_accepted_with_their_parts(number):
    info = parse_id_number(number, today=TODAY)

    assert info.number == number
    assert info.region_code == number[:6]
    assert f"{info.birth_date:%Y%m%d}" == number[6:14]
    assert info.sex == ("male" if int(number[16]) % 2 else "female")
    # the same number typed lower-case or with full-width digits and spaces is the same number
    wide = "".join(chr(ord(c) + 0xFEE0) for c in number[:9]) + " " + number[9:].lower()
    assert parse_id_number(wide, today=TODAY).number == number


@given(id_numbers(), st.integers(0, 17), st.sampled_from(CHARS))
@settings(max_examples=500, deadline=None, database=None)
def test_any_single_character_change_is_refused_with_its_reason(number, position, char):
    assume(number[position] != char)
    changed = number[:position] + char + number[position + 1:]

    reason = expected_reason(changed)

    assert reason is not None  # MOD 11-2 catches every single substitution the other checks let through
    assert outcome(changed) == reason


@given(id_numbers(), st.integers(0, 16))
@settings(max_examples=500, deadline=None, database=None)
def test_any_adjacent_transposition_is_refused_with_its_reason(number, position):
    assume(number[position] != number[position + 1])
    swapped = number[:position] + number[position + 1] + number[position] + number[position + 2:]

    reason = expected_reason(swapped)

    assert reason is not None
    assert outcome(swapped) == reason


@given(id_numbers(), st.integers(0, 17), st.integers(0, 17))
@settings(max_examples=300, deadline=None, database=None)
def test_any_transposition_is_judged_as_the_definition_judges_it(number, i, j):
    assume(i < j and number[i] != number[j])
    swapped = list(number)
    swapped[i], swapped[j] = swapped[j], swapped[i]
    swapped = "".join(swapped)

    assert outcome(swapped) == expected_reason(swapped)


@given(st.text(CHARS, min_size=0, max_size=30))
@settings(max_examples=300, deadline=None, database=None)
def test_any_string_is_judged_as_the_definition_judges_it(text):
    got = outcome(text)
    if not text:
        assert got == "id_number_empty"
    elif len(text) != 18:
        assert got == "id_number_length"
    else:
        assert got == expected_reason(text)


# ---- workflows ------------------------------------------------------------------------------------------------------
TERMINAL = frozenset({"refused", "withdrawn", "rejected", "closed"})
# Each item's path of statuses and the action that takes each step (the definitions in DOMAIN.md, written out).
PATHS = {
    "dibao": [("accept", "submitted", "investigating"), ("investigate", "investigating", "verifying"),
              ("verify", "verifying", "reviewing"), ("review", "reviewing", "approving"),
              ("approve", "approving", "approved"), ("pay_start", "approved", "paying"),
              ("close", "paying", "closed")],
    "jiuye": [("accept", "submitted", "investigating"), ("investigate", "investigating", "approving"),
              ("approve", "approving", "approved"), ("close", "approved", "closed")],
}
OPEN = ("submitted", "returned", "investigating", "verifying", "reviewing", "approving", "approved", "paying")


def edges(item: str) -> set[tuple[str, str | None, str]]:
    """The allowed (action, from, to) triples of an item's cases."""
    out = {("submit", None, "submitted"), ("return", "submitted", "returned"), ("refuse", "submitted", "refused"),
           ("resubmit", "returned", "submitted"), ("reject", "approving", "rejected"), *PATHS[item]}
    for status in OPEN:
        out.add(("withdraw", status, "withdrawn"))  # early stages, or any within the grace period
        out.add(("comment", status, status))
        out.add(("assign", status, status))
        if status not in ("submitted", "returned", "approved", "paying"):
            out.add(("extend", status, status))
    return out


# Who may take each action (staff inside the case's region; an applicant only on their own case).
MAY = {
    "accept": {"village_worker", "township_officer"}, "return": {"township_officer"},
    "refuse": {"township_officer"}, "investigate": {"village_worker", "township_officer"},
    "verify": {"verifier"}, "review": {"township_officer"}, "approve": {"approver"}, "reject": {"approver"},
    "pay_start": {"finance"}, "extend": {"approver", "township_officer"},
    "comment": {"village_worker", "township_officer", "verifier", "approver", "finance", "supervisor"},
    "withdraw": {"owner"}, "resubmit": {"owner"}, "assign": {"supervisor", "township_officer"},
}
CLOSERS = {"paying": {"finance"}, "approved": {"approver", "township_officer"}}
ACTIONS = (*MAY, "close")
CALLERS = ("owner", "other", *STAFF_ROLES, "village_worker@outside", "township_officer@outside")
DATA = {"return": {"reason": "缺少户口簿"}, "refuse": {"reason": "不符合条件"}, "reject": {"reason": "收入超标"},
        "extend": {"reason": "情况复杂"}, "comment": {"comment": "请核实"}}

# A step: any action by any caller; the next step of the path, or any action, by one of those who may take it
# (a pick among them); another submission for the same item; time passing.
steps = st.lists(st.one_of(
    st.tuples(st.sampled_from(ACTIONS), st.sampled_from(CALLERS)),
    st.tuples(st.just("next"), st.integers(0, 5)),
    st.tuples(st.sampled_from(ACTIONS), st.integers(0, 5)),
    st.tuples(st.just("submit_again"), st.just("owner")),
    st.tuples(st.just("wait"), st.just("")),
), min_size=1, max_size=16)


def caller(name: str, owner: Actor, other: Actor) -> Actor:
    if name == "owner":
        return owner
    if name == "other":
        return other
    if name == "village_worker@outside":
        return staff_actor("village_worker", OTHER_VILLAGE)
    if name == "township_officer@outside":
        return staff_actor("township_officer", OTHER_TOWN)
    return staff_actor(name)


def may(name: str, action: str, status: str) -> bool:
    """Whether the caller's role lets it take the action at all (the state decides the rest)."""
    if action == "close":
        return name in CLOSERS.get(status, set())
    return name in MAY[action]


async def _fresh(backend: str) -> None:
    from api.aid_items import service as aid_items
    from api.regions import service as regions

    await _truncate(backend)
    clock.freeze(None)
    async with unit_of_work():
        await regions.ensure_sample_tree()
        await aid_items.ensure_defaults()


@pytest.fixture
def backend(db):
    original = accounts._hasher
    yield db
    accounts._hasher = original


CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@given(item=st.sampled_from(sorted(PATHS)), script=steps, walk=st.integers(0, 6))
@settings(max_examples=50, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
async def test_random_workflows_keep_every_invariant(backend, item, script, walk):
    accounts._hasher = CHEAP_HASHER  # an account per example: argon2 at its lowest cost (put back below)
    await _fresh(backend)
    owner = await make_applicant(name="钱多多")
    other = await make_applicant(name="孙少少")
    case = await submit_case(owner, item)
    assignee_id, _ = await make_staff("township_officer")
    # start somewhere along the path too: random scripts rarely get far on their own
    for action, _, _ in PATHS[item][:walk]:
        name = next(iter(sorted(CLOSERS.get(case.status, set())) if action == "close" else sorted(MAY[action])))
        if case.status == "approving" and case.notice_until is not None:
            clock.freeze(case.notice_until + timedelta(minutes=1))
        async with unit_of_work():
            case, _ = await cases.act(caller(name, owner, other), case.id, action, STEP_DATA.get(action, dict)())
    script_log: list[str] = []
    for action, name in script:
        status = (await Case.get(id=case.id)).status
        if action == "next":
            action = next((a for a, start, _ in PATHS[item] if start == status), "withdraw")
        if isinstance(name, int):
            allowed = sorted(CLOSERS.get(status, {"finance"}) if action == "close" else MAY[action])
            name = allowed[name % len(allowed)]
        if action == "wait":
            clock.freeze(clock.now() + timedelta(days=8))  # past the notice period and the withdrawal grace
            continue
        before = await Case.get(id=case.id)
        count = await CaseEvent.filter(case_id=case.id).count()
        if action == "submit_again":
            try:
                case = await submit_case(owner, item)
                script_log.append(f"submit_again → new case {case.id}")
                assert before.status in TERMINAL, f"a second open case beside {before.status}: {script_log}"
            except ConflictError as e:
                assert before.status not in TERMINAL, f"refused ({e.code}) though the case is {before.status}"
                assert e.code == "open_case_exists", e.code
            continue
        try:
            async with unit_of_work():
                if action == "assign":  # to a township officer of the case's township, through the service
                    after = await cases.assign(caller(name, owner, other), case.id, assignee_id, "工作调整")
                    event = await CaseEvent.filter(case_id=case.id).order_by("-seq").first()
                else:
                    after, event = await cases.act(caller(name, owner, other), case.id, action,
                                                   DATA.get(action) or STEP_DATA.get(action, dict)())
        except DomainError as e:
            script_log.append(f"{action} by {name}: {e.code}")
            now = await Case.get(id=case.id)
            assert (now.status, now.last_seq) == (before.status, before.last_seq), "a refusal changed the case"
            assert await CaseEvent.filter(case_id=case.id).count() == count
            continue
        script_log.append(f"{action} by {name}: {before.status} → {after.status}")
        assert before.status not in TERMINAL, f"an action on a {before.status} case: {script_log}"
        assert may(name, action, before.status), f"{name} may not {action}: {script_log}"
        assert (event.action, event.from_status, event.to_status) in edges(item), script_log
        case = after

    # the invariants, read back from the database
    for c in await Case.filter(applicant_id=owner.applicant_id).order_by("id"):
        events = await CaseEvent.filter(case_id=c.id).order_by("seq")
        assert [e.seq for e in events] == list(range(1, len(events) + 1)) == list(range(1, c.last_seq + 1))
        assert events[0].action == "submit"
        status = None
        for e in events:
            assert status not in TERMINAL, f"an event after the case ended: {script_log}"
            assert e.from_status == status, f"event {e.seq} starts from {e.from_status}, not {status}"
            assert (e.action, e.from_status, e.to_status) in edges(item), (e.action, e.from_status, e.to_status)
            if e.actor_kind == "applicant":
                assert e.actor_name == "钱多多"  # never the other applicant
            status = e.to_status
        assert c.status == status
        assert (c.open_key is None) == (c.status in TERMINAL)
    open_cases = await Case.filter(applicant_id=owner.applicant_id, status__in=OPEN).count()
    assert open_cases <= 1
    clock.freeze(None)
