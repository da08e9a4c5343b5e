"""Writes held back in a unit of work (kit/db `insert`, `add_once`, one-row `save_many` on PostgreSQL): they go to
the server with the next statement, as one, and nothing reads or commits anything different because of it."""

import pytest
from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from api.cases.models import Case, CaseEvent
from api.kit import clock
from api.kit import db as kit_db
from api.kit.db import unit_of_work
from tests.factories import make_case
from tests.graphql.helpers import counting_sql


def _postgres() -> bool:
    return connections.get("default").capabilities.dialect == "postgres"


def _event(case: Case, seq: int, action: str = "comment") -> CaseEvent:
    return CaseEvent(case_id=case.id, seq=seq, action=action, from_status=case.status, to_status=case.status,
                     actor_kind="system", actor_name="系统", actor_role="system", comment=f"第{seq}条",
                     public=False, data={"n": seq}, created_at=clock.now())


async def test_consecutive_writes_go_as_one_statement_and_all_land(db):
    case = await make_case()
    seq = case.last_seq + 1
    event = _event(case, seq)
    with counting_sql() as statements:
        async with unit_of_work():
            locked = await kit_db.get_by_pk(Case, case.id, for_update=True)
            await kit_db.insert(event)
            locked.last_seq = seq
            locked.decision_reason = "held"
            await kit_db.save_many([locked], ("last_seq", "decision_reason"))
    # the read, then the event and the case's update together (PostgreSQL); one each on SQLite
    assert len(statements) == (2 if _postgres() else 3), statements
    if _postgres():
        assert statements[1].startswith("WITH w0 AS (INSERT INTO \"case_event\"")
    assert event.pk is not None  # the key came back with the statement that carried the insert
    stored = await CaseEvent.get(id=event.pk)
    assert (stored.seq, stored.comment, stored.data) == (seq, f"第{seq}条", {"n": seq})
    again = await Case.get(id=case.id)
    assert (again.last_seq, again.decision_reason) == (seq, "held")


async def test_a_read_after_held_writes_sees_them(db):
    case = await make_case()
    async with unit_of_work():
        await kit_db.insert(_event(case, case.last_seq + 1))
        seen = await CaseEvent.filter(case_id=case.id, seq=case.last_seq + 1).count()
        assert seen == 1  # the held insert went out before the read
        await kit_db.insert(_event(case, case.last_seq + 2))
        assert await CaseEvent.filter(case_id=case.id).count() == case.last_seq + 2


async def test_two_writes_of_one_row_apply_in_order(db):
    case = await make_case()
    async with unit_of_work():
        locked = await kit_db.get_by_pk(Case, case.id, for_update=True)
        locked.decision_reason = "first"
        await kit_db.save_many([locked], ("decision_reason",))
        locked.decision_reason = "second"
        await kit_db.save_many([locked], ("decision_reason",))  # the same table: the first goes out, then this
    assert (await Case.get(id=case.id)).decision_reason == "second"


async def test_a_unit_that_fails_writes_nothing_it_held(db):
    case = await make_case()
    with pytest.raises(RuntimeError):
        async with unit_of_work():
            await kit_db.insert(_event(case, case.last_seq + 1))
            locked = await kit_db.get_by_pk(Case, case.id, for_update=True)
            locked.decision_reason = "never"
            await kit_db.save_many([locked], ("decision_reason",))
            raise RuntimeError("refused")
    assert await CaseEvent.filter(case_id=case.id, seq=case.last_seq + 1).count() == 0
    assert (await Case.get(id=case.id)).decision_reason != "never"


async def test_a_held_write_that_breaks_a_constraint_fails_the_unit_as_a_statement_would(db):
    case = await make_case()
    taken = case.last_seq  # the submission's event holds this seq already
    with pytest.raises(IntegrityError):
        async with unit_of_work():
            locked = await kit_db.get_by_pk(Case, case.id, for_update=True)
            locked.decision_reason = "with the bad event"
            await kit_db.save_many([locked], ("decision_reason",))
            await kit_db.insert(_event(case, taken))  # (case, seq) is unique
    # nothing of the unit stays: not the update held with the insert either
    assert (await Case.get(id=case.id)).decision_reason != "with the bad event"
    assert await CaseEvent.filter(case_id=case.id).count() == taken


async def test_a_nested_transaction_that_rolls_back_keeps_what_was_held_before_it(db):
    case = await make_case()
    first, second = _event(case, case.last_seq + 1), _event(case, case.last_seq + 2)
    async with unit_of_work():
        await kit_db.insert(first)
        with pytest.raises(RuntimeError):
            async with in_transaction():  # a savepoint: the held insert goes out before it
                await kit_db.insert(second)
                raise RuntimeError("the inner part is undone")
    assert await CaseEvent.filter(case_id=case.id, seq=first.seq).count() == 1
    assert await CaseEvent.filter(case_id=case.id, seq=second.seq).count() == 0


async def test_outside_a_unit_writes_go_at_once(db):
    case = await make_case()
    event = _event(case, case.last_seq + 1)
    with counting_sql() as statements:
        await kit_db.insert(event)
    assert event.pk is not None and len(statements) == 1
    assert await CaseEvent.filter(id=event.pk).count() == 1
