"""The WebSocket endpoint: graphql-transport-ws only, sign-in in connection_init, pings, a subscription cap."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from api.accounts import service as accounts
from api.cases import repository, service, subscriptions
from api.graphql.websocket import MAX_SUBSCRIPTIONS_PER_CONNECTION, TransportWSHandler, session_watch
from tests.factories import act, make_case
from tests.subscriptions.client import connect, connected
from tests.subscriptions.test_case_progress import applicant_with_token, events, progress


async def test_token_in_an_authorization_field_signs_the_connection_in(live, sms):
    applicant, token = await applicant_with_token(live, sms)
    case = await make_case("dibao", "submitted", applicant=applicant)

    async with connect(live, {"authorization": f"Bearer {token}"}) as ws:
        ack = await ws.ws.recv()
        replayed = await events(ws, await progress(ws, case.id), 1)

    assert '"connection_ack"' in ack
    assert replayed == [(1, "submit")]


async def test_unknown_token_is_refused_at_connection_init(live, sms):
    async with connect(live, {"token": "not-a-session"}) as ws:
        closed = await ws.closed()

    assert closed == (4403, "Forbidden")


async def test_legacy_graphql_ws_protocol_is_refused(live, sms):
    async with connect(live, subprotocol="graphql-ws") as ws:
        closed = await ws.closed()

    assert closed == (4406, "Subprotocol not acceptable")


async def test_server_pings_a_quiet_connection(live, sms, monkeypatch):
    monkeypatch.setattr(TransportWSHandler, "ping_seconds", 0.05)
    _, token = await applicant_with_token(live, sms)

    async with connected(live, token) as ws:
        await ws.wait_ping()
        await ws.wait_ping()

    assert ws.pings == 2


async def test_signing_out_ends_the_sessions_live_connection(live, sms, monkeypatch):
    monkeypatch.setattr(TransportWSHandler, "ping_seconds", 0.05)
    monkeypatch.setattr(TransportWSHandler, "session_check_pings", 2)
    applicant, token = await applicant_with_token(live, sms)
    case = await make_case("dibao", "submitted", applicant=applicant)

    async with connected(live, token) as ws:
        replayed = await events(ws, await progress(ws, case.id), 1)
        for _ in range(3):  # the session is checked at the second ping and still valid
            await ws.wait_ping()
        await accounts.sign_out(token)
        closed = await ws.closed()

    assert replayed == [(1, "submit")]
    assert closed == (4403, "Forbidden")


async def test_signing_out_closes_the_live_connection_at_once_and_no_other(live, sms):
    """The sign-out is announced: the connection closes now, not at its next check a minute later (the pings
    stay at their 15 s, so nothing else could close it within the test); another person's connection goes on."""
    from api.kit.db import unit_of_work

    assert TransportWSHandler.ping_seconds * TransportWSHandler.session_check_pings >= 60
    applicant, token = await applicant_with_token(live, sms)
    other, other_token = await applicant_with_token(live, sms)
    case = await make_case("dibao", "submitted", applicant=applicant)
    other_case = await make_case("dibao", "submitted", applicant=other)

    async with connected(live, token) as ws, connected(live, other_token) as other_ws:
        await events(ws, await progress(ws, case.id), 1)
        watching = await progress(other_ws, other_case.id)
        await events(other_ws, watching, 1)
        async with unit_of_work():
            await accounts.sign_out(token)
        async with asyncio.timeout(2):
            closed = await ws.closed()
        await act(other_case.id, "accept")
        after = await events(other_ws, watching, 1)

    assert closed == (4403, "Forbidden")
    assert after == [(2, "accept")]


async def test_ending_a_staff_members_sessions_closes_their_connections_at_once(redis_live, sms):
    """Through Redis, as between API processes: an admin ends one staff member's sessions; that member's two
    connections close at once, another staff member's stays open."""
    from api.accounts.models import AuthSession
    from api.kit.crypto import token_hash
    from api.kit.db import unit_of_work
    from tests.factories import ADMIN
    from tests.graphql.helpers import staff_token

    token = await staff_token(redis_live.http, "township_officer")
    colleague = await staff_token(redis_live.http, "township_officer")
    staff_id = (await AuthSession.get(token_hash=token_hash(token))).staff_id

    async with connected(redis_live, token) as first, connected(redis_live, token) as second, \
            connected(redis_live, colleague) as other:
        await session_watch.live()  # Redis has confirmed the announcements' channel
        async with unit_of_work():
            ended = await accounts.end_staff_sessions(ADMIN, staff_id)
        async with asyncio.timeout(2):
            closed = [await first.closed(), await second.closed()]
        case = await make_case("dibao", "submitted")
        replayed = await events(other, await progress(other, case.id), 1)  # the colleague's connection works

    assert ended == 1
    assert closed == [(4403, "Forbidden")] * 2
    assert replayed == [(1, "submit")]


