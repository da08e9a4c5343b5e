"""Staff sessions: an idle timeout and an absolute lifetime; an administrator lists and ends them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.accounts.models import StaffAccount
from api.audit.models import AccessLog
from api.kit import clock
from tests.factories import make_staff
from tests.graphql.helpers import gql, new_phone, sign_in_applicant, sign_in_staff, staff_token

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ME = "query { me { kind } }"
SESSIONS = """
query($id: ID!) { staffSessions(staffId: $id) { id createdAt lastSeenAt expiresAt idleExpiresAt client userAgent } }"""
END = """
mutation($id: ID!, $sid: ID) {
  staffSessionsEnd(staffId: $id, sessionId: $sid) {
    __typename ... on StaffSessionsEndSuccess { ended } ... on Error { code message }
  }
}"""


async def _kind(client, token: str) -> str:
    return (await gql(client, ME, token=token))["data"]["me"]["kind"]


async def test_a_staff_session_unused_for_the_idle_time_ends(client, db):
    clock.freeze(T0)
    token = await staff_token(client, "verifier")

    clock.freeze(T0 + timedelta(minutes=29))
    still = await _kind(client, token)
    clock.freeze(T0 + timedelta(minutes=29 + 30))
    idle = await _kind(client, token)

    assert still == "staff"
    assert idle == "anonymous"


async def test_use_keeps_a_staff_session_alive_until_its_absolute_lifetime(client, db):
    clock.freeze(T0)
    token = await staff_token(client, "verifier")
    kinds = []
    for minutes in range(20, 12 * 60, 20):
        clock.freeze(T0 + timedelta(minutes=minutes))
        kinds.append(await _kind(client, token))
    clock.freeze(T0 + timedelta(hours=12))
    after = await _kind(client, token)

    assert set(kinds) == {"staff"}
    assert after == "anonymous"


async def test_applicant_sessions_have_no_idle_timeout(client, sms, db):
    clock.freeze(T0)
    token = await sign_in_applicant(client, sms, new_phone())

    clock.freeze(T0 + timedelta(days=3))

    assert await _kind(client, token) == "applicant"


async def test_admin_lists_a_staff_members_live_sessions(make_client):
    staff_id, username = await make_staff("approver")
    async with make_client() as client:
        await sign_in_staff(client, username)
        client.headers["User-Agent"] = "Mozilla/5.0 (Linux; Android 14) 达川"
        await sign_in_staff(client, username)
        admin = await staff_token(client, "admin")
        body = await gql(client, SESSIONS, {"id": str(staff_id)}, admin)

    sessions = body["data"]["staffSessions"]
    assert len(sessions) == 2
    assert {s["client"] for s in sessions} == {"10.1.2.3"}
    assert "Android 14" in sessions[0]["userAgent"]  # most recently used first
    first = sessions[0]
    assert first["idleExpiresAt"] < first["expiresAt"]


async def test_ended_and_idle_sessions_are_not_listed(client, db):
    clock.freeze(T0)
    staff_id, username = await make_staff("approver")
    ended = await sign_in_staff(client, username)
    await gql(client, "mutation { authSignOut { __typename } }", token=ended)
    await sign_in_staff(client, username)
    clock.freeze(T0 + timedelta(minutes=40))
    live = await sign_in_staff(client, username)
    admin = await staff_token(client, "admin")

    body = await gql(client, SESSIONS, {"id": str(staff_id)}, admin)

    assert len(body["data"]["staffSessions"]) == 1
    assert await _kind(client, live) == "staff"


async def test_admin_ends_one_session_then_all(client, db):
    staff_id, username = await make_staff("township_officer")
    phone_token = await sign_in_staff(client, username)
    desk_token = await sign_in_staff(client, username)
    admin = await staff_token(client, "admin")
    sessions = (await gql(client, SESSIONS, {"id": str(staff_id)}, admin))["data"]["staffSessions"]
    newest = sessions[0]["id"]

    one = await gql(client, END, {"id": str(staff_id), "sid": newest}, admin)
    after_one = (await _kind(client, desk_token), await _kind(client, phone_token))
    rest = await gql(client, END, {"id": str(staff_id)}, admin)
    after_all = await _kind(client, phone_token)

    assert one["data"]["staffSessionsEnd"] == {"__typename": "StaffSessionsEndSuccess", "ended": 1}
    assert after_one == ("anonymous", "staff")
    assert rest["data"]["staffSessionsEnd"]["ended"] == 1
    assert after_all == "anonymous"
    admin_id = (await StaffAccount.get(role="admin")).id
    logged = await AccessLog.filter(action="sign_out", staff_id=staff_id).order_by("id")
    assert [e.detail for e in logged] == [f"ended by admin {admin_id}: 1 session(s)"] * 2


async def test_ending_a_session_that_is_not_there_is_a_typed_error(client, db):
    staff_id, _ = await make_staff("verifier")
    admin = await staff_token(client, "admin")

    missing = await gql(client, END, {"id": str(staff_id), "sid": "999999"}, admin)
    bad_id = await gql(client, END, {"id": "abc"}, admin)

    assert missing["data"]["staffSessionsEnd"]["code"] == "session_not_found"
    assert missing["data"]["staffSessionsEnd"]["message"] == "该会话不存在或已结束"
    assert bad_id["data"]["staffSessionsEnd"]["__typename"] == "NotFoundError"


async def test_only_admins_see_or_end_sessions(client, db):
    staff_id, _ = await make_staff("verifier")
    supervisor = await staff_token(client, "supervisor")

    listed = await gql(client, SESSIONS, {"id": str(staff_id)}, supervisor)
    ended = await gql(client, END, {"id": str(staff_id)}, supervisor)

    assert listed["errors"][0]["extensions"]["code"] == "admin_only"
    assert ended["data"]["staffSessionsEnd"]["code"] == "admin_only"
