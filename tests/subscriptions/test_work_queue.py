"""workQueue over graphql-transport-ws: cases entering, leaving or changing in a staff member's region and stages."""

from __future__ import annotations

from datetime import timedelta

from api.cases import service as cases
from api.kit import clock
from api.kit.broker import get_broker
from tests.factories import CUIPING, DISTRICT, XINQIAO, YANBA, act, make_applicant, make_case
from tests.graphql.helpers import staff_token
from tests.subscriptions.client import connected, until_subscribed
from tests.subscriptions.test_case_progress import applicant_with_token

QUEUE = "subscription { workQueue { caseId number status action seq itemCode inQueue } }"


async def test_new_submission_reaches_the_village_worker_and_the_township_officer(live, sms):
    worker = await staff_token(live.http, "village_worker")
    officer = await staff_token(live.http, "township_officer")

    async with connected(live, worker) as w, connected(live, officer) as o:
        w_op, o_op = await w.subscribe(QUEUE), await o.subscribe(QUEUE)
        await until_subscribed(f"region:{XINQIAO}")
        await until_subscribed(f"region:{CUIPING}")
        case = await make_case("dibao", "submitted")
        to_worker = (await w.next_data(w_op))["workQueue"]
        to_officer = (await o.next_data(o_op))["workQueue"]

    expected = {"caseId": str(case.id), "number": case.number, "status": "SUBMITTED", "action": "submit", "seq": 1,
                "itemCode": "dibao", "inQueue": True}
    assert to_worker == expected
    assert to_officer == expected


async def test_new_submission_does_not_reach_another_villages_worker(live, sms):
    token = await staff_token(live.http, "village_worker", YANBA)

    async with connected(live, token) as ws:
        op = await ws.subscribe(QUEUE)
        await until_subscribed(f"region:{YANBA}")
        await make_case("dibao", "submitted")  # in Xinqiao
        yanba_case = await make_case("dibao", "submitted", applicant=await make_applicant(region=YANBA))
        first = (await ws.next_data(op))["workQueue"]

    assert first["caseId"] == str(yanba_case.id)


async def test_verifier_sees_cases_reaching_verification_but_not_new_submissions(live, sms):
    token = await staff_token(live.http, "verifier")
    case = await make_case("dibao", "investigating")

    async with connected(live, token) as ws:
        op = await ws.subscribe(QUEUE)
        await until_subscribed(f"region:{DISTRICT}")
        await make_case("dibao", "submitted")
        await act(case.id, "investigate")
        first = (await ws.next_data(op))["workQueue"]

    assert (first["caseId"], first["status"], first["action"], first["inQueue"]) == (
        str(case.id), "VERIFYING", "investigate", True)


async def test_case_leaving_the_callers_stages_is_announced_as_leaving(live, sms):
    token = await staff_token(live.http, "township_officer")
    case = await make_case("dibao", "investigating")

    async with connected(live, token) as ws:
        op = await ws.subscribe(QUEUE)
        await until_subscribed(f"region:{CUIPING}")
        await act(case.id, "investigate")  # on to the district's verification
        item = (await ws.next_data(op))["workQueue"]

    assert (item["caseId"], item["status"], item["action"], item["inQueue"]) == (
        str(case.id), "VERIFYING", "investigate", False)


async def test_returned_case_reaches_the_village_worker(live, sms):
    token = await staff_token(live.http, "village_worker")
    case = await make_case("dibao", "submitted")

    async with connected(live, token) as ws:
        op = await ws.subscribe(QUEUE)
        await until_subscribed(f"region:{XINQIAO}")
        await act(case.id, "return", data={"reason": "缺少户口簿"})
        item = (await ws.next_data(op))["workQueue"]

    assert (item["caseId"], item["status"], item["action"], item["seq"]) == (str(case.id), "RETURNED", "return", 2)


async def test_overdue_case_reaches_the_village_worker(live, sms):
    token = await staff_token(live.http, "village_worker")
    case = await make_case("dibao", "submitted")

    async with connected(live, token) as ws:
        op = await ws.subscribe(QUEUE)
        await until_subscribed(f"region:{XINQIAO}")
        clock.freeze(clock.now() + timedelta(days=60))
        await cases.scan_clocks()
        item = (await ws.next_data(op))["workQueue"]

    assert (item["caseId"], item["status"], item["action"], item["inQueue"]) == (
        str(case.id), "SUBMITTED", "clock_overdue", True)


async def test_applicant_cannot_subscribe_to_a_work_queue(live, sms):
    _, token = await applicant_with_token(live, sms)

    async with connected(live, token) as ws:
        codes = await ws.error_codes(await ws.subscribe(QUEUE))

    assert codes == ["role_not_allowed"]


async def test_analyst_cannot_subscribe_to_a_work_queue(live, sms):
    token = await staff_token(live.http, "analyst")

    async with connected(live, token) as ws:
        codes = await ws.error_codes(await ws.subscribe(QUEUE))

    assert codes == ["role_not_allowed"]


async def test_anonymous_connection_cannot_subscribe_to_a_work_queue(live, sms):
    async with connected(live, None) as ws:
        codes = await ws.error_codes(await ws.subscribe(QUEUE))

    assert codes == ["unauthenticated"]


async def test_a_message_naming_a_case_outside_the_callers_region_is_not_delivered_even_on_their_channel(live, sms):
    # the channel is the first filter; the case is read for the caller, so a message published on the wrong
    # region's channel (a bug, a forged message) still never shows another village's case
    token = await staff_token(live.http, "village_worker", YANBA)
    xinqiao_case = await make_case("dibao", "submitted")

    async with connected(live, token) as ws:
        op = await ws.subscribe(QUEUE)
        await until_subscribed(f"region:{YANBA}")
        await get_broker().publish(cases.region_channel(YANBA), {
            "case_id": xinqiao_case.id, "seq": 1, "status": "submitted", "region": YANBA, "action": "submit",
            "public": True})
        yanba_case = await make_case("dibao", "submitted", applicant=await make_applicant(region=YANBA))
        first = (await ws.next_data(op))["workQueue"]

    assert first["caseId"] == str(yanba_case.id)
