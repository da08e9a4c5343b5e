import json
from datetime import date

from api.cases.models import CaseEvent
from api.outbox.models import OutboxMessage
from api.province import contract
from api.province import service as province
from tests.factories import staff_actor
from tests.province.conftest import accepted_gaoling_case, case_status, in_tx, reload_sync


async def test_accepting_a_gaoling_case_queues_one_push(db, round_trip):
    case = await accepted_gaoling_case()
    sync = await reload_sync(case.id)
    assert (case.status, sync.state) == ("accepted", "pending")
    assert await OutboxMessage.filter(key=sync.request_id).count() == 1


async def test_an_85_year_old_from_sichuan_is_approved_through_the_province(db, round_trip):
    case = await accepted_gaoling_case(birth=date(1941, 1, 10))
    assert await round_trip.dispatch() == 1
    # the push is recorded when it is sent; the simulator may already have called back 50 ms later
    assert await case_status(case.id) in ("province_review", "approved")
    await round_trip.until(lambda: _status_is(case.id, "approved"))
    sync = await reload_sync(case.id)
    assert sync.state == "decided"
    assert sync.reference.startswith("SC-")
    events = await CaseEvent.filter(case_id=case.id).order_by("seq").values_list("seq", "action")
    assert events == [(1, "submit"), (2, "accept"), (3, "province_sent"), (4, "province_decide")]


async def test_a_75_year_old_is_rejected_with_the_provinces_reason(db, round_trip):
    case = await accepted_gaoling_case(birth=date(1951, 6, 1))
    await round_trip.dispatch()
    await round_trip.until(lambda: _status_is(case.id, "rejected"))
    from api.cases.models import Case

    assert "80" in (await Case.get(id=case.id)).decision_reason


async def test_duplicate_callbacks_record_one_decision(db, round_trip):
    await round_trip.faults(duplicate_callbacks=True)
    case = await accepted_gaoling_case()
    await round_trip.dispatch()
    await round_trip.until(lambda: _status_is(case.id, "approved"))
    await round_trip.until(lambda: _stat_at_least_from(round_trip, "duplicate_callbacks_sent", 1))
    await round_trip.until(lambda: _stat_at_least_from(round_trip, "callbacks_acknowledged", 2))
    assert await CaseEvent.filter(case_id=case.id, action="province_decide").count() == 1


async def test_a_province_that_is_down_leaves_the_sync_failing_then_it_goes_through(db, round_trip):
    await round_trip.faults(down_for_seconds=3600)
    case = await accepted_gaoling_case()
    await round_trip.dispatch()
    sync = await reload_sync(case.id)
    assert (sync.state, sync.attempts) == ("failing", 1)
    assert "503" in sync.last_error
    assert await case_status(case.id) == "accepted"
    await round_trip.faults(down_until=0)
    await round_trip.until(lambda: _dispatched(round_trip))
    await round_trip.until(lambda: _status_is(case.id, "approved"))
    assert (await round_trip.stats())["unique_request_ids"] == 1


async def test_a_push_that_keeps_failing_is_dead_and_a_supervisor_can_send_it_again(db, round_trip):
    await round_trip.faults(fail_rate=1.0)
    case = await accepted_gaoling_case()
    for _ in range(3):
        await round_trip.until(lambda: _dispatched(round_trip))
    assert (await reload_sync(case.id)).state == "dead"
    await round_trip.faults(fail_rate=0.0)
    await in_tx(lambda: province.retry(staff_actor("supervisor"), case.id))
    assert (await reload_sync(case.id)).state == "pending"
    await round_trip.until(lambda: _dispatched(round_trip))
    await round_trip.until(lambda: _status_is(case.id, "approved"))


async def test_lost_callbacks_are_made_good_by_the_reconciler(db, round_trip):
    from api.settings import get_settings

    round_trip.callbacks.up = False
    case = await accepted_gaoling_case()
    await round_trip.dispatch()
    await round_trip.until(lambda: _stat_at_least_from(round_trip, "decided", 1))
    assert await case_status(case.id) == "province_review"
    settings = get_settings()
    settings.reconcile_after_seconds = settings.reconcile_interval_seconds = 0
    try:
        assert await province.reconcile_once() == 1
    finally:
        settings.reconcile_after_seconds = settings.reconcile_interval_seconds = 60
    assert await case_status(case.id) == "approved"
    assert (await reload_sync(case.id)).state == "decided"


