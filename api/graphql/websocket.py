"""GraphQL over WebSocket: graphql-transport-ws only, sign-in in `connection_init`, server pings, a cap."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from graphql import GraphQLError
from starlette.websockets import WebSocket, WebSocketState
from strawberry.exceptions import ConnectionRejectionError
from strawberry.fastapi import GraphQLRouter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from api.graphql.context import Context

log = logging.getLogger("dachuan.graphql")

MAX_SUBSCRIPTIONS_PER_CONNECTION = 20
# 1013 "try again later": clients reconnect (graphql-ws does for this code) and resume with afterSeq.
SLOW_SUBSCRIBER_CLOSE = (1013, "subscriber too slow; reconnect with afterSeq")
# The session the connection signed in with has ended: as a refused connection_init, 4403.
SESSION_ENDED_CLOSE = (4403, "Forbidden")
_closing: set[asyncio.Task] = set()


def connection_token(params: Any) -> str | None:
    """Returns the token of a `connection_init` payload: `{"authorization": "Bearer …"}` or `{"token": "…"}`."""
    if not isinstance(params, dict):
        return None
    token = params.get("token")
    if isinstance(token, str) and token.strip():
        return token.strip()
    value = params.get("authorization") or params.get("Authorization")
    if isinstance(value, str) and value.lower().startswith("bearer "):
        return value[7:].strip() or None
    return None


class TransportWSHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws with keep-alive pings from the server and a per-connection subscription cap."""

    ping_seconds = 15.0
    # Every this many pings the connection's session is checked again: one signed out, revoked (an admin ended
    # it, a password changed), expired or of a disabled account ends the connection and its subscriptions.
    session_check_pings = 4

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pinger: asyncio.Task | None = None

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and self._pinger is None:
            self._pinger = asyncio.create_task(self._ping())
            actor = getattr(self.context, "actor", None)
            if actor is not None and actor.session_id is not None:
                session_watch.add(self, actor.session_id, actor.staff_id)

    def end_for_session(self) -> None:
        """Closes the connection because its session ended (4403, as a refused `connection_init`)."""
        task = asyncio.get_running_loop().create_task(self._close_ended())
        _closing.add(task)
        task.add_done_callback(_closed)

    async def _close_ended(self) -> None:
        try:
            await self.websocket.close(*SESSION_ENDED_CLOSE)
        except (WebSocketDisconnected, RuntimeError):  # already closed: nothing left to end
            pass

    async def _ping(self) -> None:
        # pings keep proxies from dropping a quiet connection and tell a client its connection is alive
        pings = 0
        while True:
            await asyncio.sleep(self.ping_seconds)
            pings += 1
            try:
                if pings % self.session_check_pings == 0 and not await self._session_still_valid():
                    await self.websocket.close(*SESSION_ENDED_CLOSE)
                    return
                await self.send_message({"type": "ping"})
            except (WebSocketDisconnected, RuntimeError):  # closed under us: the receive loop ends the handler
                return

    async def _session_still_valid(self) -> bool:
        """Tells whether the token the connection signed in with still names a live session (anonymous: yes)."""
        token = getattr(self.context, "token", None)
        actor = getattr(self.context, "actor", None)
        if token is None or actor is None or actor.kind == "anonymous":
            return True
        try:
            return await session_live(token)
        except Exception as e:  # the database being away is no reason to drop every live connection
            log.warning("could not check a live connection's session: %s", e)
            return True

    async def handle_subscribe(self, message: Any) -> None:
        limit = self.max_subscriptions_per_connection
        if (self.connection_acknowledged and limit is not None and message.get("id") not in self.operations
                and len(self.operations) >= limit):
            error = GraphQLError(f"每个连接最多同时订阅{limit}项，请先取消不用的订阅",
                                 extensions={"code": "too_many_subscriptions"})
            await self.send_message({"id": message["id"], "type": "error", "payload": [error.formatted]})
            return
        await super().handle_subscribe(message)

    async def shutdown(self) -> None:
        session_watch.discard(self)
        if self._pinger is not None:
            self._pinger.cancel()
            await asyncio.gather(self._pinger, return_exceptions=True)
        await super().shutdown()


