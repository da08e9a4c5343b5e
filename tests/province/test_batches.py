"""The provincial round trip in batches: many pushes in one request, many decisions in one callback, each
message and each decision with its own outcome, and a constant number of statements however many there are."""

import json
from datetime import date

import pytest

from api.cases.models import Case, CaseEvent
from api.outbox import service as outbox
from api.outbox.models import OutboxMessage
from api.province import contract
from api.province import service as province
from api.province.client import ProvinceUnavailable
from api.province.models import ProvinceSync
from api.settings import get_settings
from tests.graphql.helpers import counting_sql
from tests.province.conftest import POLICY, accepted_gaoling_case, case_status, reload_sync


def _signed(body: dict, path: str = contract.CALLBACKS_PATH) -> tuple[bytes, dict]:
    key, secret = next(iter(get_settings().province_callback_keys.items()))
    raw = json.dumps(body, ensure_ascii=False).encode()
    return raw, contract.sign(key, secret, "POST", path, raw)


def _decision(sync: ProvinceSync, status: str = "approved", **extra) -> dict:
    body = {"request_id": sync.request_id, "reference": f"SC-{sync.request_id}", "status": status,
            "callback_id": f"cb-{sync.request_id}"}
    if status == "approved":
        body |= {"monthly_amount": "100.00", "first_month": "2027-01"}
    else:
        body |= {"reason": "已在其他地区享受"}
    return body | extra


async def _post(client, decisions: list) -> object:
    raw, headers = _signed({"decisions": decisions})
    return await client.post(contract.CALLBACKS_PATH, content=raw, headers=headers)


async def _actions(case_id: int) -> list[tuple[int, str]]:
    return await CaseEvent.filter(case_id=case_id).order_by("seq").values_list("seq", "action")


async def test_a_batch_of_decisions_is_answered_decision_by_decision(db, client):
    approved, rejected = await accepted_gaoling_case(), await accepted_gaoling_case()
    a, r = await reload_sync(approved.id), await reload_sync(rejected.id)
    unknown = {"request_id": "DC2026-999999-GL", "status": "approved", "monthly_amount": "100.00",
               "first_month": "2027-01"}
    answer = await _post(client, [_decision(a), _decision(r, "rejected"), unknown, _decision(a),
                                  {"request_id": a.request_id, "status": "maybe"}])
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"] == [
        {"request_id": a.request_id, "ok": True, "changed": True},
        {"request_id": r.request_id, "ok": True, "changed": True},
        {"request_id": "DC2026-999999-GL", "error": {"code": "unknown_request", "message": "未知的省级申请编号"}},
        {"request_id": a.request_id, "ok": True, "changed": False},  # the same decision again in the batch
        {"request_id": a.request_id, "error": {"code": "decision_invalid", "message": "决定状态无效"}},
    ]
    # the decisions overtook the record of the push: the push is recorded first, so seq stays in order
    for case in (approved, rejected):
        assert await _actions(case.id) == [(1, "submit"), (2, "accept"), (3, "province_sent"), (4, "province_decide")]
    assert (await case_status(approved.id), await case_status(rejected.id)) == ("approved", "rejected")
    assert str((await Case.get(id=approved.id)).amount) == "100.00"
    assert (await Case.get(id=rejected.id)).decision_reason == "已在其他地区享受"
    a, r = await reload_sync(approved.id), await reload_sync(rejected.id)
    assert (a.state, r.state) == ("decided", "decided")
    assert (a.reference, a.decision["monthly_amount"]) == (f"SC-{a.request_id}", "100.00")
    # sent again later (the province did not hear the answer): acknowledged, nothing changes
    again = await _post(client, [_decision(a), _decision(r, "rejected")])
    assert [x["changed"] for x in again.json()["results"]] == [False, False]
    assert len(await _actions(approved.id)) == 4


async def test_a_decision_refused_in_a_batch_changes_nothing_of_its_case_and_the_others_count(db, client):
    good, bad = await accepted_gaoling_case(), await accepted_gaoling_case()
    g, b = await reload_sync(good.id), await reload_sync(bad.id)
    # approved without an amount: the push would be recorded first, then the decision is refused; neither stays
    answer = await _post(client, [_decision(b, monthly_amount=None), _decision(g)])
    first, second = answer.json()["results"]
    assert first["error"] == {"code": "amount_required", "message": "请填写津贴金额（元）"}
    assert second == {"request_id": g.request_id, "ok": True, "changed": True}
    assert await _actions(bad.id) == [(1, "submit"), (2, "accept")]
    assert (await case_status(bad.id), (await reload_sync(bad.id)).state) == ("accepted", "pending")
    assert (await Case.get(id=bad.id)).last_seq == 2
    assert await case_status(good.id) == "approved"
    # the province sends it again, corrected: it goes through with the seq it would have had
    mended = await _post(client, [_decision(b)])
    assert mended.json()["results"][0]["changed"] is True
    assert await _actions(bad.id) == [(1, "submit"), (2, "accept"), (3, "province_sent"), (4, "province_decide")]


