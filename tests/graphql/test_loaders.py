"""The loaders' light rows hold what the ORM's models hold, and a prefetch keeps a failed load for the fields."""

from __future__ import annotations

import uuid

import pytest
from strawberry.dataloader import DataLoader

from api.aid_items.models import AidItem
from api.applicants.models import Applicant
from api.cases import repository
from api.cases.models import Case, CaseEvent
from api.cases.repository import read_rows, read_rows_in
from api.graphql.loaders import now_or_later, prefetch
from api.materials.models import Material
from tests.factories import make_applicant, make_case
from tests.graphql.helpers import counting_sql


def _columns(model) -> list[str]:
    meta = model._meta
    return [attr for _, attr, _ in (*meta.db_native_fields, *meta.db_default_fields, *meta.db_complex_fields)]


async def test_light_rows_hold_every_column_as_the_orm_s_model_holds_it(client):
    person = await make_applicant()
    case = await make_case("dibao", "investigating", applicant=person)
    await Material.create(id=uuid.uuid4(), case_id=case.id, applicant_id=person.applicant_id, kind="id_card",
                          content_type="image/jpeg", size=10, sha256="0" * 64, storage_key=uuid.uuid4().hex,
                          width=None, height=4, uploaded_by_kind="staff")
    queries = [lambda: Case.filter(id=case.id),
               lambda: CaseEvent.filter(case_id=case.id).order_by("seq"),
               lambda: Material.filter(case_id__in=[case.id]).order_by("created_at", "id"),
               lambda: Applicant.filter(id__in=[person.applicant_id]),
               lambda: AidItem.filter(id__in=[case.item_id])]
    for query in queries:
        models, rows = await query(), await read_rows(query())
        assert len(rows) == len(models) > 0
        for model, row in zip(models, rows, strict=True):
            for column in _columns(type(model)):
                mine, theirs = getattr(row, column), getattr(model, column)
                assert (mine, type(mine)) == (theirs, type(theirs)), column
    event = (await read_rows(CaseEvent.filter(case_id=case.id).order_by("seq")))[0]
    assert isinstance(event.data, dict) and event.created_at.tzinfo is not None and event.seq == 1
    with pytest.raises(AttributeError):
        event.save  # noqa: B018  # a row, not a model
    with pytest.raises(ValueError):
        await read_rows(CaseEvent.filter(case_id=case.id).select_related("case"))


async def test_rows_by_keys_send_the_orm_s_statement_built_once_per_number_of_keys(client):
    cases = [await make_case("dibao", "investigating"), await make_case("linshi", "submitted")]
    ids = [c.id for c in cases]
    repository._statements.clear()

    with counting_sql() as orm:
        models = await CaseEvent.filter(case_id__in=ids).order_by("case_id", "seq")
    with counting_sql() as sent:
        rows = await read_rows_in(CaseEvent, "case_id", ids, ("case_id", "seq"))
        again = await read_rows_in(CaseEvent, "case_id", iter(ids), ("case_id", "seq"))
        one = await read_rows_in(CaseEvent, "case_id", ids[:1], ("case_id", "seq"))

    assert sent[:2] == orm * 2  # the same text, with the keys as the ORM sends them
    assert len(sent) == 3 and sent[2] != sent[0]  # one key: its own statement
    assert len(repository._statements) == 2  # built once for two keys, once for one
    assert [(r.case_id, r.seq, r.id) for r in rows] == [(m.case_id, m.seq, m.id) for m in models]
    assert [r.id for r in again] == [r.id for r in rows] and {r.case_id for r in one} == {ids[0]}
    for model, row in zip(models, rows, strict=True):
        for column in _columns(CaseEvent):
            assert (getattr(row, column), type(getattr(row, column))) == (getattr(model, column),
                                                                          type(getattr(model, column))), column
    assert await read_rows_in(AidItem, "id", []) == []


async def test_a_prefetch_primes_its_loader_and_keeps_a_failure_for_the_fields_that_need_it():
    calls: list[list[int]] = []

    async def halves(keys: list[int]) -> list:
        calls.append(keys)
        return [k / 2 if k else ZeroDivisionError("no half of nothing") for k in keys]

    async def broken(keys: list[int]) -> list:
        calls.append(keys)
        raise RuntimeError("database away")

    good, bad = DataLoader(load_fn=halves), DataLoader(load_fn=broken)
    await prefetch((good, [4, 0, 4, 6]), (bad, [1, 2]))

    assert calls == [[4, 0, 6], [1, 2]]  # one statement per loader, each key once
    assert now_or_later(good, 4, str) == "2.0" and now_or_later(good, 6, lambda v: v) == 3
    with pytest.raises(ZeroDivisionError):
        now_or_later(good, 0, str)
    with pytest.raises(RuntimeError, match="database away"):
        now_or_later(bad, 2, str)
    assert await good.load(6) == 3 and len(calls) == 2  # nothing loaded twice
    await prefetch((good, [6, 8]))
    assert calls[-1] == [8]
