"""caseProgress over graphql-transport-ws: replay from afterSeq, then live, with no gap and no duplicate."""

from __future__ import annotations

from api.cases import repository
from api.cases import service as cases
from api.kit import clock
from api.kit.broker import get_broker
from api.kit.db import unit_of_work
from tests.factories import XINQIAO, YANBA, act, make_applicant, make_case
from tests.graphql.helpers import new_phone, sign_in_applicant, staff_token
from tests.subscriptions.client import connected

PROGRESS = """
subscription($id: ID!, $after: Int!) {
  caseProgress(caseId: $id, afterSeq: $after) { seq action toStatus public }
}"""


async def applicant_with_token(live, sms, region: str = XINQIAO):
    """Returns (applicant caller, token) for an applicant signed in through the API."""
    phone = new_phone()
    actor = await make_applicant(phone=phone, region=region)
    return actor, await sign_in_applicant(live.http, sms, phone)


async def progress(ws, case_id: int, after: int = 0) -> str:
    return await ws.subscribe(PROGRESS, {"id": str(case_id), "after": after})


async def events(ws, op: str, count: int) -> list[tuple[int, str]]:
    """Reads `count` events of the operation as (seq, action)."""
    return [(e["seq"], e["action"]) for e in [(await ws.next_data(op))["caseProgress"] for _ in range(count)]]


async def internal_step(case_id: int) -> None:
    """Records a step applicants must not see and announces it, as the service does for every step."""
    async with unit_of_work():
        case = await repository.by_id(case_id, for_update=True)
        case.last_seq += 1
        event = await repository.add_event(
            case_id=case.id, seq=case.last_seq, action="note", from_status=case.status, to_status=case.status,
            actor_kind="staff", actor_name="乡镇经办人", actor_role="township_officer", public=False, data={},
            created_at=clock.now())
        await case.save(update_fields=["last_seq"])
        await cases._publish(case, event)


async def test_replays_events_after_after_seq_then_delivers_live_ones(live, sms):
    applicant, token = await applicant_with_token(live, sms)
    case = await make_case("dibao", "investigating", applicant=applicant)  # submit, accept

    async with connected(live, token) as ws:
        op = await progress(ws, case.id, after=1)
        replayed = await events(ws, op, 1)
        await act(case.id, "investigate")
        live_event = (await ws.next_data(op))["caseProgress"]

    assert replayed == [(2, "accept")]
    assert (live_event["seq"], live_event["action"], live_event["toStatus"]) == (3, "investigate", "VERIFYING")


async def test_event_committed_after_the_replay_read_still_arrives_exactly_once(live, sms, monkeypatch):
    applicant, token = await applicant_with_token(live, sms)
    case = await make_case("dibao", "submitted", applicant=applicant)
    read = repository.events_of

    async def read_then_commit(case_id, **kw):
        monkeypatch.setattr(repository, "events_of", read)  # only the replay read races
        rows = await read(case_id, **kw)
        await act(case.id, "accept")  # seq 2 commits after the replay was read, before it is sent
        return rows

    monkeypatch.setattr(repository, "events_of", read_then_commit)
    async with connected(live, token) as ws:
        op = await progress(ws, case.id)
        first_two = await events(ws, op, 2)
        await act(case.id, "investigate")
        third = await events(ws, op, 1)

    assert first_two + third == [(1, "submit"), (2, "accept"), (3, "investigate")]


async def test_event_committed_before_the_replay_read_is_not_sent_twice(live, sms, monkeypatch):
    applicant, token = await applicant_with_token(live, sms)
    case = await make_case("dibao", "submitted", applicant=applicant)
    read = repository.events_of

    async def commit_then_read(case_id, **kw):
        monkeypatch.setattr(repository, "events_of", read)
        await act(case.id, "accept")  # seq 2 is both announced to the subscription and read by the replay
        return await read(case_id, **kw)

    monkeypatch.setattr(repository, "events_of", commit_then_read)
    async with connected(live, token) as ws:
        op = await progress(ws, case.id)
        first_two = await events(ws, op, 2)
        await act(case.id, "investigate")
        third = await events(ws, op, 1)

    assert first_two + third == [(1, "submit"), (2, "accept"), (3, "investigate")]


async def test_reconnecting_with_after_seq_gets_what_was_missed_then_live_events(live, sms):
    applicant, token = await applicant_with_token(live, sms)
    case = await make_case("dibao", "submitted", applicant=applicant)
    async with connected(live, token) as ws:
        seen = await events(ws, await progress(ws, case.id), 1)
    await act(case.id, "accept")
    await act(case.id, "investigate")

    async with connected(live, token) as ws:
        op = await progress(ws, case.id, after=seen[-1][0])
        missed = await events(ws, op, 2)
        await act(case.id, "verify")
        then = await events(ws, op, 1)

    assert seen == [(1, "submit")]
    assert missed + then == [(2, "accept"), (3, "investigate"), (4, "verify")]


