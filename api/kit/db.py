"""Database set-up: one Tortoise app, migrations checked in under api/migrations."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from tortoise import Tortoise, connections
from tortoise.transactions import in_transaction

MODEL_MODULES = [
    "api.regions.models",
    "api.aid_items.models",
    "api.accounts.models",
    "api.applicants.models",
    "api.cases.models",
    "api.materials.models",
    "api.outbox.models",
    "api.province.models",
    "api.surveys.models",
    "api.disbursements.models",
    "api.audit.models",
]


_MARK = re.compile(r"\$(\d+)")
_sql_log = logging.getLogger("tortoise.db_client")  # where Tortoise logs its statements (tests count them there)


def _together(held: list[tuple[str, list, Callable[[Any], None] | None]]) -> tuple[str, list]:
    """One statement of several writes: each a data-modifying WITH part, its $n renumbered after the ones before,
    and the RETURNING value of each that has one in the single row the statement answers."""
    parts, values, answers = [], [], []
    for i, (sql, args, on_value) in enumerate(held):
        offset = len(values)
        parts.append(f"w{i} AS ({_MARK.sub(lambda m, offset=offset: f'${int(m[1]) + offset}', sql)})")
        values += args
        if on_value is not None:
            answers.append(f"(SELECT * FROM w{i}) AS w{i}")
    return f"WITH {', '.join(parts)} SELECT {', '.join(answers) or '1'}", values


_PooledConnection: type | None = None


def _pooled_connection_class() -> type:
    global _PooledConnection
    if _PooledConnection is not None:
        return _PooledConnection
    import asyncpg

    class PooledConnection(asyncpg.Connection):
        """Goes back to the pool without asyncpg's reset query (a round trip and four statements after every
        query run outside a transaction): nothing here leaves session state behind (no LISTEN, advisory lock,
        cursor or session-level SET; SET LOCAL ends with its transaction). An open transaction is still
        rolled back.

        Holds writes back (`hold`): a write of a unit of work that nothing reads back before the commit waits
        here and goes to the server with the writes held after it, as one statement, just before the next
        statement of any kind on this connection (a read, another write, the commit). So the server sees the
        same statements in the same order, one round trip instead of several. A rollback (to a savepoint, or
        of the whole transaction) drops what is held: it was written after the last statement sent."""

        _held: list | tuple = ()  # (table, sql, args, on_value) in order; the instance's own list once it holds

        def get_reset_query(self) -> str:
            return ""

        def hold(self, table: str, sql: str, args: list, on_value: Callable[[Any], None] | None = None) -> bool:
            """Holds a write (its RETURNING value, if any, goes to `on_value` when it is sent); False, holding
            nothing, when a write to that table is held already: writes sent together must not touch one row
            twice (PostgreSQL does not order the parts of one statement), so the caller sends it as usual."""
            if any(t == table for t, *_ in self._held):
                return False
            if not self._held:
                self._held = []
            self._held.append((table, sql, args, on_value))
            return True

        async def send_held(self) -> None:
            """Sends the held writes now, one statement for all of them."""
            held = [(sql, args, on_value) for _, sql, args, on_value in self._held]
            self._held = []
            if not held:
                return
            if len(held) == 1:
                sql, values = held[0][0], held[0][1]
            else:
                sql, values = _together(held)
            _sql_log.debug("%s: %s", sql, values)
            row = await super().fetchrow(sql, *values)
            answers = iter(row.values() if row is not None else ())
            for _, _, on_value in held:
                if on_value is not None:
                    on_value(next(answers))

        async def execute(self, query: str, *args, **kwargs) -> str:
            if self._held:
                if not args and query.startswith("ROLLBACK"):
                    self._held = []
                else:
                    await self.send_held()
            return await super().execute(query, *args, **kwargs)

        async def executemany(self, command: str, args, **kwargs):
            if self._held:
                await self.send_held()
            return await super().executemany(command, args, **kwargs)

        async def fetch(self, query: str, *args, **kwargs):
            if self._held:
                await self.send_held()
            return await super().fetch(query, *args, **kwargs)

        async def fetchrow(self, query: str, *args, **kwargs):
            if self._held:
                await self.send_held()
            return await super().fetchrow(query, *args, **kwargs)

        async def fetchval(self, query: str, *args, **kwargs):
            if self._held:
                await self.send_held()
            return await super().fetchval(query, *args, **kwargs)

        async def fetchmany(self, query: str, args, **kwargs):
            if self._held:
                await self.send_held()
            return await super().fetchmany(query, args, **kwargs)

        async def prepare(self, query: str, **kwargs):
            if self._held:
                await self.send_held()
            return await super().prepare(query, **kwargs)

        async def reset(self, **kwargs) -> None:
            self._held = []
            await super().reset(**kwargs)

    _PooledConnection = PooledConnection
    return PooledConnection


def tortoise_config(database_url: str) -> dict[str, Any]:
    """Returns the Tortoise configuration for a database URL."""
    connection: str | dict[str, Any] = database_url
    if database_url.startswith(("postgres://", "asyncpg://")):
        from tortoise.backends.base.config_generator import expand_db_url

        connection = expand_db_url(database_url)
        connection["credentials"]["connection_class"] = _pooled_connection_class()
    return {
        "connections": {"default": connection},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "api.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def init_db(database_url: str, *, migrate: bool = True) -> None:
    """Connects to the database and applies checked-in migrations."""
    if database_url.startswith("sqlite://"):
        from pathlib import Path

        path = database_url.removeprefix("sqlite://").split("?")[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    config = tortoise_config(database_url)
    if migrate:
        from tortoise.migrations.api.migrate import migrate as run_migrations

        await run_migrations(config=config)
    await Tortoise.init(config=config, _enable_global_fallback=True)


async def close_db() -> None:
    """Closes every connection and forgets the model registry (so another backend can be set up)."""
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    await Tortoise.close_connections()
    await Tortoise._reset_apps()
    EXECUTOR_CACHE.clear()  # compiled statements are keyed by connection name, not by dialect


UNAVAILABLE = "系统暂时不可用，请稍后重试"


def database_unavailable(error: BaseException | None) -> bool:
    """Whether an error, or one that caused it, means the database cannot be reached just now (down, restarting,
    the connection dropped mid-request): the request may be sent again, so it is a 503, not a bug."""
    import asyncpg

    for _ in range(10):
        if error is None:
            return False
        if isinstance(error, (ConnectionError, asyncpg.CannotConnectNowError, asyncpg.ConnectionDoesNotExistError,
                              asyncpg.ConnectionFailureError, asyncpg.AdminShutdownError)):
            return True
        if isinstance(error, asyncpg.InterfaceError) and "connection is closed" in str(error):
            return True
        error = error.__cause__ or error.__context__
    return False


_after_commit: ContextVar[list[Callable[[], Awaitable[None]]] | None] = ContextVar("after_commit", default=None)


def after_commit(callback: Callable[[], Awaitable[None]]) -> None:
    """Runs `callback` once the surrounding unit of work commits (at once if there is none)."""
    pending = _after_commit.get()
    if pending is None:
        import asyncio

        asyncio.get_running_loop().create_task(callback())
        return
    pending.append(callback)


_unit: ContextVar[UnitOfWork | None] = ContextVar("unit_of_work", default=None)


def publish_after_commit(messages: list[tuple[str, dict]]) -> None:
    """Publishes broker messages, (channel, message) in order, once the surrounding unit of work commits: all the
    messages of one unit in one `publish_many` (one Redis call: a transition's events and the outbox's wake-up
    go out together); at once if there is no unit."""
    from api.kit.broker import get_broker

    unit = _unit.get()
    if unit is None or _after_commit.get() is not unit._callbacks:
        async def now() -> None:
            await get_broker().publish_many(messages)

        after_commit(now)
        return
    if not unit._messages:
        async def flush() -> None:
            await get_broker().publish_many(unit._messages)

        unit._callbacks.append(flush)
    unit._messages.extend(messages)


class UnitOfWork:
    """One transaction around one mutation; after-commit callbacks run only if it commits."""

    async def __aenter__(self) -> UnitOfWork:
        self._callbacks: list[Callable[[], Awaitable[None]]] = []
        self._messages: list[tuple[str, dict]] = []
        self._token = _after_commit.set(self._callbacks)
        self._unit_token = _unit.set(self)
        self._tx = in_transaction()
        self._client = await self._tx.__aenter__()
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        failed: BaseException | None = None
        try:
            if exc_type is None:
                try:  # the writes still held go before the commit; one that fails rolls the unit back
                    await _send_held(self._client)
                except BaseException as e:
                    failed, exc_type, exc, tb = e, type(e), e, e.__traceback__
            await self._tx.__aexit__(exc_type, exc, tb)
        finally:
            _after_commit.reset(self._token)
            _unit.reset(self._unit_token)
        if failed is not None:
            raise failed
        if exc_type is None:
            for callback in self._callbacks:
                await callback()


def _holding(conn) -> Any:
    """The PostgreSQL connection of the current unit of work's own transaction, which may hold writes back
    (`PooledConnection.hold`); None elsewhere (SQLite, no unit, a nested transaction, another connection)."""
    unit = _unit.get()
    if unit is None or conn is not unit._client:
        return None
    connection = getattr(conn, "_connection", None)
    return connection if callable(getattr(connection, "hold", None)) else None


async def _send_held(client) -> None:
    """Sends what the unit's connection holds, its errors translated as Tortoise translates a statement's."""
    connection = getattr(client, "_connection", None)
    if not getattr(connection, "_held", None):
        return

    async def send(_client) -> None:
        async with client.acquire_connection() as held_on:
            await held_on.send_held()

    await client._translate_exceptions(send)


def unit_of_work() -> UnitOfWork:
    """Opens one transaction; use as `async with unit_of_work():`."""
    return UnitOfWork()


async def save_many(objects: list, fields: tuple[str, ...]) -> None:
    """Writes these fields of several rows of one model back in one round trip: one UPDATE by primary key per
    row, sent as one batch (`executemany`), each value converted by its field as a save converts it. A row
    listed twice is written twice, in order. Runs in the current transaction, if any; one row, in a unit of
    work on PostgreSQL, is held back to go with the next statement (`PooledConnection.hold`)."""
    if not objects:
        return
    meta = objects[0]._meta
    fields_map, columns, pk = meta.fields_map, meta.fields_db_projection, meta.db_pk_column
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    marks = [f"${i}" if postgres else "?" for i in range(1, len(fields) + 2)]
    sets = ", ".join(f'"{columns[name]}" = {mark}' for name, mark in zip(fields, marks, strict=False))
    sql = f'UPDATE "{meta.db_table}" SET {sets} WHERE "{pk}" = {marks[-1]}'
    rows = [[fields_map[name].to_db_value(getattr(obj, name), obj) for name in fields] + [obj.pk] for obj in objects]
    holding = _holding(conn) if len(rows) == 1 else None
    if holding is None or not holding.hold(meta.db_table, sql, rows[0]):
        await conn.execute_many(sql, rows)


_insert_sql: dict[tuple[type, str, bool], tuple[str, tuple[str, ...]]] = {}


def _insert(obj, dialect: str, *, once: bool) -> tuple[str, tuple[str, ...]]:
    """The INSERT of a model's row (SQL and the fields whose values it takes, in order), built once per model."""
    built = _insert_sql.get((type(obj), dialect, once))
    if built is None:
        meta = obj._meta
        names = tuple(name for name in meta.fields_db_projection
                      if not (name == meta.pk_attr and meta.pk.generated))
        marks = ", ".join(f"${i}" if dialect == "postgres" else "?" for i in range(1, len(names) + 1))
        columns = ", ".join(f'"{meta.fields_db_projection[name]}"' for name in names)
        tail = " ON CONFLICT DO NOTHING" if once else f' RETURNING "{meta.db_pk_column}"'
        built = _insert_sql[(type(obj), dialect, once)] = (
            f'INSERT INTO "{meta.db_table}" ({columns}) VALUES ({marks}){tail}', names)
    return built


