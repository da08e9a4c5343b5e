"""Objects read from their row when a field asks (api.graphql.views) hold what `from_model` would have built, and
the page of cases finds what it is asked for through fragments, once per query."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
import strawberry
from strawberry.extensions import ParserCache

from api.cases import types as case_types
from api.cases.models import Case as CaseModel
from api.cases.repository import read_rows
from api.graphql import loaders
from api.graphql.views import row_view
from api.materials.models import Material as MaterialModel
from api.materials.types import Material
from tests.factories import make_case


@strawberry.type
class Sign:
    _model: strawberry.Private[object]
    _note: strawberry.Private[str]
    text: str
    length: int

    @strawberry.field
    def shout(self) -> str:
        return self.text.upper()


class Row:
    def __init__(self, text: str) -> None:
        self.text = text
        self.reads = 0


def _length(sign: Sign) -> int:
    sign._row.reads += 1
    return len(sign._row.text)


def test_a_view_reads_each_field_from_its_row_when_asked():
    sign_of = row_view(Sign, text="text", length=_length)
    row = Row("hello")

    sign = sign_of(row, _model=row, _note="n")

    assert isinstance(sign, Sign) and type(sign).__strawberry_definition__ is Sign.__strawberry_definition__
    assert row.reads == 0  # nothing worked out before a field asks
    assert (sign.text, sign.length, sign._note, sign._model) == ("hello", 5, "n", row) and row.reads == 1
    assert Sign.shout(sign) == "HELLO"  # the type's own resolvers, on the view
    with pytest.raises(TypeError, match="length"):
        row_view(Sign, text="text")  # a field without a way to read it
    with pytest.raises(TypeError, match="colour"):
        row_view(Sign, text="text", length=_length, colour="colour")
    with pytest.raises(TypeError, match="_note"):
        sign_of(row, _model=row)  # every private field, as the type's constructor wants them


def _fields(obj) -> dict:
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)
            if not f.name.startswith("_") and not callable(getattr(obj, f.name))}


async def test_a_case_and_its_material_read_from_their_rows_hold_what_from_model_built(client, monkeypatch):
    case = await make_case("dibao", "investigating")
    material_id = uuid.uuid4()
    await MaterialModel.create(id=material_id, case_id=case.id, applicant_id=case.applicant_id, kind="id_card",
                               content_type="image/jpeg", size=10, sha256="0" * 64, storage_key=uuid.uuid4().hex,
                               width=None, height=4, uploaded_by_kind="staff")
    model = await CaseModel.get(id=case.id)
    row = (await read_rows(CaseModel.filter(id=case.id)))[0]

    views = [case_types.Case.from_model(model), case_types.Case.from_model(row)]
    read = [_fields(view) for view in views]
    monkeypatch.setattr(case_types, "_STATUSES", {})  # a status not known to the view: built whole, as before
    whole = case_types.Case.from_model(model)

    assert type(whole) is case_types.Case and all(type(v) is not case_types.Case for v in views)
    assert len(_fields(whole)) == 17 and whole.status is case_types.CaseStatus.INVESTIGATING
    for view, fields in zip(views, read, strict=True):
        assert isinstance(view, case_types.Case) and view._model in (model, row)
        assert fields == _fields(whole)
    model.status = "no_such_status"
    with pytest.raises(ValueError, match="no_such_status"):
        case_types.Case.from_model(model)  # fails where it always failed: in the field that returns the case

    stored = (await read_rows(MaterialModel.filter(id=material_id)))[0]
    material = Material.from_model(stored)
    assert isinstance(material, Material) and material._id == str(stored.id)
    assert _fields(material) == {
        "id": str(stored.id), "kind": "id_card", "content_type": "image/jpeg", "size": 10, "width": None,
        "height": 4, "created_at": stored.created_at, "url": f"/api/materials/{stored.id}"}


SEEN: list[frozenset[str]] = []


@strawberry.type
class Item:
    name: str
    size: int
    colour: str


@strawberry.type
class Shelf:
    @strawberry.field
    def items(self, info: strawberry.Info) -> list[Item]:
        SEEN.append(loaders.selected_names_of(info, "items"))
        return [Item(name="a", size=1, colour="red")]


@strawberry.type
class ShelfQuery:
    @strawberry.field
    def shelf(self) -> Shelf:
        return Shelf()


async def test_the_names_a_field_is_asked_for_are_found_through_fragments_once_per_query():
    schema = strawberry.Schema(query=ShelfQuery, extensions=[lambda: ParserCache(maxsize=8)])  # as the product's
    query = """{ shelf { items { name ...Sized ... on Item { colour } } } }
               fragment Sized on Item { size big: size }"""
    SEEN.clear()
    loaders._selected.clear()

    for text in (query, query, "{ shelf { items { name } } }"):
        result = await schema.execute(text)
        assert result.errors is None

    assert SEEN == [frozenset({"name", "size", "colour"})] * 2 + [frozenset({"name"})]
    assert len(loaders._selected) == 2  # the same text, the same parsed document: worked out once