async def test_applicant_does_not_receive_internal_steps(live, sms):
    applicant, token = await applicant_with_token(live, sms)
    case = await make_case("dibao", "submitted", applicant=applicant)
    await internal_step(case.id)  # seq 2, before subscribing: not replayed

    async with connected(live, token) as ws:
        op = await progress(ws, case.id)
        replayed = await events(ws, op, 1)
        await internal_step(case.id)  # seq 3, live: not sent
        await act(case.id, "accept")  # seq 4
        then = (await ws.next_data(op))["caseProgress"]

    assert replayed == [(1, "submit")]
    assert (then["seq"], then["action"], then["public"]) == (4, "accept", True)


async def test_staff_of_the_region_receive_internal_steps(live, sms):
    case = await make_case("dibao", "submitted")
    await internal_step(case.id)
    token = await staff_token(live.http, "township_officer")

    async with connected(live, token) as ws:
        op = await progress(ws, case.id)
        replayed = [(await ws.next_data(op))["caseProgress"] for _ in range(2)]
        await internal_step(case.id)
        then = (await ws.next_data(op))["caseProgress"]

    assert [(e["seq"], e["public"]) for e in replayed] == [(1, True), (2, False)]
    assert (then["seq"], then["action"], then["public"]) == (3, "note", False)


async def test_applicant_cannot_follow_another_applicants_case(live, sms):
    _, token_a = await applicant_with_token(live, sms)
    b, _ = await applicant_with_token(live, sms)
    case_b = await make_case("dibao", "submitted", applicant=b)

    async with connected(live, token_a) as ws:
        codes = await ws.error_codes(await progress(ws, case_b.id))

    assert codes == ["case_not_found"]


async def test_staff_outside_the_region_cannot_follow_a_case(live, sms):
    case = await make_case("dibao", "submitted")  # in Xinqiao
    token = await staff_token(live.http, "village_worker", YANBA)

    async with connected(live, token) as ws:
        codes = await ws.error_codes(await progress(ws, case.id))

    assert codes == ["case_not_found"]


async def test_anonymous_connection_cannot_follow_a_case(live, sms):
    case = await make_case("dibao", "submitted")

    async with connected(live, None) as ws:
        codes = await ws.error_codes(await progress(ws, case.id))

    assert codes == ["unauthenticated"]


async def test_negative_after_seq_is_refused(live, sms):
    applicant, token = await applicant_with_token(live, sms)
    case = await make_case("dibao", "submitted", applicant=applicant)

    async with connected(live, token) as ws:
        codes = await ws.error_codes(await progress(ws, case.id, after=-1))

    assert codes == ["after_seq_invalid"]


FULL = """
subscription($id: ID!, $after: Int!) {
  caseProgress(caseId: $id, afterSeq: $after) {
    seq action actionLabel fromStatus toStatus actorName actorRole actorRoleLabel comment public createdAt
    requestedMaterials data
  }
}"""


async def test_next_step_is_sent_from_the_message_as_the_database_would_give_it(live, sms, monkeypatch):
    await _message_against_database(live, monkeypatch)


async def test_next_step_is_sent_from_the_message_through_redis_too(redis_live, sms, monkeypatch):
    await _message_against_database(redis_live, monkeypatch)


async def _message_against_database(live, monkeypatch) -> None:
    """Two live steps reach a staff subscriber without a database read, exactly as a replay reads them."""
    applicant = await make_applicant()
    case = await make_case("dibao", "submitted", applicant=applicant)
    token = await staff_token(live.http, "township_officer")
    read = repository.events_of
    reads: list[int] = []

    async def counted(case_id, **kw):
        reads.append(kw.get("after_seq", 0))
        return await read(case_id, **kw)

    monkeypatch.setattr(repository, "events_of", counted)
    async with connected(live, token) as ws:
        op = await ws.subscribe(FULL, {"id": str(case.id), "after": 0})
        await ws.next_data(op)  # the replay: seq 1
        await act(case.id, "return", data={"reason": "缺少户口簿", "missing_materials": ["户口簿"]})
        await act(case.id, "resubmit", actor=applicant)
        from_messages = [(await ws.next_data(op))["caseProgress"] for _ in range(2)]
        reads_live = list(reads)
        replay = await ws.subscribe(FULL, {"id": str(case.id), "after": 1})
        from_database = [(await ws.next_data(replay))["caseProgress"] for _ in range(2)]

    assert reads_live == [0]  # the replay read only: both live steps came from their messages
    assert [e["seq"] for e in from_messages] == [2, 3]
    assert from_messages == from_database
    assert from_messages[0]["requestedMaterials"] == ["户口簿"]


async def test_a_step_whose_message_was_lost_is_read_from_the_database(live, sms, monkeypatch):
    applicant, token = await applicant_with_token(live, sms)
    case = await make_case("dibao", "submitted", applicant=applicant)
    broker = get_broker()
    publish_many = broker.publish_many
    dropped: list[int] = []

    async def lose_the_first(messages):
        if not dropped:
            dropped.append(messages[0][1]["seq"])
            return
        await publish_many(messages)

    async with connected(live, token) as ws:
        op = await progress(ws, case.id)
        replayed = await events(ws, op, 1)
        monkeypatch.setattr(broker, "publish_many", lose_the_first)
        await act(case.id, "accept")  # seq 2: its message is lost
        await act(case.id, "investigate")  # seq 3: a gap, so 2 and 3 are read
        then = await events(ws, op, 2)

    assert dropped == [2]
    assert replayed + then == [(1, "submit"), (2, "accept"), (3, "investigate")]