async def insert(obj) -> None:
    """Inserts a new row and sets its generated primary key, with SQL built once per model (what `create`
    does, without building the query each time). Runs in the current transaction, if any; in a unit of work on
    PostgreSQL the write is held back to go with the next statement (`PooledConnection.hold`), and the key is
    set when it goes."""
    conn = connections.get("default")
    sql, names = _insert(obj, conn.capabilities.dialect, once=False)
    fields_map = obj._meta.fields_map
    values = [fields_map[name].to_db_value(getattr(obj, name), obj) for name in names]
    holding = _holding(conn)
    if holding is None or not holding.hold(obj._meta.db_table, sql, values, lambda pk: setattr(obj, "pk", pk)):
        rows = await conn.execute_query_dict(sql, values)
        obj.pk = next(iter(rows[0].values()))
    obj._saved_in_db = True


async def add_once(obj) -> None:
    """Inserts a row unless one of the table's unique keys already holds it (`INSERT … ON CONFLICT DO NOTHING`,
    one statement, the SQL built once per model): what `bulk_create(ignore_conflicts=True)` of one row does,
    without building the query each time. Runs in the current transaction, if any; held back in a unit of work
    on PostgreSQL, as `insert` is."""
    conn = connections.get("default")
    sql, names = _insert(obj, conn.capabilities.dialect, once=True)
    values = [obj._meta.fields_map[name].to_db_value(getattr(obj, name), obj) for name in names]
    holding = _holding(conn)
    if holding is None or not holding.hold(obj._meta.db_table, sql, values):
        await conn.execute_query(sql, values)


_select_sql: dict[tuple[type, str, bool], str] = {}


async def get_by_pk(model: type, pk: Any, *, for_update: bool = False):
    """Reads one row by primary key with SQL built once per model (no query building per call), locked until the
    transaction ends when `for_update` (PostgreSQL; SQLite writes one at a time anyway); None when absent."""
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    sql = _select_sql.get((model, dialect, for_update))
    if sql is None:
        meta = model._meta
        mark = "$1" if dialect == "postgres" else "?"
        lock = " FOR UPDATE" if for_update and dialect == "postgres" else ""
        sql = _select_sql[(model, dialect, for_update)] = (
            f'SELECT * FROM "{meta.db_table}" WHERE "{meta.db_pk_column}" = {mark} LIMIT 1{lock}')
    rows = await conn.execute_query_dict(sql, [pk])
    return model._init_from_db(**rows[0]) if rows else None
