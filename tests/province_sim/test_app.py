"""The simulator over HTTP: signing, idempotency, decisions called back, faults, reconcile, admin."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import date, datetime

import httpx
import pytest

from api.kit.idnumber import make_id_number
from api.province import contract
from province_sim import create_sim_app
from tests.province_sim.support import (
    ADMIN,
    CALLBACK_URL,
    DISTRICT_KEY,
    DISTRICT_SECRET,
    PROVINCE_KEY,
    PROVINCE_SECRET,
    WAIT_SECONDS,
    Receiver,
    application,
    sim_config,
)

REFERENCE = re.compile(r"^SC-GL-\d{4}-\d{8}$")


async def test_new_application_is_answered_pending_with_a_reference(sim):
    body = application()
    r = await sim.push(body)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert REFERENCE.match(answer["reference"])
    assert answer | {"reference": "?"} == {"reference": "?", "request_id": body["request_id"], "status": "pending",
                                           "duplicate": False}


async def test_same_request_id_twice_returns_the_same_reference_and_keeps_one_application(start_sim):
    sim = await start_sim(decision_delay_seconds=60)
    body = application()
    first = (await sim.push(body)).json()
    second = (await sim.push(body)).json()
    assert second["reference"] == first["reference"]
    assert (first["duplicate"], second["duplicate"]) == (False, True)
    stats = await sim.stats()
    assert (stats["applications_received"], stats["unique_request_ids"]) == (2, 1)


async def test_bad_signature_is_refused_and_nothing_stored(sim):
    r = await sim.push(application(), secret="not-the-district-secret-0123456789")
    assert (r.status_code, r.json()["error"]["code"]) == (401, "bad_signature")
    assert (await sim.stats())["unique_request_ids"] == 0


async def test_unknown_app_key_is_refused_and_nothing_stored(sim):
    r = await sim.push(application(), key="somebody-else")
    assert (r.status_code, r.json()["error"]["code"]) == (401, "unknown_app_key")
    assert (await sim.stats())["unique_request_ids"] == 0


async def test_stale_timestamp_is_refused_and_nothing_stored(sim):
    r = await sim.push(application(), now=time.time() - contract.MAX_SKEW_SECONDS - 60)
    assert (r.status_code, r.json()["error"]["code"]) == (401, "stale_timestamp")
    assert (await sim.stats())["unique_request_ids"] == 0


async def test_replayed_nonce_is_refused_and_nothing_more_stored(sim):
    raw = json.dumps(application()).encode()
    headers = contract.sign(DISTRICT_KEY, DISTRICT_SECRET, "POST", contract.APPLICATIONS_PATH, raw)
    first = await sim.push_raw(raw, headers)
    replay = await sim.push_raw(raw, headers)
    assert first.status_code == 200
    assert (replay.status_code, replay.json()["error"]["code"]) == (401, "replayed_nonce")
    stats = await sim.stats()
    assert (stats["applications_received"], stats["unique_request_ids"]) == (1, 1)


async def test_non_ascii_signature_is_refused_not_a_server_error(sim):
    raw = json.dumps(application()).encode()
    headers = contract.sign(DISTRICT_KEY, DISTRICT_SECRET, "POST", contract.APPLICATIONS_PATH, raw)
    r = await sim.client.post(contract.APPLICATIONS_PATH, content=raw,
                              headers={**headers, "X-Signature": "\xe9".encode("latin-1")})
    assert (r.status_code, r.json()["error"]["code"]) == (401, "bad_signature")


def _without_callback_url() -> dict:
    body = application()
    del body["callback_url"]
    return body


@pytest.mark.parametrize(("raw", "code"), [
    (b"{not json", "bad_json"),
    (json.dumps(_without_callback_url()).encode(), "invalid_field"),
    (json.dumps(application(applied_on=date(2026, 3, 15)) | {"applied_on": "2026/03/15"}).encode(), "invalid_field"),
    (json.dumps(application(callback_url="ftp://district.test/cb")).encode(), "invalid_field"),
    (json.dumps(application() | {"applicant": application()["applicant"] | {"id_number": "511703194005060010"}}
                ).encode(), "invalid_id_number"),
    (json.dumps(application() | {"applicant": application()["applicant"] | {"birth_date": "1940-05-07"}}
                ).encode(), "birth_date_mismatch"),
], ids=["not-json", "missing-field", "bad-date", "bad-callback-url", "bad-id-checksum", "birth-date-mismatch"])
async def test_invalid_application_is_refused_with_400_and_not_stored(sim, raw, code):
    r = await sim.push_raw(raw, contract.sign(DISTRICT_KEY, DISTRICT_SECRET, "POST", contract.APPLICATIONS_PATH, raw))
    assert (r.status_code, r.json()["error"]["code"]) == (400, code), r.text
    assert r.json()["error"]["message"]
    assert (await sim.stats())["unique_request_ids"] == 0


async def test_decision_is_called_back_signed_and_verifiable(sim):
    body = application(birth=date(1940, 7, 1), applied_on=date(2026, 3, 15))
    reference = (await sim.push(body)).json()["reference"]
    await sim.receiver.wait_for(1)
    request = sim.receiver.requests[0]
    checked = contract.check(request.headers, request.method, request.url.path, request.content,
                             {PROVINCE_KEY: PROVINCE_SECRET})
    assert checked == (PROVINCE_KEY, request.headers["X-Nonce"])
    assert (request.method, str(request.url)) == ("POST", CALLBACK_URL)
    decision = json.loads(request.content)
    assert decision.pop("callback_id").startswith("cb-")
    assert datetime.fromisoformat(decision.pop("decided_at")).tzinfo is not None
    assert decision == {"reference": reference, "request_id": body["request_id"], "status": "approved",
                        "reason": None, "monthly_amount": "100.00", "first_month": "2026-04"}


async def test_rejected_application_is_called_back_with_its_reason(sim):
    await sim.push(application(birth=date(1950, 1, 1)))
    await sim.receiver.wait_for(1)
    decision = sim.receiver.decisions()[0]
    assert (decision["status"], decision["reason"], decision["monthly_amount"]) == ("rejected", "年龄未满80周岁", None)


async def test_second_application_for_an_approved_id_number_is_rejected_as_already_receiving(sim):
    id_number = make_id_number(birth=date(1935, 7, 1), seq=7)
    first, second = application(birth=date(1935, 7, 1), seq=7), application(birth=date(1935, 7, 1), seq=7)
    assert first["applicant"]["id_number"] == second["applicant"]["id_number"] == id_number
    await sim.push(first)
    await sim.push(second)
    await sim.receiver.wait_for(2)
    outcome = {d["request_id"]: (d["status"], d["reason"]) for d in sim.receiver.decisions()}
    assert outcome == {first["request_id"]: ("approved", None), second["request_id"]: ("rejected", "已在其他地区享受")}


async def test_same_id_number_twice_in_one_round_of_decisions_is_approved_once(start_sim):
    sim = await start_sim(decision_delay_seconds=60)
    earlier = application(birth=date(1935, 7, 1), seq=9)
    await sim.push(earlier)
    assert (await sim.admin("/admin/decide-now")).json() == {"due": 1}
    await sim.receiver.wait_for(1)
    first, second = application(birth=date(1935, 7, 1), seq=7), application(birth=date(1935, 7, 1), seq=7)
    third = application(birth=date(1935, 7, 1), seq=9)  # the ID number approved in the earlier round
    for body in (first, second, third):
        await sim.push(body)
    assert (await sim.admin("/admin/decide-now")).json() == {"due": 3}
    await sim.receiver.wait_for(4)
    outcome = {d["request_id"]: (d["status"], d["reason"]) for d in sim.receiver.decisions()}
    assert outcome == {earlier["request_id"]: ("approved", None), first["request_id"]: ("approved", None),
                       second["request_id"]: ("rejected", "已在其他地区享受"),
                       third["request_id"]: ("rejected", "已在其他地区享受")}


async def test_callback_is_retried_after_the_receiver_answers_500(start_sim):
    sim = await start_sim(statuses=(500,))
    body = application()
    await sim.push(body)
    await sim.receiver.wait_for(2)
    stats = await sim.stats_once("callbacks_delivered", 1)
    decisions = sim.receiver.decisions()
    assert [d["request_id"] for d in decisions] == [body["request_id"]] * 2
    assert decisions[0]["callback_id"] != decisions[1]["callback_id"]
    assert (stats["callbacks_attempted"], stats["callbacks_acknowledged"]) == (2, 1)


async def test_callback_retries_back_off_exponentially(start_sim):
    sim = await start_sim(statuses=(500, 500), callback_backoff_seconds=0.1)
    await sim.push(application())
    await sim.receiver.wait_for(3)
    t1, t2, t3 = sim.receiver.arrival_times
    assert t2 - t1 >= 0.1
    assert t3 - t2 >= 0.2


async def test_callback_gives_up_after_max_attempts(start_sim):
    sim = await start_sim(statuses=(500,) * 10, callback_max_attempts=3)
    await sim.push(application())
    stats = await sim.stats_once("callbacks_given_up", 1)
    await asyncio.sleep(0.1)
    assert (stats["callbacks_given_up"], stats["callbacks_attempted"]) == (1, 3)
    assert len(sim.receiver.requests) == 3


async def test_duplicate_mode_sends_each_decision_twice_with_distinct_callback_ids(start_sim):
    sim = await start_sim(duplicate_callbacks=True)
    body = application()
    await sim.push(body)
    await sim.receiver.wait_for(2)
    first, second = sim.receiver.decisions()
    assert first["callback_id"] != second["callback_id"]
    assert {k: v for k, v in first.items() if k != "callback_id"} == {k: v for k, v in second.items()
                                                                       if k != "callback_id"}
    assert (await sim.stats_once("duplicate_callbacks_sent", 1))["duplicate_callbacks_sent"] == 1


async def test_out_of_order_mode_delivers_a_batch_in_reverse(start_sim):
    sim = await start_sim(decision_delay_seconds=60, out_of_order_callbacks=True)
    bodies = [application(seq=n) for n in (1, 3, 5)]
    for body in bodies:
        await sim.push(body)
    assert (await sim.admin("/admin/decide-now")).json() == {"due": 3}
    await sim.receiver.wait_for(3)
    assert [d["request_id"] for d in sim.receiver.decisions()] == [b["request_id"] for b in reversed(bodies)]


async def test_down_answers_503_then_works_after(sim):
    assert (await sim.admin("/admin/faults", {"down_for_seconds": 0.3})).json()["down"] is True
    down = await sim.push(application())
    assert (down.status_code, down.json()["error"]["code"]) == (503, "unavailable")
    assert int(down.headers["Retry-After"]) >= 1
    assert (await sim.stats())["unique_request_ids"] == 0
    await asyncio.sleep(0.35)
    assert (await sim.push(application())).status_code == 200
    assert (await sim.stats())["unique_request_ids"] == 1


async def test_fail_rate_one_answers_500_and_stores_nothing(start_sim):
    sim = await start_sim(fail_rate=1.0)
    r = await sim.push(application())
    assert (r.status_code, r.json()["error"]["code"]) == (500, "internal_error")
    stats = await sim.stats()
    assert (stats["applications_received"], stats["unique_request_ids"], stats["faults_500"]) == (0, 0, 1)


async def test_timeout_fault_stores_the_application_and_answers_late(start_sim):
    sim = await start_sim(timeout_rate=1.0, timeout_hang_seconds=0.3)
    started = time.monotonic()
    r = await sim.push(application())
    assert r.status_code == 200
    assert time.monotonic() - started >= 0.3
    assert (await sim.stats())["unique_request_ids"] == 1


async def test_reconcile_returns_the_decision(sim):
    body = application(birth=date(1925, 1, 1), applied_on=date(2026, 12, 20))
    reference = (await sim.push(body)).json()["reference"]
    await sim.receiver.wait_for(1)
    r = await sim.status(body["request_id"])
    assert r.status_code == 200
    status = r.json()
    assert status.pop("decided_at") == sim.receiver.decisions()[0]["decided_at"]
    assert status == {"reference": reference, "request_id": body["request_id"], "status": "approved",
                      "reason": None, "monthly_amount": "500.00", "first_month": "2027-01"}


async def test_reconcile_of_an_unknown_request_is_404(sim):
    r = await sim.status("never-sent")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_request")


async def test_reconcile_without_signature_is_refused(sim):
    r = await sim.client.get(f"{contract.APPLICATIONS_PATH}/anything")
    assert (r.status_code, r.json()["error"]["code"]) == (401, "unknown_app_key")


async def test_pending_application_is_decided_and_called_back_after_a_restart(tmp_path):
    receiver = Receiver()
    app = create_sim_app(sim_config(str(tmp_path / "sim.sqlite3"), decision_delay_seconds=0.2),
                         callback_transport=httpx.MockTransport(receiver.handle))
    body = application()
    raw = json.dumps(body).encode()
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://province.test") as c:
            headers = contract.sign(DISTRICT_KEY, DISTRICT_SECRET, "POST", contract.APPLICATIONS_PATH, raw)
            assert (await c.post(contract.APPLICATIONS_PATH, content=raw, headers=headers)).status_code == 200
    assert receiver.requests == []
    async with app.router.lifespan_context(app):
        await receiver.wait_for(1)
    assert receiver.decisions()[0]["request_id"] == body["request_id"]


async def test_admin_endpoints_need_the_admin_token(sim):
    r = await sim.client.get("/admin/stats", headers={"X-Admin-Token": "wrong"})
    assert (r.status_code, r.json()["error"]["code"]) == (401, "bad_admin_token")


async def test_admin_faults_change_only_the_fields_given(sim):
    r = await sim.admin("/admin/faults", {"slow_ms": 5, "duplicate_callbacks": True})
    faults = r.json()
    assert (faults["slow_ms"], faults["duplicate_callbacks"], faults["fail_rate"]) == (5, True, 0.0)


async def test_admin_faults_refuse_an_out_of_range_rate(sim):
    r = await sim.admin("/admin/faults", {"fail_rate": 1.5})
    assert (r.status_code, r.json()["error"]["code"]) == (400, "invalid_body")


async def test_reset_forgets_applications_and_restores_configured_faults(start_sim):
    sim = await start_sim(decision_delay_seconds=60)
    await sim.push(application())
    await sim.admin("/admin/faults", {"fail_rate": 1.0})
    assert (await sim.admin("/admin/reset")).json() == {"ok": True}
    stats = await sim.stats()
    assert (stats["unique_request_ids"], stats["applications_received"]) == (0, 0)
    assert (await sim.client.get("/admin/faults", headers=ADMIN)).json()["fail_rate"] == 0.0


async def test_a_push_wakes_the_simulator_so_a_decision_due_now_does_not_wait_for_the_poll(start_sim):
    sim = await start_sim(decision_delay_seconds=0, poll_interval_seconds=30)
    await asyncio.sleep(0.05)  # the first tick (at start-up) is over: the next poll is 30 s away
    await sim.push(application())
    await sim.receiver.wait_for(1)  # within WAIT_SECONDS, long before the poll
    assert sim.receiver.decisions()[0]["status"] == "approved"


async def test_a_push_with_a_delay_is_decided_when_due_not_at_the_next_poll(start_sim):
    sim = await start_sim(decision_delay_seconds=0.3, poll_interval_seconds=30)
    await asyncio.sleep(0.05)
    pushed = time.monotonic()
    await sim.push(application())
    await sim.receiver.wait_for(1)
    assert 0.3 <= sim.receiver.arrival_times[0] - pushed < WAIT_SECONDS


async def test_callbacks_of_a_batch_are_sent_concurrently(start_sim, monkeypatch):
    in_flight, most = 0, 0
    answer = Receiver.handle

    async def slow(self: Receiver, request):
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.1)  # the district's answer takes a while: the others go meanwhile
        in_flight -= 1
        return await answer(self, request)

    monkeypatch.setattr(Receiver, "handle", slow)
    sim = await start_sim(decision_delay_seconds=60, callback_concurrency=4)
    for n in (1, 3, 5, 7, 9, 11):
        await sim.push(application(seq=n))
    assert (await sim.admin("/admin/decide-now")).json() == {"due": 6}
    await sim.receiver.wait_for(6)
    assert most == 4
    assert len({d["request_id"] for d in sim.receiver.decisions()}) == 6
    assert (await sim.stats_once("callbacks_delivered", 6))["callbacks_delivered"] == 6