async def test_the_app_listens_for_ended_sessions_from_its_start(db, redis_server):
    """Started with the app, before any connection: the first connection's session is covered as well."""
    from api.accounts.service import SESSIONS_ENDED
    from api.app import create_app
    from api.kit.broker import configure_broker, get_broker
    from api.settings import get_settings, use_settings

    original = get_settings()
    app = create_app(original.model_copy(update={"redis_url": redis_server.url}), manage_database=False)
    redis = Redis.from_url(redis_server.url)
    try:
        async with app.router.lifespan_context(app):
            listening = get_broker().local_subscribers(SESSIONS_ENDED)
            async with asyncio.timeout(5):
                while dict(await redis.pubsub_numsub(SESSIONS_ENDED)).get(SESSIONS_ENDED.encode(), 0) < 1:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)  # Redis has no event to wait on for this
    finally:
        await redis.aclose()
        configure_broker(use_settings(original))

    assert listening == 1  # and Redis counts the process's subscription (else the wait above times out)


async def test_checking_a_staff_connection_does_not_keep_its_session_alive(live, sms, monkeypatch):
    from datetime import timedelta

    from api.accounts.models import AuthSession
    from api.kit import clock
    from api.kit.crypto import token_hash
    from api.settings import get_settings
    from tests.graphql.helpers import staff_token

    monkeypatch.setattr(TransportWSHandler, "ping_seconds", 0.05)
    monkeypatch.setattr(TransportWSHandler, "session_check_pings", 1)
    token = await staff_token(live.http, "township_officer")
    session = await AuthSession.get(token_hash=token_hash(token))
    quiet_since = clock.now() - timedelta(minutes=get_settings().staff_idle_minutes - 1)

    async with connected(live, token) as ws:  # signing the connection in is activity; what follows is not
        await AuthSession.filter(id=session.id).update(last_seen_at=quiet_since)
        for _ in range(3):  # checked at every ping: still within the idle limit
            await ws.wait_ping()
        seen_after_checks = (await AuthSession.get(id=session.id)).last_seen_at
        await AuthSession.filter(id=session.id).update(last_seen_at=quiet_since - timedelta(minutes=2))
        closed = await ws.closed()

    assert seen_after_checks == quiet_since  # the checks are not activity
    assert closed == (4403, "Forbidden")


async def test_twenty_first_subscription_on_one_connection_is_refused(live, sms):
    applicant, token = await applicant_with_token(live, sms)
    case = await make_case("dibao", "submitted", applicant=applicant)

    async with connected(live, token) as ws:
        ops = [await progress(ws, case.id) for _ in range(MAX_SUBSCRIPTIONS_PER_CONNECTION)]
        running = [await events(ws, op, 1) for op in ops]
        codes = await ws.error_codes(await progress(ws, case.id))

    assert MAX_SUBSCRIPTIONS_PER_CONNECTION == 20
    assert running == [[(1, "submit")]] * 20
    assert codes == ["too_many_subscriptions"]


async def test_completed_subscription_frees_its_place(live, sms):
    applicant, token = await applicant_with_token(live, sms)
    case = await make_case("dibao", "submitted", applicant=applicant)

    async with connected(live, token) as ws:
        ops = [await progress(ws, case.id) for _ in range(MAX_SUBSCRIPTIONS_PER_CONNECTION)]
        for op in ops:
            await events(ws, op, 1)
        await ws.complete(ops[0])
        replacement = await progress(ws, case.id)
        replayed = await events(ws, replacement, 1)

    assert replayed == [(1, "submit")]


async def test_connection_whose_subscription_falls_behind_is_closed_with_a_reason(live, sms, monkeypatch):
    monkeypatch.setattr(subscriptions, "LIVE_QUEUE", 1)
    monkeypatch.setattr(service, "live_event", lambda event: None)  # every step is read from the database
    applicant, token = await applicant_with_token(live, sms)
    case = await make_case("dibao", "submitted", applicant=applicant)
    read, never = repository.events_of, asyncio.Event()

    async def stuck(case_id, **kw):
        await never.wait()  # the subscriber stops consuming, as a client that does not read would

    async def replay_then_stuck(case_id, **kw):
        monkeypatch.setattr(repository, "events_of", stuck)
        return await read(case_id, **kw)

    monkeypatch.setattr(repository, "events_of", replay_then_stuck)
    async with connected(live, token) as ws:
        replayed = await events(ws, await progress(ws, case.id), 1)
        for action in ("accept", "investigate", "verify"):
            await act(case.id, action)
        closed = await ws.closed()

    assert replayed == [(1, "submit")]
    assert closed == (1013, "subscriber too slow; reconnect with afterSeq")
