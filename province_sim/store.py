"""The simulator's own SQLite database (aiosqlite, WAL): applications, seen nonces, callback sends, counters."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiosqlite

from province_sim import rules
from province_sim.bodies import ApplicationIn

SHANGHAI = ZoneInfo("Asia/Shanghai")

SCHEMA = """
CREATE TABLE IF NOT EXISTS application (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    app_key TEXT NOT NULL,
    request_id TEXT NOT NULL,
    reference TEXT UNIQUE,
    county_code TEXT NOT NULL,
    case_number TEXT NOT NULL,
    applied_on TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    id_number TEXT NOT NULL,
    birth_date TEXT NOT NULL,
    address TEXT NOT NULL,
    bank_name TEXT,
    bank_account TEXT,
    callback_url TEXT NOT NULL,
    batch_callback_url TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    reason TEXT,
    monthly_amount TEXT,
    first_month TEXT,
    decided_at TEXT,
    received_at REAL NOT NULL,
    decide_at REAL NOT NULL,
    -- waiting (not decided yet) | due (a callback is owed) | delivered | given_up
    callback_state TEXT NOT NULL DEFAULT 'waiting',
    callback_attempts INTEGER NOT NULL DEFAULT 0,
    next_callback_at REAL,
    UNIQUE (app_key, request_id)
);
CREATE INDEX IF NOT EXISTS application_decide ON application (status, decide_at);
CREATE INDEX IF NOT EXISTS application_callback ON application (callback_state, next_callback_at);
CREATE INDEX IF NOT EXISTS application_id_number ON application (id_number, status);
CREATE TABLE IF NOT EXISTS nonce (
    app_key TEXT NOT NULL,
    nonce TEXT NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (app_key, nonce)
);
CREATE INDEX IF NOT EXISTS nonce_seen_at ON nonce (seen_at);
CREATE TABLE IF NOT EXISTS callback_send (
    callback_id TEXT PRIMARY KEY,
    application_id INTEGER NOT NULL REFERENCES application (id),
    attempt INTEGER NOT NULL,
    duplicate INTEGER NOT NULL,
    sent_at REAL NOT NULL,
    http_status INTEGER,
    error TEXT,
    acknowledged INTEGER NOT NULL,
    batch_id TEXT  -- the decisions sent in one batched callback share it; NULL for a single callback
);
CREATE TABLE IF NOT EXISTS counter (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""

# Columns added after the first release: a database file made before them gains them when opened.
ADDED_COLUMNS = (("application", "batch_callback_url", "TEXT"), ("callback_send", "batch_id", "TEXT"))

COUNTERS = ("applications_received", "reconcile_requests", "refused_signature", "refused_invalid",
            "refused_conflict", "faults_503", "faults_500", "faults_timeout")


@dataclass(frozen=True)
class Application:
    id: int
    app_key: str
    request_id: str
    reference: str
    county_code: str
    case_number: str
    id_number: str
    applied_on: date
    callback_url: str
    batch_callback_url: str | None
    status: str
    reason: str | None
    monthly_amount: str | None
    first_month: str | None
    decided_at: str | None
    callback_attempts: int

    def status_body(self) -> dict:
        """Returns the contract's Status object."""
        return {"reference": self.reference, "request_id": self.request_id, "status": self.status,
                "reason": self.reason, "monthly_amount": self.monthly_amount, "first_month": self.first_month,
                "decided_at": self.decided_at}


@dataclass(frozen=True)
class Conflict:
    """A request id already used for another case: refused, nothing stored or changed."""

    request_id: str
    case_number: str  # the case that has the request id


@dataclass(frozen=True)
class Send:
    """One callback sent (a decision in a batched callback is one send; its batch_id names the batch)."""

    callback_id: str
    application_id: int
    attempt: int
    duplicate: bool
    sent_at: float
    http_status: int | None
    error: str | None
    acknowledged: bool
    batch_id: str | None = None


class Store:
    """One connection; every statement runs under one lock, so transactions never interleave.

    Each aiosqlite call is a hop to its thread and back, so a step that one statement can do runs as that one
    statement (autocommit), and reads fetch their rows in the same hop as the statement."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str) -> Store:
        """Opens (creating if needed) the database file in WAL mode, with its tables."""
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA journal_mode=WAL")
        # WAL with NORMAL survives the process dying (only a power cut can lose the last commits): enough for a
        # simulator, and a commit no longer waits for the disk
        await conn.execute("PRAGMA synchronous=NORMAL")
        await conn.execute("PRAGMA busy_timeout=5000")
        await conn.execute("PRAGMA foreign_keys=ON")
        await conn.executescript(SCHEMA)
        await _add_missing_columns(conn)
        return cls(conn)

    async def close(self) -> None:
        async with self._lock:
            await self._conn.close()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def remember_nonce(self, app_key: str, nonce: str, now: float) -> bool:
        """Records a nonce; returns False when it was already seen (a replay)."""
        async with self._lock:  # one statement: atomic by itself
            rows = await self._conn.execute_fetchall(
                "INSERT INTO nonce (app_key, nonce, seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING 1",
                (app_key, nonce, now))
            return len(rows) == 1

    async def forget_nonces_before(self, moment: float) -> None:
        async with self._transaction() as db:
            await db.execute("DELETE FROM nonce WHERE seen_at < ?", (moment,))

    async def count(self, name: str) -> None:
        async with self._lock:  # one statement: atomic by itself
            await _bump(self._conn, name)

    async def receive(self, app_key: str, body: ApplicationIn, *, now: float,
                      decide_at: float) -> tuple[Application, bool] | Conflict:
        """Stores a new application as pending, or finds the one with this request id; returns it and
        whether it was already there, or the Conflict when the request id belongs to another case."""
        return (await self.receive_many(app_key, [body], now=now, decide_at=decide_at))[0]

    async def receive_many(self, app_key: str, bodies: Sequence[ApplicationIn], *, now: float, decide_at: float,
                           refused_invalid: int = 0) -> list[tuple[Application, bool] | Conflict]:
        """receive() for several applications in one transaction (five aiosqlite hops however many there are):
        one result per body, in order. `refused_invalid` adds the batch's invalid applications to that counter.

        The new rows get their ids (and so their references) here: the write lock is held from BEGIN IMMEDIATE
        and an AUTOINCREMENT id is one more than sqlite_sequence's, so no second statement sets the reference."""
        if not bodies:
            if refused_invalid:
                async with self._lock:  # one statement: atomic by itself
                    await _add_to_counters(self._conn, {"refused_invalid": refused_invalid})
            return []
        year = datetime.fromtimestamp(now, SHANGHAI).year
        async with self._transaction() as db:
            # one read: the rows these request ids already have, and the last id handed out (a row even if none)
            rows = await db.execute_fetchall(
                "SELECT last.seq AS last_id, a.* FROM (SELECT coalesce((SELECT seq FROM sqlite_sequence"
                " WHERE name = 'application'), 0) AS seq) AS last LEFT JOIN application AS a"
                f" ON a.app_key = ? AND a.request_id IN ({', '.join('?' * len(bodies))})",
                (app_key, *(body.request_id for body in bodies)))
            last_id = rows[0]["last_id"]
            known = {row["request_id"]: _application(row) for row in rows if row["id"] is not None}
            results: list[tuple[Application, bool] | Conflict] = []
            inserts: list[tuple] = []
            received = conflicts = 0
            for body in bodies:
                found = known.get(body.request_id)
                if found is None:
                    last_id += 1
                    created = _new_application(last_id, app_key, body, rules.reference(year, last_id))
                    known[body.request_id] = created
                    inserts.append(_insert_params(created, body, now, decide_at))
                    results.append((created, False))
                elif (found.county_code, found.case_number) != (body.county_code, body.case_number):
                    conflicts += 1
                    results.append(Conflict(body.request_id, found.case_number))
                    continue
                else:
                    results.append((found, True))
                received += 1
            if inserts:
                await db.executemany(
                    "INSERT INTO application (id, app_key, request_id, reference, county_code, case_number,"
                    " applied_on, applicant_name, id_number, birth_date, address, bank_name, bank_account,"
                    " callback_url, batch_callback_url, received_at, decide_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", inserts)
            await _add_to_counters(db, {"applications_received": received, "refused_conflict": conflicts,
                                        "refused_invalid": refused_invalid})
            return results

    async def find(self, app_key: str, request_id: str) -> Application | None:
        async with self._lock:
            return await _one(self._conn, "SELECT * FROM application WHERE app_key = ? AND request_id = ?",
                              (app_key, request_id))

    async def decide_due(self, now: float, *, bands: dict[int, str]) -> int:
        """Decides every pending application whose time has come, oldest first; returns how many."""
        async with self._lock:  # most ticks find nothing: one read, no transaction
            if not await self._conn.execute_fetchall(
                    "SELECT 1 FROM application WHERE status = 'pending' AND decide_at <= ? LIMIT 1", (now,)):
                return 0
        async with self._transaction() as db:
            rows = await db.execute_fetchall("SELECT * FROM application WHERE status = 'pending' AND decide_at <= ?"
                                             " ORDER BY id", (now,))
            if not rows:
                return 0
            due = [_application(row) for row in rows]
            decided_at = datetime.fromtimestamp(now, SHANGHAI).isoformat(timespec="seconds")
            # the same hops however many are due: one read for the ID numbers already approved, one executemany
            approved = {row[0] for row in await db.execute_fetchall(
                "SELECT DISTINCT id_number FROM application WHERE status = 'approved'"
                " AND id_number IN (SELECT value FROM json_each(?))", (json.dumps([app.id_number for app in due]),))}
            decisions = []
            for app in due:  # oldest first: an approval earlier in this batch counts for the later ones
                verdict = rules.decide(app.id_number, app.applied_on, bands=bands,
                                       approved_elsewhere=app.id_number in approved)
                if verdict.status == "approved":
                    approved.add(app.id_number)
                decisions.append((verdict.status, verdict.reason, verdict.monthly_amount, verdict.first_month,
                                  decided_at, now, app.id))
            await db.executemany(
                "UPDATE application SET status = ?, reason = ?, monthly_amount = ?, first_month = ?,"
                " decided_at = ?, callback_state = 'due', callback_attempts = 0, next_callback_at = ?"
                " WHERE id = ?", decisions)
            return len(due)

    async def decide_all_now(self, now: float) -> int:
        """Makes every pending application due for a decision; returns how many."""
        async with self._transaction() as db:
            cur = await db.execute("UPDATE application SET decide_at = ? WHERE status = 'pending'", (now,))
            return cur.rowcount

    async def callbacks_due(self, now: float, *, limit: int = 100) -> list[Application]:
        """Returns the decided applications whose callback is owed now, oldest first."""
        async with self._lock:
            rows = await self._conn.execute_fetchall(
                "SELECT * FROM application WHERE callback_state = 'due' AND next_callback_at <= ?"
                " ORDER BY id LIMIT ?", (now, limit))
            return [_application(row) for row in rows]

    async def record_send(self, *, callback_id: str, application_id: int, attempt: int, duplicate: bool,
                          sent_at: float, http_status: int | None, error: str | None, acknowledged: bool) -> None:
        await self.record_sends([Send(callback_id, application_id, attempt, duplicate, sent_at, http_status, error,
                                      acknowledged)])

    async def record_sends(self, sends: Sequence[Send]) -> None:
        """Records several sends in one statement (atomic by itself, one hop)."""
        if not sends:
            return
        async with self._lock:
            await self._conn.execute(
                "INSERT INTO callback_send (callback_id, application_id, attempt, duplicate, sent_at, http_status,"
                " error, acknowledged, batch_id) VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(sends)),
                [value for send in sends for value in (
                    send.callback_id, send.application_id, send.attempt, int(send.duplicate), send.sent_at,
                    send.http_status, send.error, int(send.acknowledged), send.batch_id)])

    async def finish_attempt(self, application_id: int, *, acknowledged: bool, now: float, max_attempts: int,
                             backoff: float, backoff_max: float) -> None:
        """Marks the callback delivered, or schedules the next attempt with exponential back-off, or gives up."""
        await self.finish_attempts({application_id: acknowledged}, now=now, max_attempts=max_attempts,
                                   backoff=backoff, backoff_max=backoff_max)

    async def finish_attempts(self, outcomes: dict[int, bool], *, now: float, max_attempts: int, backoff: float,
                              backoff_max: float) -> None:
        """finish_attempt() for several applications (id → acknowledged) in one statement, one hop.

        The statement (atomic by itself) counts each attempt and decides, from the count it makes, what is next."""
        if not outcomes:
            return
        acknowledged = json.dumps([app_id for app_id, ok in outcomes.items() if ok])
        async with self._lock:
            await self._conn.execute(
                "UPDATE application SET callback_attempts = callback_attempts + 1,"
                " callback_state = CASE WHEN id IN (SELECT value FROM json_each(?1)) THEN 'delivered'"
                "  WHEN callback_attempts + 1 >= ?3 THEN 'given_up' ELSE callback_state END,"
                " next_callback_at = CASE WHEN id IN (SELECT value FROM json_each(?1)) OR callback_attempts + 1 >= ?3"
                "  THEN next_callback_at ELSE ?4 + min(?5 * (1 << min(callback_attempts, 40)), ?6) END"
                " WHERE id IN (SELECT value FROM json_each(?2))",
                (acknowledged, json.dumps(list(outcomes)), max_attempts, now, backoff, backoff_max))

    async def stats(self) -> dict[str, int]:
        """Returns the counts an operator or a test wants to see."""
        async with self._lock:
            db = self._conn
            result = dict.fromkeys(COUNTERS, 0)
            cur = await db.execute("SELECT name, value FROM counter")
            result.update({row["name"]: row["value"] for row in await cur.fetchall()})
            cur = await db.execute(
                "SELECT count(*) AS unique_request_ids,"
                " coalesce(sum(status = 'pending'), 0) AS pending,"
                " coalesce(sum(status != 'pending'), 0) AS decided,"
                " coalesce(sum(status = 'approved'), 0) AS approved,"
                " coalesce(sum(status = 'rejected'), 0) AS rejected,"
                " coalesce(sum(callback_state = 'delivered'), 0) AS callbacks_delivered,"
                " coalesce(sum(callback_state = 'given_up'), 0) AS callbacks_given_up"
                " FROM application")
            result.update(dict(await cur.fetchone()))
            cur = await db.execute(
                "SELECT count(*) AS callbacks_attempted,"
                " coalesce(sum(acknowledged), 0) AS callbacks_acknowledged,"
                " coalesce(sum(duplicate), 0) AS duplicate_callbacks_sent,"
                " count(DISTINCT batch_id) AS callback_batches_sent"
                " FROM callback_send")
            result.update(dict(await cur.fetchone()))
            return result

    async def reset(self) -> None:
        """Forgets everything: applications, nonces, callback sends and counters."""
        async with self._transaction() as db:
            for table in ("callback_send", "application", "nonce", "counter"):
                await db.execute(f"DELETE FROM {table}")
            await db.execute("DELETE FROM sqlite_sequence WHERE name = 'application'")


async def _add_missing_columns(conn: aiosqlite.Connection) -> None:
    for table, column, declaration in ADDED_COLUMNS:
        columns = {row["name"] for row in await conn.execute_fetchall(f"PRAGMA table_info({table})")}
        if column not in columns:
            await conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


async def _add_to_counters(db: aiosqlite.Connection, amounts: dict[str, int]) -> None:
    """Adds to several counters in one statement; zero amounts are left out."""
    rows = [(name, amount) for name, amount in amounts.items() if amount]
    if rows:
        await db.execute("INSERT INTO counter (name, value) VALUES " + ", ".join(["(?, ?)"] * len(rows))
                         + " ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                         [value for row in rows for value in row])


def _new_application(row_id: int, app_key: str, body: ApplicationIn, reference: str) -> Application:
    return Application(
        id=row_id, app_key=app_key, request_id=body.request_id, reference=reference, county_code=body.county_code,
        case_number=body.case_number, id_number=body.applicant.id_number, applied_on=body.applied_on,
        callback_url=body.callback_url, batch_callback_url=body.batch_callback_url, status="pending", reason=None,
        monthly_amount=None, first_month=None, decided_at=None, callback_attempts=0)


def _insert_params(app: Application, body: ApplicationIn, now: float, decide_at: float) -> tuple:
    bank = body.bank
    return (app.id, app.app_key, app.request_id, app.reference, body.county_code, body.case_number,
            body.applied_on.isoformat(), body.applicant.name, body.applicant.id_number,
            body.applicant.birth_date.isoformat(), body.applicant.address, bank.bank_name if bank else None,
            bank.account if bank else None, body.callback_url, body.batch_callback_url, now, decide_at)


async def _bump(db: aiosqlite.Connection, name: str) -> None:
    await db.execute("INSERT INTO counter (name, value) VALUES (?, 1)"
                     " ON CONFLICT (name) DO UPDATE SET value = value + 1", (name,))


async def _one(db: aiosqlite.Connection, sql: str, params: tuple) -> Application | None:
    rows = await db.execute_fetchall(sql, params)
    return _application(rows[0]) if rows else None


def _application(row: aiosqlite.Row) -> Application:
    return Application(
        id=row["id"], app_key=row["app_key"], request_id=row["request_id"], reference=row["reference"],
        county_code=row["county_code"], case_number=row["case_number"], id_number=row["id_number"],
        applied_on=date.fromisoformat(row["applied_on"]), callback_url=row["callback_url"],
        batch_callback_url=row["batch_callback_url"], status=row["status"], reason=row["reason"],
        monthly_amount=row["monthly_amount"], first_month=row["first_month"], decided_at=row["decided_at"],
        callback_attempts=row["callback_attempts"])