async def test_a_forged_callback_is_refused_and_changes_nothing(db, round_trip, client):
    case = await accepted_gaoling_case()
    round_trip.callbacks.up = False
    await round_trip.dispatch()
    sync = await reload_sync(case.id)
    body = json.dumps({"request_id": sync.request_id, "reference": sync.reference, "status": "approved",
                       "monthly_amount": "500.00", "first_month": "2027-01"}).encode()
    headers = contract.sign("province-51", "not-the-secret-0000000000000000", "POST", contract.CALLBACK_PATH, body)
    r = await client.post(contract.CALLBACK_PATH, content=body, headers=headers)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "bad_signature"
    assert await case_status(case.id) == "province_review"


async def test_a_replayed_callback_is_refused(db, round_trip, client):
    from api.settings import get_settings

    case = await accepted_gaoling_case()
    round_trip.callbacks.up = False
    await round_trip.dispatch()
    sync = await reload_sync(case.id)
    key, secret = next(iter(get_settings().province_callback_keys.items()))
    body = json.dumps({"request_id": sync.request_id, "reference": sync.reference, "status": "rejected",
                       "reason": "已在其他地区享受"}).encode()
    headers = contract.sign(key, secret, "POST", contract.CALLBACK_PATH, body)
    first = await client.post(contract.CALLBACK_PATH, content=body, headers=headers)
    again = await client.post(contract.CALLBACK_PATH, content=body, headers=headers)
    assert first.status_code == 200
    assert (again.status_code, again.json()["error"]["code"]) == (401, "replayed_nonce")
    assert await case_status(case.id) == "rejected"
    assert await CaseEvent.filter(case_id=case.id, action="province_decide").count() == 1


async def test_a_callback_for_an_unknown_request_changes_nothing(db, round_trip, client):
    from api.settings import get_settings

    key, secret = next(iter(get_settings().province_callback_keys.items()))
    body = json.dumps({"request_id": "DC2026-999999-GL", "status": "approved", "monthly_amount": "100.00",
                       "first_month": "2027-01"}).encode()
    r = await client.post(contract.CALLBACK_PATH, content=body,
                          headers=contract.sign(key, secret, "POST", contract.CALLBACK_PATH, body))
    assert (r.status_code, r.json()["error"]["code"]) == (404, "unknown_request")
    assert await CaseEvent.filter(action="province_decide").count() == 0


async def test_a_stale_callback_is_refused(db, round_trip, client):
    import time

    from api.settings import get_settings

    key, secret = next(iter(get_settings().province_callback_keys.items()))
    body = b'{"request_id": "x", "status": "approved"}'
    headers = contract.sign(key, secret, "POST", contract.CALLBACK_PATH, body, now=time.time() - 600)
    r = await client.post(contract.CALLBACK_PATH, content=body, headers=headers)
    assert (r.status_code, r.json()["error"]["code"]) == (401, "stale_timestamp")


async def _status_is(case_id: int, status: str) -> bool:
    return await case_status(case_id) == status


async def _stat_at_least_from(round_trip, name: str, n: int) -> bool:
    return (await round_trip.stats())[name] >= n


async def _dispatched(round_trip) -> bool:
    return await round_trip.dispatch() > 0


async def test_asking_for_the_push_again_keeps_one_sync_and_one_message(db, round_trip):
    case = await accepted_gaoling_case()
    first = await reload_sync(case.id)
    await in_tx(lambda: province.request_push(case.id, case.number))  # a second acceptance asks again
    assert await reload_sync(case.id) == first
    assert (await reload_sync(case.id)).state == "pending"
    assert await OutboxMessage.filter(key=first.request_id).count() == 1
    assert await round_trip.dispatch() == 1
    await round_trip.until(lambda: _status_is(case.id, "approved"))
    assert (await round_trip.stats())["applications_received"] == 1


async def test_a_double_tapped_retry_sends_the_push_again_once(db, round_trip):
    import asyncio

    from api.kit.errors import DomainError

    case = await accepted_gaoling_case()
    sync = await reload_sync(case.id)
    await OutboxMessage.filter(key=sync.request_id).update(status="dead")
    await sync.__class__.filter(id=sync.id).update(state="dead")
    supervisor = staff_actor("supervisor")

    async def retry():
        try:
            await in_tx(lambda: province.retry(supervisor, case.id))
            return "retried"
        except DomainError as e:
            return e.code

    # two taps at once: one puts the push back in the queue, the other is told it is no longer dead (without
    # the lock both read "dead", and the later one's write could set a sync the worker had sent back to pending)
    assert sorted(await asyncio.gather(retry(), retry())) == ["retried", "sync_not_dead"]
    assert (await reload_sync(case.id)).state == "pending"