class SessionWatch:
    """Closes a process's live connections at once when their session ends: one broker subscription per process
    to the accounts' `sessions-ended` announcements (sign-out, an admin ending sessions, a password reset, a
    disabled account), matched against the connections signed in here. A message lost while Redis was away is
    caught by each connection's own check of its session every minute."""

    def __init__(self) -> None:
        self._handlers: dict[TransportWSHandler, tuple[int, int | None]] = {}
        self._watch: Any = None

    async def live(self) -> None:
        """Waits until announcements reach this process (through Redis: once it confirmed the channel); an
        end announced before that is caught by the connection's own check."""
        if self._watch is not None:
            await self._watch.live()

    def start(self) -> None:
        """Listens from now on (the app's start-up calls this, so the first connection's session is covered
        too; without it the first signed-in connection starts listening)."""
        self._ensure_listening()

    def add(self, handler: TransportWSHandler, session_id: int, staff_id: int | None) -> None:
        self._handlers[handler] = (session_id, staff_id)
        self._ensure_listening()

    def discard(self, handler: TransportWSHandler) -> None:
        self._handlers.pop(handler, None)

    def _ensure_listening(self) -> None:
        if self._watch is None:
            from api.accounts.service import SESSIONS_ENDED
            from api.kit.broker import ChannelWatch

            self._watch = ChannelWatch(
                SESSIONS_ENDED, lambda m: self._ended(m.get("session_id"), m.get("staff_id")), max_queue=10_000,
                name="session-watch", on_overflow=lambda: log.warning(
                    "session announcements fell behind; live connections rely on their own checks"))
        self._watch.start()

    def _ended(self, session_id: int | None, staff_id: int | None) -> None:
        if session_id is None and staff_id is None:
            return  # a resync after a Redis outage, not an announcement
        for handler, (h_session, h_staff) in list(self._handlers.items()):
            if h_session == session_id or (session_id is None and h_staff == staff_id):
                self._handlers.pop(handler, None)
                handler.end_for_session()


session_watch = SessionWatch()


async def session_live(token: str) -> bool:
    """Tells whether a token's session still admits its caller, by the rules `accounts.resolve_session` applies
    (not revoked, not expired, the staff account enabled and not idle too long) but without counting the check
    as activity: an open connection must not keep an idle staff session alive."""
    from api.accounts import repository as accounts
    from api.kit import clock
    from api.kit.crypto import token_hash
    from api.settings import get_settings

    found = await accounts.live_session(token_hash=token_hash(token))
    session = found[0] if found is not None else None
    now = clock.now()
    if session is None or session.revoked_at is not None or session.expires_at <= now:
        return False
    if session.kind == "staff":
        staff = session.staff
        seen = session.last_seen_at or session.created_at
        return (staff is not None and not staff.disabled
                and now - seen < timedelta(minutes=get_settings().staff_idle_minutes))
    return session.citizen is not None


class GraphQLRoute(GraphQLRouter):
    """The GraphQL endpoint: HTTP for queries and mutations, graphql-transport-ws for subscriptions."""

    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, schema: Any, **kwargs: Any) -> None:
        kwargs.setdefault("subscription_protocols", [GRAPHQL_TRANSPORT_WS_PROTOCOL])
        kwargs.setdefault("max_subscriptions_per_connection", MAX_SUBSCRIPTIONS_PER_CONNECTION)
        super().__init__(schema, **kwargs)

    async def on_ws_connect(self, context: Context) -> None:
        """Signs the connection in with the token of `connection_init`; a token that fails is refused (4403)."""
        from api.accounts import service as accounts

        token = connection_token(context.connection_params) or context.token
        if token is None:
            return None  # anonymous: every subscription refuses it with `unauthenticated`
        actor = await accounts.resolve_session(token)
        if actor is None:
            raise ConnectionRejectionError()  # Strawberry closes with 4403 Forbidden
        context.actor = actor
        context.token = token
        return None


def closer_for_slow_subscriber(context: Context):
    """Returns a callback that closes the caller's WebSocket because a subscription fell behind."""
    websocket = getattr(context, "request", None)

    def close() -> None:
        if not isinstance(websocket, WebSocket) or websocket.application_state != WebSocketState.CONNECTED:
            return
        task = asyncio.get_running_loop().create_task(websocket.close(*SLOW_SUBSCRIBER_CLOSE))
        _closing.add(task)
        task.add_done_callback(_closed)

    return close


def _closed(task: asyncio.Task) -> None:
    _closing.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("closing a slow subscriber's connection failed: %s", task.exception())
