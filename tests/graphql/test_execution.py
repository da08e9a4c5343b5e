"""The short cut for plain fields (api.graphql.execution) answers exactly as graphql-core's own completion does,
and a page of cases loads only what it is asked for."""

from __future__ import annotations

import datetime
import json
from enum import Enum

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.graphql.context import build_context
from api.graphql.execution import PlainFieldsExecutionContext, field_plans
from api.graphql.schema import build_schema
from api.settings import get_settings
from tests.factories import make_applicant, make_case
from tests.graphql.helpers import counting_sql, gql, staff_token

PAGE = """
query($first: Int!) {
  cases(first: $first) {
    edges { cursor node {
      __typename id number status statusLabel submittedAt acceptedAt amount lastSeq regionCode
      again: number
      ...Who
      events { seq action fromStatus toStatus actorName comment createdAt public data }
      materials { id kind contentType size width height createdAt url }
      clock { state dueAt }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
fragment Who on Case {
  item { code name noticeDays }
  applicant { id name idNumber birthDate sex regionCode claimed phone }
  ... on Case { channel emergency number }
}"""


async def _both(schema, query: str, variables: dict, context_of) -> tuple:
    """Runs the query with graphql-core's completion and with the short cut; returns both results."""
    results = []
    for cls in (StrawberryGraphQLCoreExecutionContext, PlainFieldsExecutionContext):
        schema.execution_context_class = cls
        results.append(await schema.execute(query, variable_values=variables, context_value=await context_of()))
    return results


async def test_a_page_of_cases_is_the_same_with_and_without_the_short_cut(client):
    for status in ("submitted", "returned", "investigating", "approving"):
        await make_case("dibao", status)
    token = await staff_token(client, "township_officer")
    schema = build_schema(get_settings())

    ordinary, short = await _both(schema, PAGE, {"first": 10}, lambda: build_context(token))

    assert ordinary.errors is None and short.errors is None
    assert len(short.data["cases"]["edges"]) == 4
    # the same keys in the same order, the same values
    assert json.dumps(short.data, ensure_ascii=False) == json.dumps(ordinary.data, ensure_ascii=False)
    node = short.data["cases"]["edges"][0]["node"]
    assert list(node)[:4] == ["__typename", "id", "number", "status"]
    assert node["again"] == node["number"]


@strawberry.enum
class Colour(Enum):
    RED = "red"


@strawberry.type
class Thing:
    name: str
    count: int | None
    colour: Colour
    note: str | None = None


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing | None]:
        return [
            Thing(name="a", count=1, colour=Colour.RED),
            Thing(name=None, count=2, colour=Colour.RED),  # type: ignore[arg-type]  # null in a non-null field
            Thing(name="c", count="many", colour=Colour.RED),  # type: ignore[arg-type]  # not an Int
            Thing(name="d", count=None, colour="blue"),  # type: ignore[arg-type]  # not a Colour
        ]


THINGS = "{ things { name count colour note } }"


def _errors(result) -> list[tuple[str, list]]:
    return sorted((e.message, e.path) for e in result.errors or [])


async def test_values_a_plain_field_cannot_take_fail_as_graphql_core_fails_them():
    schema = strawberry.Schema(query=Query, execution_context_class=PlainFieldsExecutionContext)

    ordinary, short = await _both(schema, THINGS, {}, lambda: _none())

    assert short.data == ordinary.data
    assert short.data["things"][0] == {"name": "a", "count": 1, "colour": "RED", "note": None}
    assert short.data["things"][1] is None  # a null name nulls the whole (nullable) item
    assert short.data["things"][2]["count"] is None
    assert short.data["things"][3] is None
    assert _errors(short) == _errors(ordinary)
    assert sorted(path for _, path in _errors(short)) == [["things", 1, "name"], ["things", 2, "count"],
                                                          ["things", 3, "colour"]]


async def _none():
    return None


@strawberry.enum
class Shade(Enum):
    LIGHT = "light"
    DARK = "dark"


@strawberry.type
class Reading:
    n: int | None
    at: datetime.datetime | None
    on: datetime.date | None
    shade: Shade | None


