"""A small graphql-transport-ws client over `websockets`, and a real uvicorn server for it to talk to."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections import defaultdict, deque
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import uvicorn
import websockets
from fastapi import FastAPI

from api.kit.broker import get_broker
from tests.harness.pg import free_port

PROTOCOL = "graphql-transport-ws"
WAIT = 5.0  # seconds any single expected message may take before the test fails


@dataclass
class LiveServer:
    url: str
    http: httpx.AsyncClient

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/graphql"


@asynccontextmanager
async def serve(app: FastAPI):
    """Runs `app` under uvicorn on a free port inside the running event loop (no per-message deflate)."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, ws_per_message_deflate=False,
                                           lifespan="off", log_config=None, log_level="warning"))
    task = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:
        assert not task.done(), "uvicorn stopped before it started"
        await asyncio.sleep(0.01)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            yield LiveServer(url=url, http=http)
    finally:
        server.should_exit = True
        await task


async def until_subscribed(channel: str, count: int = 1) -> None:
    """Waits until `count` subscriptions of this process listen on `channel` (a server-side subscription
    that yields nothing at first gives the client no other sign that it is live)."""
    async with asyncio.timeout(WAIT):
        while get_broker().local_subscribers(channel) < count:  # noqa: ASYNC110 (no event to wait on)
            await asyncio.sleep(0.01)


class GraphQLWS:
    """One graphql-transport-ws connection: subscribe, read `next`/`error`/`complete` per operation, answer pings."""

    def __init__(self, ws: websockets.ClientConnection) -> None:
        self.ws = ws
        self._ids = itertools.count(1)
        self._inbox: dict[str, deque[dict]] = defaultdict(deque)
        self.pings = 0

    async def subscribe(self, query: str, variables: dict | None = None) -> str:
        """Starts an operation; returns its id."""
        op_id = str(next(self._ids))
        await self.send({"id": op_id, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})
        return op_id

    async def complete(self, op_id: str) -> None:
        """Stops an operation."""
        await self.send({"id": op_id, "type": "complete"})

    async def send(self, message: dict) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self, op_id: str) -> dict:
        """Returns the next message of the operation (waiting at most WAIT seconds)."""
        async with asyncio.timeout(WAIT):
            while not self._inbox[op_id]:
                await self._read_one()
        return self._inbox[op_id].popleft()

    async def next_data(self, op_id: str) -> dict:
        """Returns the data of the operation's next result; fails on anything else."""
        message = await self.receive(op_id)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        return message["payload"]["data"]

    async def error_codes(self, op_id: str) -> list[str | None]:
        """Returns the codes of the errors that ended the operation (as `next` with errors, or `error`)."""
        message = await self.receive(op_id)
        assert message["type"] in ("next", "error"), message
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        return [(e.get("extensions") or {}).get("code") for e in errors]

    async def wait_ping(self) -> None:
        """Waits until the server sends a ping (answering it with a pong)."""
        seen = self.pings
        async with asyncio.timeout(WAIT):
            while self.pings == seen:
                await self._read_one()

    async def closed(self) -> tuple[int | None, str | None]:
        """Waits for the server to close the connection; returns (code, reason)."""
        async with asyncio.timeout(WAIT):
            await self.ws.wait_closed()
        return self.ws.close_code, self.ws.close_reason

    async def _read_one(self) -> None:
        message = json.loads(await self.ws.recv())
        if message["type"] == "ping":
            self.pings += 1
            await self.send({"type": "pong"})
        elif message["type"] != "pong":
            self._inbox[message["id"]].append(message)


@asynccontextmanager
async def connect(server: LiveServer, payload: dict | None = None, *, subprotocol: str = PROTOCOL):
    """Opens a connection and, given a payload, sends `connection_init`; yields it (acknowledged or not)."""
    async with websockets.connect(server.ws_url, subprotocols=[subprotocol], compression=None,
                                  open_timeout=WAIT) as ws:
        if payload is not None:
            await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        yield GraphQLWS(ws)


@asynccontextmanager
async def connected(server: LiveServer, token: str | None):
    """Opens a connection signed in with `token` (or anonymous) and waits for `connection_ack`."""
    async with connect(server, {"token": token} if token else {}) as client:
        async with asyncio.timeout(WAIT):
            ack = json.loads(await client.ws.recv())
        assert ack["type"] == "connection_ack", ack
        yield client