async def test_a_replayed_or_malformed_batch_is_refused_whole(db, client):
    case = await accepted_gaoling_case()
    sync = await reload_sync(case.id)
    raw, headers = _signed({"decisions": [_decision(sync)]})
    assert (await client.post(contract.CALLBACKS_PATH, content=raw, headers=headers)).status_code == 200
    again = await client.post(contract.CALLBACKS_PATH, content=raw, headers=headers)
    assert (again.status_code, again.json()["error"]["code"]) == (401, "replayed_nonce")
    for body in ({"decisions": []}, {"decisions": {}}, {"decision": [_decision(sync)]}, [_decision(sync)],
                 {"decisions": [_decision(sync)] * (contract.MAX_BATCH + 1)}):
        raw, headers = _signed(body)
        r = await client.post(contract.CALLBACKS_PATH, content=raw, headers=headers)
        assert (r.status_code, r.json()["error"]["code"]) == (400, "bad_body"), body
    raw, _ = _signed({"decisions": [_decision(sync, "rejected")]})
    forged = contract.sign("province-51", "not-the-secret-0000000000000000", "POST", contract.CALLBACKS_PATH, raw)
    r = await client.post(contract.CALLBACKS_PATH, content=raw, headers=forged)
    assert (r.status_code, r.json()["error"]["code"]) == (401, "bad_signature")
    assert await CaseEvent.filter(case_id=case.id, action="province_decide").count() == 1
    assert await case_status(case.id) == "approved"


async def _statements_to_decide(client, n: int) -> int:
    cases = [await accepted_gaoling_case() for _ in range(n)]
    syncs = [await reload_sync(c.id) for c in cases]
    with counting_sql() as statements:
        answer = await _post(client, [_decision(s) for s in syncs])
    assert [x.get("changed") for x in answer.json()["results"]] == [True] * n
    return len([s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "COMMIT", "SAVEPOINT",
                                                                            "RELEASE"))])


async def test_a_batch_of_decisions_costs_the_same_statements_however_many_it_holds(db, client):
    await _statements_to_decide(client, 1)  # the first callback of a process also forgets old nonces
    two = await _statements_to_decide(client, 2)
    ten = await _statements_to_decide(client, 10)
    assert ten == two
    assert two <= 7  # nonce, syncs, cases, aid item, case updates, events, sync updates


class _Province:
    """A province that answers batches as told, and counts the requests it gets."""

    def __init__(self, refuse: set[str] = frozenset(), down: bool = False) -> None:
        self.refuse, self.down, self.batches = refuse, down, []

    async def push_batch(self, applications: list[dict]) -> list[dict]:
        self.batches.append([a["request_id"] for a in applications])
        if self.down:
            raise ProvinceUnavailable("province answered 503")
        return [{"request_id": a["request_id"], "error": {"code": "invalid", "message": "bad id number"}}
                if a["request_id"] in self.refuse else
                {"request_id": a["request_id"], "reference": f"SC-{a['request_id']}", "status": "pending"}
                for a in applications]


@pytest.fixture
def fake_province():
    made = []

    def install(**kwargs) -> _Province:
        made.append(_Province(**kwargs))
        province.configure_client(made[-1])  # type: ignore[arg-type]
        province.register_handlers()
        return made[-1]

    yield install
    province.configure_client(None)


async def test_claimed_pushes_go_in_one_request_and_each_has_its_own_outcome(db, fake_province):
    cases = [await accepted_gaoling_case(birth=date(1940, 3, 1 + i)) for i in range(4)]
    syncs = [await reload_sync(c.id) for c in cases]
    fake = fake_province(refuse={syncs[1].request_id})
    assert await outbox.dispatch_once("test-worker", POLICY) == 4
    assert fake.batches == [[s.request_id for s in syncs]]
    for i, case in enumerate(cases):
        sync, message = await reload_sync(case.id), await OutboxMessage.get(key=syncs[i].request_id)
        if i == 1:  # refused by the province: dead at once, shown to supervisors; its case waits
            assert (message.status, sync.state, await case_status(case.id)) == ("dead", "dead", "accepted")
            assert "bad id number" in sync.last_error
        else:
            assert (message.status, sync.state, sync.reference) == ("done", "sent", f"SC-{sync.request_id}")
            assert await _actions(case.id) == [(1, "submit"), (2, "accept"), (3, "province_sent")]
            assert (await CaseEvent.get(case_id=case.id, seq=3)).data["reference"] == sync.reference


async def test_a_province_that_does_not_answer_a_batch_fails_each_push_for_a_retry(db, fake_province):
    cases = [await accepted_gaoling_case(birth=date(1940, 3, 1 + i)) for i in range(3)]
    fake_province(down=True)
    assert await outbox.dispatch_once("test-worker", POLICY) == 3
    for case in cases:
        sync = await reload_sync(case.id)
        message = await OutboxMessage.get(key=sync.request_id)
        assert (message.status, message.attempts, sync.state) == ("pending", 1, "failing")
        assert "503" in sync.last_error and await case_status(case.id) == "accepted"


async def _statements_to_push(fake_province, n: int) -> int:
    for i in range(n):
        await accepted_gaoling_case(birth=date(1940, 3, 1 + i))
    fake_province()
    with counting_sql() as statements:
        assert await outbox.dispatch_once("test-worker", POLICY, batch=50) == n
    return len([s for s in statements if not s.lstrip().upper().startswith(("BEGIN", "COMMIT"))])


async def test_a_batch_of_pushes_costs_the_same_statements_however_many_it_holds(db, fake_province):
    two = await _statements_to_push(fake_province, 2)
    ten = await _statements_to_push(fake_province, 10)
    assert ten == two
    assert two <= 9  # claim, cases, syncs, sync updates, cases locked, aid item, case updates, events, done
    assert await ProvinceSync.filter(state="sent").count() == 12
