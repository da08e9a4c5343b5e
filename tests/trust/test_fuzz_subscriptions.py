"""Fuzzing the live subscriptions (graphql-transport-ws), which the HTTP schema fuzzing does not reach.

Random operations — `caseProgress` and `workQueue` with random field selections, aliases, ids (existing cases,
other people's, negative, past 64 bits, text) and `afterSeq` values (in range, past 32 bits, of the wrong type),
unknown fields, missing or extra arguments, a query or mutation over the socket, broken documents — are sent by
an anonymous caller, an applicant and four staff roles over real connections to a uvicorn server. Whatever is
sent: every answer is a result, a typed refusal or a GraphQL error with a short message; nothing crashes a
resolver (no error is logged); the server never closes the connection; no message carries a whole ID number,
and none carries a person's name to an analyst."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import date

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from api.accounts.sms import use_sms
from api.kit.idnumber import make_id_number
from api.settings import get_settings
from tests.factories import act, make_applicant, make_case
from tests.graphql.helpers import new_phone, sign_in_applicant, staff_token
from tests.subscriptions.client import connected, serve

CALLERS = ("anonymous", "applicant", "village_worker", "township_officer", "supervisor", "analyst")
EVENT_FIELDS = ("seq", "action", "actionLabel", "fromStatus", "toStatus", "actorName", "actorRole", "actorRoleLabel",
                "comment", "public", "createdAt", "requestedMaterials", "data")
QUEUE_FIELDS = ("caseId", "number", "status", "action", "seq", "itemCode", "inQueue")
NAMES = ("欧阳娟", "司马强")
OPERATIONS_PER_BATCH = 12  # under the 20 a connection may hold
MESSAGE_LIMIT = 400  # characters of any one error message


def _selection(fields: tuple[str, ...]):
    return st.lists(st.sampled_from(fields), min_size=1, max_size=5, unique=True).flatmap(
        lambda chosen: st.tuples(*[st.one_of(st.just(f), st.from_regex(r"[a-z]{1,6}", fullmatch=True).map(
            lambda alias, f=f: f"{alias}{len(f)}: {f}")) for f in chosen]).map(" ".join))


IDS = st.one_of(st.sampled_from(["CASE", "OTHER", "CASE", "OTHER"]), st.integers(-5, 10**6).map(str),
                st.integers(2**31 - 2, 2**64 + 2).map(str), st.text(max_size=40), st.just(""))
AFTER = st.one_of(st.integers(-5, 12), st.integers(-2**31, 2**31 - 1), st.integers(2**31, 2**40),
                  st.text(max_size=6), st.none(), st.floats(allow_nan=False, allow_infinity=False), st.booleans())


@st.composite
def operations(draw) -> tuple[str, dict]:
    kind = draw(st.sampled_from(["progress", "progress", "progress_inline", "queue", "queue_args", "unknown_field",
                                 "query", "mutation", "empty", "literal", "two"]))
    if kind == "progress":
        return (f"subscription($id: ID!, $after: Int!) {{ caseProgress(caseId: $id, afterSeq: $after) "
                f"{{ {draw(_selection(EVENT_FIELDS))} }} }}", {"id": draw(IDS), "after": draw(AFTER)})
    if kind == "progress_inline":
        after = draw(st.integers(-2**40, 2**40))
        return (f"subscription {{ caseProgress(caseId: {json.dumps(draw(IDS))}, afterSeq: {after}) "
                f"{{ {draw(_selection(EVENT_FIELDS))} }} }}", {})
    if kind == "queue":
        return f"subscription {{ workQueue {{ {draw(_selection(QUEUE_FIELDS))} }} }}", {}
    if kind == "queue_args":
        return "subscription($x: Int) { workQueue(region: $x) { caseId } }", {"x": draw(AFTER)}
    if kind == "unknown_field":
        field = draw(st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,20}", fullmatch=True))
        return f"subscription {{ {field} {{ seq }} }}", {}
    if kind == "query":
        return "query($id: ID!) { case(id: $id) { number status } }", {"id": draw(IDS)}
    if kind == "mutation":  # a step none of the callers may take on these cases (and no sign-out)
        return "mutation($id: ID!) { caseAccept(caseId: $id) { __typename } }", {"id": draw(IDS)}
    if kind == "two":
        return ("subscription { caseProgress(caseId: \"1\") { seq } workQueue { caseId } }", {})
    if kind == "empty":
        return "", {}
    # a literal of any kind where an ID or an Int belongs, and variables nobody declared
    literal = draw(st.sampled_from(['"x"', "1.5", "true", "null", "[1]", "{a: 1}", "ENUM", "$undeclared", "-0"]))
    return (f"subscription {{ caseProgress(caseId: {literal}, afterSeq: {literal}) {{ seq }} }}",
            draw(st.dictionaries(st.text(max_size=5), AFTER, max_size=3)))


async def test_a_document_that_does_not_parse_closes_only_its_own_connection(fuzz_world):
    """graphql-transport-ws answers a `subscribe` whose document does not parse by closing that socket with 4400
    (the protocol's "bad request"); a client's other connection is not touched, and the server logs no crash."""
    server, token = fuzz_world["server"], fuzz_world["tokens"]["applicant"]
    async with connected(server, token) as bad, connected(server, token) as good:
        await bad.subscribe("subscription { caseProgress(caseId: `1`) { seq } }")
        closed = await bad.closed()
        op = await good.subscribe("subscription($id: ID!) { caseProgress(caseId: $id) { seq } }",
                                  {"id": fuzz_world["ids"]["CASE"]})
        first = await good.next_data(op)

    assert closed[0] == 4400 and closed[1].startswith("Syntax Error")
    assert first == {"caseProgress": {"seq": 1}}


async def test_a_document_over_the_token_limit_is_refused_like_any_that_does_not_parse(fuzz_world):
    """The token limit applies while the document is parsed (through the parse cache); over the socket that error
    used to escape strawberry's handling, ending the operation with a bare `complete` as if it had run. Now it is
    what any document that does not parse gets: the socket closed with 4400 and the reason."""
    server, token = fuzz_world["server"], fuzz_world["tokens"]["applicant"]
    fields = " ".join(["seq"] * (get_settings().max_query_tokens + 10))
    async with connected(server, token) as ws:
        await ws.subscribe(f"subscription($id: ID!) {{ caseProgress(caseId: $id) {{ {fields} }} }}",
                           {"id": fuzz_world["ids"]["CASE"]})
        closed = await ws.closed()

    assert closed[0] == 4400 and "more than" in closed[1] and "tokens" in closed[1]


@pytest.fixture
async def fuzz_world(db, sms):
    """A uvicorn server, two applicants' cases with a few steps, and a token per caller."""
    from api.app import create_app

    no_limits = {f: 0 for f in type(get_settings()).model_fields if f.startswith("rate_")}
    app = create_app(get_settings().model_copy(update=no_limits), manage_database=False)
    use_sms(sms)  # the app's codes go to the test's inbox
    phone = new_phone()
    owner = await make_applicant(phone=phone, name=NAMES[0], birth=date(1948, 6, 1))
    other = await make_applicant(name=NAMES[1], birth=date(1951, 2, 3))
    case = await make_case("dibao", "submitted", applicant=owner)
    other_case = await make_case("dibao", "submitted", applicant=other)
    for c in (case, other_case):
        await act(c.id, "accept")
    async with serve(app) as server:
        tokens = {"anonymous": None, "applicant": await sign_in_applicant(server.http, sms, phone)}
        for role in CALLERS[2:]:
            tokens[role] = await staff_token(server.http, role)
        secrets = [make_id_number(birth=birth, seq=n) for birth in (date(1948, 6, 1), date(1951, 2, 3))
                   for n in range(1000)]  # whichever sequence numbers the factory gave them
        yield {"server": server, "tokens": tokens, "ids": {"CASE": str(case.id), "OTHER": str(other_case.id)},
               "secrets": secrets}


def _errors(message: dict) -> list[dict]:
    if message["type"] == "error":
        return message["payload"]
    if message["type"] == "next":
        return message["payload"].get("errors") or []
    return []


@given(caller=st.sampled_from(CALLERS), batch=st.lists(operations(), min_size=1, max_size=OPERATIONS_PER_BATCH))
@settings(max_examples=40, deadline=None, database=None, phases=[Phase.generate],  # no shrinking: 0.3 s an example
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
async def test_fuzzed_subscriptions_get_answers_never_crashes_nor_personal_data(fuzz_world, caplog, caller, batch):
    caplog.set_level(logging.ERROR)
    caplog.clear()
    world = fuzz_world
    async with connected(world["server"], world["tokens"][caller]) as ws:
        sent = []
        for document, variables in batch:
            if "id" in variables and variables["id"] in world["ids"]:
                variables = {**variables, "id": world["ids"][variables["id"]]}
            document = document.replace('"CASE"', f'"{world["ids"]["CASE"]}"').replace(
                '"OTHER"', f'"{world["ids"]["OTHER"]}"')
            sent.append((await ws.subscribe(document, variables), document, variables))
        # the answers come at once; a listening subscription sends nothing until a case moves: read until quiet
        try:
            while True:
                async with asyncio.timeout(0.25):
                    await ws._read_one()
        except TimeoutError:
            pass
        messages = [(op, document, variables, m) for op, document, variables in sent for m in ws._inbox[op]]
        for op, _, _ in sent:
            await ws.complete(op)
        still_open = ws.ws.close_code is None

    assert still_open, f"the server closed the connection ({ws.ws.close_code} {ws.ws.close_reason})"
    for _, document, variables, message in messages:
        where = f"{caller}: {document!r} {variables!r} → {json.dumps(message, ensure_ascii=False)[:500]}"
        assert message["type"] in ("next", "error", "complete"), where
        for error in _errors(message):
            assert (error.get("extensions") or {}).get("code") not in ("internal_error", "unavailable"), where
            assert len(error.get("message", "")) <= MESSAGE_LIMIT, where
        text = json.dumps(message, ensure_ascii=False)
        assert not any(secret in text for secret in world["secrets"]), f"a whole ID number: {where}"
        if caller == "analyst":
            assert not any(name in text for name in NAMES), f"a name to an analyst: {where}"
    crashes = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not crashes, crashes  # an unexpected error is logged ("unexpected error at …"); a caller's mistake is not
