"""The batched push (POST …/applications/batch) and batched callbacks (POST /province/callbacks)."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from datetime import date

import httpx
import pytest

from api.province import contract
from province_sim import create_sim_app
from province_sim.store import Store
from tests.province_sim.support import (
    ADMIN,
    BATCH_CALLBACK_URL,
    CALLBACK_URL,
    DISTRICT_KEY,
    DISTRICT_SECRET,
    PROVINCE_KEY,
    PROVINCE_SECRET,
    Receiver,
    application,
    sim_config,
)

REFERENCE = re.compile(r"^SC-GL-\d{4}-\d{8}$")
OTHER_BATCH_CALLBACK_URL = "http://other-district.test/hooks/province/callbacks"


def batched(**overrides) -> dict:
    """An application that names the batch callback URL."""
    return application(batch_callback_url=BATCH_CALLBACK_URL, **overrides)


# --- the batched push ---------------------------------------------------------------------------------------------


async def test_batch_is_stored_and_answered_one_result_per_application_in_order(start_sim):
    sim = await start_sim(decision_delay_seconds=60)
    bodies = [application(seq=n) for n in (1, 3, 5)]
    r = await sim.push_batch(bodies)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [result["request_id"] for result in results] == [b["request_id"] for b in bodies]
    assert all(REFERENCE.match(result["reference"]) for result in results)
    assert len({result["reference"] for result in results}) == 3
    assert {(result["status"], result["duplicate"]) for result in results} == {("pending", False)}
    for body, result in zip(bodies, results, strict=True):
        status = (await sim.status(body["request_id"])).json()
        assert (status["reference"], status["status"]) == (result["reference"], "pending")
    stats = await sim.stats()
    assert (stats["applications_received"], stats["unique_request_ids"]) == (3, 3)


async def test_same_batch_again_answers_the_same_references_and_counts_like_single_pushes(start_sim):
    sim = await start_sim(decision_delay_seconds=60)
    bodies = [application(seq=n) for n in (1, 3)]
    first = (await sim.push_batch(bodies)).json()["results"]
    second = (await sim.push_batch(bodies)).json()["results"]
    alone = (await sim.push(bodies[1])).json()
    assert [r["reference"] for r in second] == [r["reference"] for r in first]
    assert [r["duplicate"] for r in first + second] == [False, False, True, True]
    assert (alone["reference"], alone["duplicate"]) == (first[1]["reference"], True)
    stats = await sim.stats()
    assert (stats["applications_received"], stats["unique_request_ids"]) == (5, 2)


async def test_a_batch_may_hold_applications_already_pushed_alone(start_sim):
    sim = await start_sim(decision_delay_seconds=60)
    old, new = application(seq=1), application(seq=3)
    reference = (await sim.push(old)).json()["reference"]
    results = (await sim.push_batch([old, new])).json()["results"]
    assert (results[0]["reference"], results[0]["duplicate"]) == (reference, True)
    assert (results[1]["duplicate"], results[1]["reference"] != reference) == (False, True)
    assert (await sim.stats())["unique_request_ids"] == 2


def _missing_callback_url() -> dict:
    body = application(seq=2)
    del body["callback_url"]
    return body


@pytest.mark.parametrize(("invalid", "code"), [
    (application(seq=2) | {"applicant": application()["applicant"] | {"id_number": "511703194005060010"}},
     "invalid_id_number"),
    (application(seq=2) | {"applicant": application()["applicant"] | {"birth_date": "1940-05-07"}},
     "birth_date_mismatch"),
    (_missing_callback_url(), "invalid_field"),
    (application(seq=2, applied_on=date(2026, 3, 15)) | {"applied_on": "2026/03/15"}, "invalid_field"),
    (application(seq=2, batch_callback_url="ftp://district.test/cbs"), "invalid_field"),
    ("not an application", "invalid_field"),
], ids=["bad-id-checksum", "birth-date-mismatch", "missing-field", "bad-date", "bad-batch-callback-url",
        "not-an-object"])
async def test_an_invalid_application_is_refused_as_alone_and_the_others_are_stored(start_sim, invalid, code):
    sim = await start_sim(decision_delay_seconds=60)
    good = [application(seq=1), application(seq=3)]
    r = await sim.push_batch([good[0], invalid, good[1]])
    assert r.status_code == 200, r.text
    first, refused, last = r.json()["results"]
    alone = await sim.push_raw(json.dumps(invalid).encode(), contract.sign(
        DISTRICT_KEY, DISTRICT_SECRET, "POST", contract.APPLICATIONS_PATH, json.dumps(invalid).encode()))
    assert alone.status_code == 400
    assert refused == {"request_id": invalid["request_id"] if isinstance(invalid, dict) else None,
                       "error": alone.json()["error"]}
    assert refused["error"]["code"] == code
    assert ([first["request_id"], last["request_id"]], first["duplicate"], last["duplicate"]) == (
        [b["request_id"] for b in good], False, False)
    stats = await sim.stats()
    assert (stats["unique_request_ids"], stats["applications_received"], stats["refused_invalid"]) == (2, 2, 2)


async def test_a_request_id_used_for_another_case_is_refused_with_a_conflict_alone_and_in_a_batch(start_sim):
    sim = await start_sim(decision_delay_seconds=60)
    first = application(seq=1, case_number="DC-GL-2026-0001")
    reference = (await sim.push(first)).json()["reference"]
    other_case = application(seq=3, case_number="DC-GL-2026-0002", request_id=first["request_id"])
    alone = await sim.push(other_case)
    assert (alone.status_code, alone.json()["error"]["code"]) == (409, "request_id_conflict")
    new = application(seq=5)
    results = (await sim.push_batch([other_case, new])).json()["results"]
    assert results[0]["request_id"] == first["request_id"]
    assert results[0]["error"]["code"] == "request_id_conflict"
    assert results[1]["request_id"] == new["request_id"] and "error" not in results[1]
    assert (await sim.status(first["request_id"])).json()["reference"] == reference
    stats = await sim.stats()
    assert (stats["unique_request_ids"], stats["applications_received"], stats["refused_conflict"]) == (2, 2, 2)


async def test_the_same_case_pushed_again_with_other_details_is_a_duplicate_not_a_conflict(start_sim):
    sim = await start_sim(decision_delay_seconds=60)
    body = application(seq=1)
    reference = (await sim.push(body)).json()["reference"]
    moved = body | {"applicant": body["applicant"] | {"address": "达州市达川区三里坪街道"}}
    result = (await sim.push_batch([moved])).json()["results"][0]
    assert (result["reference"], result["duplicate"]) == (reference, True)


def _twice() -> bytes:
    body = application(seq=1)
    return json.dumps({"applications": [body, application(seq=3), body | {"case_number": "X"}]}).encode()


def _twice_one_invalid() -> bytes:
    body = application(seq=1)
    return json.dumps({"applications": [body, body | {"county_code": "nope"}]}).encode()


@pytest.mark.parametrize(("raw", "code"), [
    (b'{"applications": []}', "empty_batch"),
    (json.dumps({"applications": [application(seq=n) for n in range(contract.MAX_BATCH + 1)]}).encode(),
     "batch_too_large"),
    (json.dumps({"applications": [application(seq=n) for n in range(contract.MAX_BATCH)] + [{}]}).encode(),
     "batch_too_large"),
    (_twice(), "duplicate_request_id"),
    (_twice_one_invalid(), "duplicate_request_id"),
    (b"{not json", "bad_json"),
    (json.dumps(application()).encode(), "invalid_batch"),
    (json.dumps({"applications": application()}).encode(), "invalid_batch"),
    (json.dumps([application()]).encode(), "invalid_batch"),
], ids=["empty", "too-many", "too-many-one-invalid", "request-id-twice", "request-id-twice-one-invalid", "not-json",
        "no-applications-key", "applications-not-a-list", "a-bare-list"])
async def test_a_batch_refused_as_a_whole_is_400_and_stores_nothing(start_sim, raw, code):
    sim = await start_sim(decision_delay_seconds=60)
    r = await sim.push_batch_raw(raw)
    assert (r.status_code, r.json()["error"]["code"]) == (400, code), r.text
    assert r.json()["error"]["message"]
    stats = await sim.stats()
    assert (stats["unique_request_ids"], stats["applications_received"], stats["refused_invalid"]) == (0, 0, 1)


@pytest.mark.parametrize(("signed", "code"), [
    (dict(secret="not-the-district-secret-0123456789"), "bad_signature"),
    (dict(key="somebody-else"), "unknown_app_key"),
    (dict(path=contract.APPLICATIONS_PATH), "bad_signature"),  # signed for the single push, sent to the batch
], ids=["wrong-secret", "unknown-key", "signed-for-another-path"])
async def test_a_badly_signed_batch_is_refused_and_nothing_stored(sim, signed, code):
    r = await sim.push_batch([application(seq=1), application(seq=3)], **signed)
    assert (r.status_code, r.json()["error"]["code"]) == (401, code)
    stats = await sim.stats()
    assert (stats["unique_request_ids"], stats["refused_signature"]) == (0, 1)


async def test_a_replayed_batch_is_refused_and_nothing_more_counted(sim):
    raw = json.dumps({"applications": [application(seq=1), application(seq=3)]}).encode()
    headers = contract.sign(DISTRICT_KEY, DISTRICT_SECRET, "POST", contract.APPLICATIONS_BATCH_PATH, raw)
    first = await sim.push_batch_raw(raw, headers)
    replay = await sim.push_batch_raw(raw, headers)
    assert first.status_code == 200
    assert (replay.status_code, replay.json()["error"]["code"]) == (401, "replayed_nonce")
    stats = await sim.stats()
    assert (stats["applications_received"], stats["unique_request_ids"]) == (2, 2)


async def test_a_batch_to_a_province_that_is_down_is_503_and_nothing_stored(sim):
    await sim.admin("/admin/faults", {"down_for_seconds": 60})
    r = await sim.push_batch([application(seq=1), application(seq=3)])
    assert (r.status_code, r.json()["error"]["code"]) == (503, "unavailable")
    stats = await sim.stats()
    assert (stats["unique_request_ids"], stats["applications_received"], stats["faults_503"]) == (0, 0, 1)


async def test_a_failing_province_fails_the_whole_batch(start_sim):
    sim = await start_sim(fail_rate=1.0)
    r = await sim.push_batch([application(seq=1), application(seq=3)])
    assert (r.status_code, r.json()["error"]["code"]) == (500, "internal_error")
    assert (await sim.stats())["unique_request_ids"] == 0


async def test_a_timed_out_batch_is_stored_and_answered_late(start_sim):
    sim = await start_sim(timeout_rate=1.0, timeout_hang_seconds=0.3, decision_delay_seconds=60)
    started = asyncio.get_running_loop().time()
    r = await sim.push_batch([application(seq=1), application(seq=3)])
    assert r.status_code == 200
    assert asyncio.get_running_loop().time() - started >= 0.3
    stats = await sim.stats()
    assert (stats["unique_request_ids"], stats["faults_timeout"]) == (2, 1)


async def test_a_batch_costs_one_transaction_and_a_fixed_number_of_statements_whatever_its_size(start_sim):
    sim = await start_sim(decision_delay_seconds=60, poll_interval_seconds=30)
    await asyncio.sleep(0.05)  # the start-up tick is over; the next poll is 30 s away
    statements: list[str] = []
    await sim.app.state.sim.store._conn.set_trace_callback(statements.append)
    wakes: list[float] = []
    dispatcher = sim.app.state.sim.dispatcher
    wake_at = dispatcher.wake_at
    dispatcher.wake_at = lambda moment: (wakes.append(moment), wake_at(moment))

    async def cost(size: int, first_seq: int) -> tuple[int, int, int]:
        statements.clear()
        wakes.clear()
        r = await sim.push_batch([application(seq=first_seq + 2 * n) for n in range(size)])
        assert r.status_code == 200 and len(r.json()["results"]) == size
        begins = sum(s.startswith("BEGIN") for s in statements)
        others = [s for s in statements if not s.startswith("INSERT INTO application ")]
        return begins, len(others), len(wakes)

    small, large = await cost(2, 1), await cost(40, 101)
    assert small[0] == large[0] == 1  # one transaction
    assert small[1] == large[1] <= 6  # nonce, BEGIN, read, (inserts), counters, COMMIT
    assert small[2] == large[2] == 1  # one wake of the dispatcher


async def test_a_simulator_database_made_before_batches_still_opens_and_gains_the_columns(tmp_path):
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE application (id INTEGER PRIMARY KEY AUTOINCREMENT, app_key TEXT NOT NULL,
            request_id TEXT NOT NULL, reference TEXT UNIQUE, county_code TEXT NOT NULL, case_number TEXT NOT NULL,
            applied_on TEXT NOT NULL, applicant_name TEXT NOT NULL, id_number TEXT NOT NULL,
            birth_date TEXT NOT NULL, address TEXT NOT NULL, bank_name TEXT, bank_account TEXT,
            callback_url TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'pending', reason TEXT, monthly_amount TEXT,
            first_month TEXT, decided_at TEXT, received_at REAL NOT NULL, decide_at REAL NOT NULL,
            callback_state TEXT NOT NULL DEFAULT 'waiting', callback_attempts INTEGER NOT NULL DEFAULT 0,
            next_callback_at REAL, UNIQUE (app_key, request_id));
        CREATE TABLE callback_send (callback_id TEXT PRIMARY KEY,
            application_id INTEGER NOT NULL REFERENCES application (id), attempt INTEGER NOT NULL,
            duplicate INTEGER NOT NULL, sent_at REAL NOT NULL, http_status INTEGER, error TEXT,
            acknowledged INTEGER NOT NULL);
        INSERT INTO application (app_key, request_id, reference, county_code, case_number, applied_on,
            applicant_name, id_number, birth_date, address, callback_url, received_at, decide_at)
            VALUES ('dachuan-511703', 'old-request', 'SC-GL-2026-00000001', '511703', 'DC-GL-2026-0001',
                    '2026-03-15', '张桂兰', '511703194005060012', '1940-05-06', '达川区', 'http://district.test/cb',
                    0, 9999999999);
    """)
    old.commit()
    old.close()
    receiver = Receiver()
    app = create_sim_app(sim_config(str(path), decision_delay_seconds=60),
                         callback_transport=httpx.MockTransport(receiver.handle))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://province.test") as client:
        found = await app.state.sim.store.find(DISTRICT_KEY, "old-request")
        assert (found.reference, found.batch_callback_url) == ("SC-GL-2026-00000001", None)
        raw = json.dumps({"applications": [batched(seq=1)]}).encode()
        r = await client.post(contract.APPLICATIONS_BATCH_PATH, content=raw, headers=contract.sign(
            DISTRICT_KEY, DISTRICT_SECRET, "POST", contract.APPLICATIONS_BATCH_PATH, raw))
        assert r.json()["results"][0]["reference"] == "SC-GL-2026-00000002"
        assert (await client.get("/admin/stats", headers=ADMIN)).json()["unique_request_ids"] == 2
    columns = {row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(application)")}
    assert "batch_callback_url" in columns


async def test_a_reference_after_a_reset_starts_from_one_again(start_sim):
    sim = await start_sim(decision_delay_seconds=60)
    await sim.push_batch([application(seq=1), application(seq=3)])
    await sim.admin("/admin/reset")
    result = (await sim.push_batch([application(seq=5)])).json()["results"][0]
    assert result["reference"].endswith("-00000001")


# --- batched callbacks --------------------------------------------------------------------------------------------


async def test_decisions_naming_the_same_batch_callback_url_arrive_in_one_signed_post(start_sim):
    sim = await start_sim(decision_delay_seconds=60)
    bodies = [batched(seq=1), batched(seq=3, birth=date(1950, 1, 1)), batched(seq=5)]
    references = [r["reference"] for r in (await sim.push_batch(bodies)).json()["results"]]
    assert (await sim.admin("/admin/decide-now")).json() == {"due": 3}
    await sim.receiver.wait_for(1)
    stats = await sim.stats_once("callbacks_delivered", 3)
    assert len(sim.receiver.requests) == 1
    request = sim.receiver.requests[0]
    assert (request.method, str(request.url)) == ("POST", BATCH_CALLBACK_URL)
    checked = contract.check(request.headers, request.method, request.url.path, request.content,
                             {PROVINCE_KEY: PROVINCE_SECRET})
    assert checked == (PROVINCE_KEY, request.headers["X-Nonce"])
    decisions = json.loads(request.content)["decisions"]
    assert [(d["request_id"], d["reference"]) for d in decisions] == [
        (b["request_id"], ref) for b, ref in zip(bodies, references, strict=True)]
    assert [d["status"] for d in decisions] == ["approved", "rejected", "approved"]
    assert decisions[1]["reason"] == "年龄未满80周岁"
    assert all(d["callback_id"].startswith("cb-") for d in decisions)
    assert len({d["callback_id"] for d in decisions}) == 3
    assert (stats["callbacks_attempted"], stats["callbacks_acknowledged"], stats["callback_batches_sent"]) == (3, 3, 1)


async def test_a_batch_callback_url_given_to_the_single_push_is_used_too(sim):
    body = batched(seq=1)
    assert (await sim.push(body)).status_code == 200
    await sim.receiver.wait_for(1)
    assert [[d["request_id"] for d in batch] for batch in sim.receiver.batches()] == [[body["request_id"]]]


async def test_only_decisions_naming_the_same_url_share_a_batch_and_the_others_go_alone(start_sim):
    sim = await start_sim(decision_delay_seconds=60)
    here = [batched(seq=1), batched(seq=3)]
    there = [application(seq=5, batch_callback_url=OTHER_BATCH_CALLBACK_URL)]
    alone = [application(seq=7), application(seq=9)]
    await sim.push_batch(here + there + alone)
    await sim.admin("/admin/decide-now")
    await sim.receiver.wait_for(4)
    await sim.stats_once("callbacks_delivered", 5)
    by_url: dict[str, list[list[str]]] = {}
    for request in sim.receiver.requests:
        body = json.loads(request.content)
        ids = [d["request_id"] for d in body["decisions"]] if "decisions" in body else [body["request_id"]]
        by_url.setdefault(str(request.url), []).append(ids)
        signed_for = contract.check(request.headers, "POST", request.url.path, request.content,
                                    {PROVINCE_KEY: PROVINCE_SECRET})
        assert not isinstance(signed_for, contract.SignatureProblem)
    assert by_url[BATCH_CALLBACK_URL] == [[b["request_id"] for b in here]]
    assert by_url[OTHER_BATCH_CALLBACK_URL] == [[there[0]["request_id"]]]
    assert sorted(by_url[CALLBACK_URL]) == sorted([[b["request_id"]] for b in alone])
    assert len(sim.receiver.requests) == 4


async def test_a_decision_refused_in_a_batch_is_sent_again_later_and_the_acknowledged_ones_are_not(start_sim):
    bodies = [batched(seq=1), batched(seq=3), batched(seq=5)]
    refused = bodies[1]["request_id"]
    sim = await start_sim(decision_delay_seconds=60, refuse={refused: 1})
    await sim.push_batch(bodies)
    await sim.admin("/admin/decide-now")
    await sim.receiver.wait_for(2)
    stats = await sim.stats_once("callbacks_delivered", 3)
    await asyncio.sleep(0.1)  # back-off is 0.02 s: anything sent a third time would be here by now
    assert [[d["request_id"] for d in batch] for batch in sim.receiver.batches()] == [
        [b["request_id"] for b in bodies], [refused]]
    first, again = sim.receiver.batches()
    assert again[0]["callback_id"] != first[1]["callback_id"]
    assert (stats["callbacks_attempted"], stats["callbacks_acknowledged"], stats["callback_batches_sent"]) == (4, 3, 2)
    assert len(sim.receiver.requests) == 2


async def test_a_batched_callback_that_fails_as_a_whole_leaves_every_decision_owed(start_sim):
    sim = await start_sim(decision_delay_seconds=60, statuses=(500,))
    bodies = [batched(seq=1), batched(seq=3)]
    await sim.push_batch(bodies)
    await sim.admin("/admin/decide-now")
    await sim.receiver.wait_for(2)
    stats = await sim.stats_once("callbacks_delivered", 2)
    assert [[d["request_id"] for d in batch] for batch in sim.receiver.batches()] == [
        [b["request_id"] for b in bodies]] * 2
    assert (stats["callbacks_attempted"], stats["callbacks_acknowledged"]) == (4, 2)


async def test_an_answer_without_results_acknowledges_nothing(start_sim, monkeypatch):
    answer = Receiver.handle

    async def single_style(self: Receiver, request):
        await answer(self, request)
        return httpx.Response(200, json={"ok": True})  # what a single callback endpoint answers

    monkeypatch.setattr(Receiver, "handle", single_style)
    sim = await start_sim(decision_delay_seconds=60, callback_max_attempts=2)
    await sim.push_batch([batched(seq=1)])
    await sim.admin("/admin/decide-now")
    stats = await sim.stats_once("callbacks_given_up", 1)
    assert (stats["callbacks_given_up"], stats["callbacks_attempted"], stats["callbacks_acknowledged"]) == (1, 2, 0)


async def test_a_result_for_another_request_id_acknowledges_nothing(start_sim, monkeypatch):
    answer = Receiver.handle

    async def shuffled(self: Receiver, request):
        results = (await answer(self, request)).json()["results"]
        return httpx.Response(200, json={"results": results[::-1]})

    monkeypatch.setattr(Receiver, "handle", shuffled)
    sim = await start_sim(decision_delay_seconds=60, callback_max_attempts=1)
    await sim.push_batch([batched(seq=1), batched(seq=3)])
    await sim.admin("/admin/decide-now")
    stats = await sim.stats_once("callbacks_given_up", 2)
    assert (stats["callbacks_given_up"], stats["callbacks_acknowledged"]) == (2, 0)


async def test_more_than_max_batch_decisions_go_in_several_posts_in_flight_at_once(start_sim, monkeypatch):
    in_flight, most = 0, 0
    answer = Receiver.handle

    async def slow(self: Receiver, request):
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.1)
        in_flight -= 1
        return await answer(self, request)

    monkeypatch.setattr(Receiver, "handle", slow)
    sim = await start_sim(decision_delay_seconds=60)
    count = contract.MAX_BATCH + contract.MAX_BATCH // 2
    bodies = [batched(seq=n) for n in range(1, 2 * count, 2)]
    for start in range(0, count, contract.MAX_BATCH):
        assert (await sim.push_batch(bodies[start:start + contract.MAX_BATCH])).status_code == 200
    assert (await sim.admin("/admin/decide-now")).json() == {"due": count}
    await sim.receiver.wait_for(2)
    stats = await sim.stats_once("callbacks_delivered", count)
    assert sorted(len(batch) for batch in sim.receiver.batches()) == [contract.MAX_BATCH // 2, contract.MAX_BATCH]
    assert sorted(d["request_id"] for batch in sim.receiver.batches() for d in batch) == sorted(
        b["request_id"] for b in bodies)
    assert most == 2
    assert (stats["callbacks_delivered"], stats["callback_batches_sent"]) == (count, 2)


async def test_out_of_order_fault_sends_batch_callback_decisions_alone_in_reverse(start_sim):
    sim = await start_sim(decision_delay_seconds=60, out_of_order_callbacks=True)
    bodies = [batched(seq=n) for n in (1, 3, 5)]
    await sim.push_batch(bodies)
    await sim.admin("/admin/decide-now")
    await sim.receiver.wait_for(3)
    assert {str(r.url) for r in sim.receiver.requests} == {CALLBACK_URL}
    assert [d["request_id"] for d in sim.receiver.decisions()] == [b["request_id"] for b in reversed(bodies)]


async def test_duplicate_fault_sends_batch_callback_decisions_alone_twice(start_sim):
    sim = await start_sim(decision_delay_seconds=60, duplicate_callbacks=True)
    bodies = [batched(seq=1), batched(seq=3)]
    await sim.push_batch(bodies)
    await sim.admin("/admin/decide-now")
    await sim.receiver.wait_for(4)
    assert {str(r.url) for r in sim.receiver.requests} == {CALLBACK_URL}
    assert [d["request_id"] for d in sim.receiver.decisions()] == [b["request_id"] for b in bodies] * 2
    assert (await sim.stats_once("duplicate_callbacks_sent", 2))["callback_batches_sent"] == 0


async def test_finishing_a_batch_of_callbacks_is_one_statement(start_sim):
    sim = await start_sim(decision_delay_seconds=60)
    await sim.push_batch([batched(seq=n) for n in range(1, 40, 2)])
    statements: list[str] = []
    await sim.app.state.sim.store._conn.set_trace_callback(statements.append)
    await sim.admin("/admin/decide-now")
    await sim.stats_once("callbacks_delivered", 20)
    await sim.app.state.sim.store._conn.set_trace_callback(None)
    assert sum(s.startswith("UPDATE application SET callback_attempts") for s in statements) == 1
    assert sum(s.startswith("INSERT INTO callback_send") for s in statements) == 1


async def test_the_store_refuses_nothing_when_given_nothing(tmp_path):
    store = await Store.open(str(tmp_path / "s.sqlite3"))
    try:
        assert await store.receive_many(DISTRICT_KEY, [], now=0, decide_at=0) == []
        await store.finish_attempts({}, now=0, max_attempts=1, backoff=0, backoff_max=0)
        await store.record_sends([])
        assert (await store.stats())["applications_received"] == 0
    finally:
        await store.close()