@strawberry.type
class ReadingQuery:
    @strawberry.field
    def readings(self) -> list[Reading]:
        moment = datetime.datetime(2026, 11, 26, 8, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
        return [Reading(n=7, at=moment, on=moment.date(), shade=Shade.DARK),
                Reading(n=2**31 - 1, at=moment.replace(tzinfo=None), on=datetime.date(2026, 1, 2), shade=Shade.LIGHT),
                Reading(n=-2**31, at=None, on=None, shade=None),
                Reading(n=2**31, at=None, on=None, shade=None),  # too large for an Int
                Reading(n=True, at="yesterday", on=moment, shade="dark")]  # type: ignore[arg-type]  # not their types


async def test_ints_enums_and_dates_serialise_as_graphql_core_serialises_them():
    schema = strawberry.Schema(query=ReadingQuery, execution_context_class=PlainFieldsExecutionContext)

    ordinary, short = await _both(schema, "{ readings { n at on shade } }", {}, lambda: _none())

    assert json.dumps(short.data) == json.dumps(ordinary.data)
    assert _errors(short) == _errors(ordinary)
    first, second, third, fourth, fifth = short.data["readings"]
    assert first == {"n": 7, "at": "2026-11-26T08:30:00+08:00", "on": "2026-11-26", "shade": "DARK"}
    assert second == {"n": 2**31 - 1, "at": "2026-11-26T08:30:00", "on": "2026-01-02", "shade": "LIGHT"}
    assert third == {"n": -2**31, "at": None, "on": None, "shade": None}
    assert fourth["n"] is None and fifth["n"] == 1
    assert fifth["at"] is None and fifth["shade"] == "DARK"  # a member's value is taken as graphql-core takes it
    assert sorted(path for _, path in _errors(short)) == [["readings", 3, "n"], ["readings", 4, "at"]]


class CountsFields(SchemaExtension):
    seen: list[str] = []

    def resolve(self, _next, root, info, *args, **kwargs):
        CountsFields.seen.append(info.field_name)
        return _next(root, info, *args, **kwargs)


async def test_an_extension_that_wraps_every_resolver_still_sees_every_plain_field():
    schema = strawberry.Schema(query=Query, extensions=[CountsFields],
                               execution_context_class=PlainFieldsExecutionContext)
    CountsFields.seen = []

    result = await schema.execute("{ things { name count } }")

    assert result.data["things"][0] == {"name": "a", "count": 1}
    assert CountsFields.seen.count("name") == 4 and CountsFields.seen.count("count") >= 3


async def test_a_page_loads_only_what_it_asks_for(client):
    applicant = await make_applicant()
    await make_case("dibao", "investigating", applicant=applicant)
    token = await staff_token(client, "township_officer")

    with counting_sql() as bare:
        body = await gql(client, "{ cases(first: 10) { edges { node { id number } } } }", token=token)
    with counting_sql() as full:
        full_body = await gql(client, "{ cases(first: 10) { edges { node { id events { seq } materials { id } "
                                      "applicant { name } item { name } } } } }", token=token)

    assert len(body["data"]["cases"]["edges"]) == 1
    # the caller's session aside (it reads its account's profile id)
    bare, full = ([s for s in statements if '"auth_session"' not in s] for statements in (bare, full))
    assert len(bare) == 1 and '"aid_case"' in bare[0]  # the page alone
    assert not any(t in s for s in bare for t in ('"case_event"', '"material"', '"applicant"', '"aid_item"'))
    node = full_body["data"]["cases"]["edges"][0]["node"]
    assert [e["seq"] for e in node["events"]][:2] == [1, 2] and node["materials"] and node["applicant"]["name"]
    for table in ('"case_event"', '"material"', '"applicant"', '"aid_item"'):
        assert sum(table in s.split("WHERE")[0] for s in full) == 1, (table, full)


# Resolved values of objects and simple resolvers: completed as graphql-core completes them, errors included.
RUNS: list[str] = []


@strawberry.type
class Leaf:
    n: int


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Person(Named):
    age: int


@strawberry.type
class Box:
    _n: strawberry.Private[int]
    children: list[Leaf | None]
    strict: list[Leaf]

    @strawberry.field
    def label(self, info: strawberry.Info) -> str:
        RUNS.append(f"label {self._n}")
        return f"{info.field_name}-{self._n}-{info.context['who']}"

    @strawberry.field
    def where(self, *, info: strawberry.Info) -> str:  # the Info by keyword; its resolve info built when asked
        return f"{'/'.join(str(k) for k in info.path.as_list())} {info.python_name} {info._raw_info.parent_type}"

    @strawberry.field
    def broken(self) -> str | None:
        RUNS.append(f"broken {self._n}")
        raise ValueError(f"broken {self._n}")

    @strawberry.field
    def required(self) -> Leaf:
        return None if self._n == 2 else Leaf(n=self._n)  # type: ignore[return-value]  # null in a non-null field

    @strawberry.field
    def later(self) -> Leaf:
        async def load() -> Leaf:
            return Leaf(n=self._n * 10)

        return load()  # type: ignore[return-value]  # a loader's awaitable, as `now_or_later` returns one

    @strawberry.field
    def someone(self) -> Named:
        return Person(name=f"p{self._n}", age=self._n)

    @strawberry.field
    def either(self) -> Leaf | Person:
        return Leaf(n=self._n) if self._n % 2 else Person(name="q", age=1)

    @strawberry.field
    def bad_count(self) -> list[int | None]:
        return [1, "two", 3]  # type: ignore[list-item]  # not an Int


@strawberry.type
class BoxQuery:
    @strawberry.field
    def boxes(self) -> list[Box | None]:
        RUNS.append("boxes")
        return [Box(_n=1, children=[Leaf(n=1), None], strict=[Leaf(n=1)]),
                Box(_n=2, children=[], strict=[Leaf(n=2)]),
                Box(_n=3, children=[Leaf(n=3)], strict=[Leaf(n=3), None])]  # type: ignore[list-item]


BOXES = """{ boxes {
  label again: label where broken children { n } later { n } someone { name ... on Person { age } }
  either { __typename ... on Leaf { n } ... on Person { name } } badCount
  required { n } strict { n }
} }"""


async def _who():
    return {"who": "me"}


async def test_objects_and_simple_resolvers_complete_as_graphql_core_completes_them():
    schema = strawberry.Schema(query=BoxQuery, types=[Person], execution_context_class=PlainFieldsExecutionContext)
    RUNS.clear()
    ordinary, short = await _both(schema, BOXES, {}, _who)
    ordinary_runs, short_runs = RUNS[:len(RUNS) // 2], RUNS[len(RUNS) // 2:]

    assert json.dumps(short.data) == json.dumps(ordinary.data)
    assert _errors(short) == _errors(ordinary)
    assert short_runs == ordinary_runs  # each resolver ran once per field, as it does the ordinary way
    first = short.data["boxes"][0]
    assert first["label"] == "label-1-me" and first["again"] == "label-1-me" and first["broken"] is None
    assert first["where"] == "boxes/0/where where Box"
    assert first["children"] == [{"n": 1}, None] and first["later"] == {"n": 10}
    assert first["someone"] == {"name": "p1", "age": 1} and first["either"] == {"__typename": "Leaf", "n": 1}
    assert first["badCount"] == [1, None, 3]
    assert short.data["boxes"][1] is None  # a null `required` nulls its box
    assert short.data["boxes"][2] is None  # so does a null item in the non-null list `strict`
    paths = [path for _, path in _errors(short)]
    assert ["boxes", 1, "required"] in paths and ["boxes", 2, "strict", 1] in paths
    assert ["boxes", 0, "broken"] in paths and ["boxes", 0, "badCount", 1] in paths


def test_the_schema_s_short_cuts_are_the_fields_they_should_be():
    plans = field_plans(build_schema(get_settings())._schema)
    kind = {(t, f): plan[0] for t, fields in plans.items() for f, plan in fields.items()}

    assert kind[("Case", "number")] == kind[("CaseEvent", "createdAt")] == 0  # plain leaves
    assert kind[("CaseEdge", "node")] == kind[("CaseConnection", "edges")] == 1  # plain objects
    # simple resolvers: each still runs its own masking, access and audit rules
    for field in (("Case", "events"), ("Case", "materials"), ("Applicant", "idNumber"), ("Applicant", "name")):
        assert kind[field] == 2, field
    # asynchronous resolvers and fields with arguments take graphql-core's way
    for field in (("Case", "availableActions"), ("Query", "cases"), ("Query", "case"), ("Applicant", "members")):
        assert field not in kind, field
