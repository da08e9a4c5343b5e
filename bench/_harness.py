"""What both benchmarks share: the scaled-out topology as plain processes (PostgreSQL, Redis, API, workers,
simulator), the bench process's own view of the database (Tortoise + the Redis broker, for seeding and for
transitions that go through the service layer), a graphql-transport-ws subscriber pool, and figures.

Not a test helper: nothing here asserts; it starts things, measures, and cleans up after itself.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import websockets  # noqa: E402

PASSWORD = "Dachuan2026"
XINQIAO = "511703002006"  # 新桥村, where cun-xinqiao works and jd-cuiping's township covers
PROTOCOL = "graphql-transport-ws"
MAX_SUBS_PER_CONNECTION = 20  # api/graphql/websocket.py MAX_SUBSCRIPTIONS_PER_CONNECTION


# ---------------------------------------------------------------------------------------------- processes

def raise_nofile() -> int:
    """Raises this process's open-file limit to the hard limit; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    from tests.harness.pg import free_port as _free_port

    return _free_port()


def rss_kib(pid: int) -> int:
    """Returns VmRSS of a process in KiB (from /proc/<pid>/status)."""
    return _status_field(pid, "VmRSS")


def hwm_kib(pid: int) -> int:
    """Returns VmHWM (peak RSS) of a process in KiB."""
    return _status_field(pid, "VmHWM")


def _status_field(pid: int, name: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{name} not in /proc/{pid}/status")


def cpu_seconds(pid: int) -> float:
    """Returns user+system CPU time a process has used (from /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(parts[11]) + int(parts[12])) / ticks


def _postmaster(datadir: str) -> int:
    with open(os.path.join(datadir, "postmaster.pid")) as f:
        return int(f.readline())


def _tree(root: int) -> list[int]:
    """The process and its direct children (PostgreSQL's backends are children of the postmaster)."""
    pids = [root]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == root:
            pids.append(int(entry))
    alive = []
    for pid in pids:
        try:
            cpu_seconds(pid)
            alive.append(pid)
        except OSError:
            pass
    return alive


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores; from /proc/stat)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def busy_now(seconds: float = 1.0) -> float:
    """How busy the machine is right now, in % of all cores, over `seconds`."""
    before = machine_busy()
    time.sleep(seconds)
    return 100 * (machine_busy() - before) / seconds / (os.cpu_count() or 1)


def cpu_delta(before: dict[str, float], after: dict[str, float], seconds: float) -> str:
    """'name 12.3 s (45% of a core), …' for every process, busiest first; then what the rest of the machine
    used meanwhile (other people's processes on a shared machine skew every figure)."""
    used = sorted(((after[k] - before.get(k, 0.0), k) for k in after if k != "machine"), reverse=True)
    text = ", ".join(f"{k} {v:.1f} s ({100 * v / seconds:.0f}%)" for v, k in used if v >= 0.05)
    if "machine" in before and "machine" in after:
        machine = after["machine"] - before["machine"]
        other = max(machine - sum(v for v, _ in used), 0.0)
        cores = os.cpu_count() or 1
        text += (f"; machine {100 * machine / seconds / cores:.0f}% busy, processes outside this bench "
                 f"{other:.1f} s ({100 * other / seconds:.0f}% of a core)")
    return text


class Topology:
    """Owns every process the bench starts, and stops them (and the throw-away PostgreSQL/Redis) on close."""

    def __init__(self, name: str, *, keep: bool = False) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix=f"dachuan-bench-{name}-"))
        self.logs = self.tmp / "logs"
        self.logs.mkdir()
        self.keep = keep
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.pg = None
        self.redis = None
        self.env: dict[str, str] = {}
        self.database_url = ""
        self.extra_pids: dict[str, int] = {}  # more processes to count in cpu_snapshot (e.g. client processes)

    # -- the stores
    def start_stores(self) -> None:
        from tests.harness.pg import start_postgres
        from tests.harness.redis import start_redis

        self.pg = start_postgres()
        self.pg.psql("create database dachuan_bench")
        self.database_url = self.pg.dsn_for("dachuan_bench")
        self.redis = start_redis()

    def base_env(self, **extra: str) -> dict[str, str]:
        env = {**os.environ, "ENVIRONMENT": "test", "DATABASE_URL": self.database_url,
               "REDIS_URL": self.redis.url, "MIGRATE_ON_START": "false", "EMBEDDED_WORKERS": "false",
               "EMBEDDED_PROVINCE_SIM": "false", "STORAGE_ROOT": str(self.tmp / "materials"),
               "SMS_BACKEND": "log", "LOAD_DEMO_DATA": "true", "PYTHONUNBUFFERED": "1"}
        env.update(extra)
        self.env = env
        return env

    def migrate(self) -> None:
        """`python -m api migrate`: schema, catalogue, regions and the demo staff accounts."""
        subprocess.run([sys.executable, "-m", "api", "migrate"], cwd=ROOT, env=self.env, check=True,
                       capture_output=True)

    def spawn(self, args: list[str], name: str, extra: dict[str, str] | None = None) -> subprocess.Popen:
        out = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 (the child keeps it; closed at exit)
        proc = subprocess.Popen(args, cwd=ROOT, env={**self.env, **(extra or {})}, stdout=out,
                                stderr=subprocess.STDOUT, preexec_fn=raise_nofile)
        self.processes.append((name, proc))
        return proc

    def wait_http(self, url: str, proc: subprocess.Popen, path: str = "/healthz", timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{proc.args} exited with {proc.returncode}; see {self.logs}")
            try:
                if httpx.get(url + path, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{url} did not come up; see {self.logs}")

    def start_api(self, name: str, port: int, extra: dict[str, str] | None = None,
                  gc_log: Path | None = None) -> subprocess.Popen:
        """`python -m api` on a port; with `gc_log`, run through bench/_gcwrap.py to log collector pauses."""
        env = {"PORT": str(port), **(extra or {})}
        if gc_log is not None:
            args = [sys.executable, str(Path(__file__).with_name("_gcwrap.py")), "api"]
            env["BENCH_GC_LOG"] = str(gc_log)
        else:
            args = [sys.executable, "-m", "api"]
        proc = self.spawn(args, name, env)
        self.wait_http(f"http://127.0.0.1:{port}", proc)
        return proc

    def cpu_snapshot(self) -> dict[str, float]:
        """CPU seconds used so far by each started process, Redis, PostgreSQL (all its processes) and this one."""
        out: dict[str, float] = {}
        for name, proc in self.processes:
            try:
                out[name] = cpu_seconds(proc.pid)
            except (OSError, IndexError):
                pass
        if self.redis is not None and self.redis.process is not None:
            out["redis"] = cpu_seconds(self.redis.process.pid)
        if self.pg is not None:
            out["postgres"] = sum(cpu_seconds(pid) for pid in _tree(_postmaster(self.pg.datadir)))
        for name, pid in self.extra_pids.items():
            try:
                out[name] = cpu_seconds(pid)
            except (OSError, IndexError):
                pass
        out["bench"] = cpu_seconds(os.getpid())
        out["machine"] = machine_busy()
        return out

    def check_alive(self) -> None:
        for name, proc in self.processes:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.logs / (name + '.log')}")

    def close(self) -> None:
        for _, proc in self.processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _, proc in self.processes:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self.redis is not None:
            self.redis.stop()
        if self.pg is not None:
            self.pg.stop()
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


def start_profilers(topology: Topology, pids: dict[str, int], phase: str) -> list[subprocess.Popen]:
    """py-spy (`--format raw`, 200 Hz) on each named process until `stop_profilers`; each profile goes to
    `<tmp>/profile-<phase>-<name>.txt`, for `bench/pyspy_top.py`. py-spy must be in the venv (not a dependency)."""
    spy = os.path.join(os.path.dirname(sys.executable), "py-spy")
    procs = []
    for name, pid in pids.items():
        out = topology.tmp / f"profile-{phase}-{name}.txt"
        procs.append(subprocess.Popen([spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "200",
                                       "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
    return procs


def stop_profilers(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.send_signal(signal.SIGINT)
    for p in procs:
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()


# ------------------------------------------------------------------------------ the bench's own database view

async def open_service_layer(topology: Topology):
    """Connects this process to the bench database and Redis as an API process would (no listener needed:
    publishing alone reaches the API process's subscribers). Returns the Settings in use."""
    from api.kit.broker import configure_broker
    from api.kit.crypto import configure_cipher
    from api.kit.db import init_db
    from api.kit.storage import configure_store
    from api.settings import Settings, use_settings

    settings = use_settings(Settings(environment="test", database_url=topology.database_url,
                                     redis_url=topology.redis.url, storage_root=topology.tmp / "materials",
                                     sms_backend="log", load_demo_data=False, migrate_on_start=False,
                                     embedded_workers=False, embedded_province_sim=False))
    configure_cipher(settings)
    configure_store(settings.storage_root)
    configure_broker(settings)
    await init_db(settings.database_url, migrate=False)
    return settings


async def close_service_layer() -> None:
    from api.kit.broker import get_broker
    from api.kit.db import close_db

    await get_broker().stop()
    await close_db()


async def actor_for(token: str):
    from api.accounts import service as accounts

    actor = await accounts.resolve_session(token)
    if actor is None:
        raise RuntimeError("token did not resolve to an actor")
    return actor


def id_numbers(n: int, first_birth: date) -> Iterable[tuple[str, date]]:
    """Yields n distinct valid ID numbers (seq 100..899 per birth date, so the demo applicants never clash)."""
    from api.kit.idnumber import make_id_number

    for i in range(n):
        birth = first_birth + timedelta(days=i // 800)
        yield make_id_number(birth=birth, seq=100 + i % 800), birth


async def seed_cases(worker_token: str, *, n: int, item_code: str, material_kinds: tuple[str, ...], form: dict,
                     first_birth: date, batch: int = 50, parallel: int = 4,
                     progress: Callable[[str], None] | None = None) -> list[int]:
    """Registers n applicants in 新桥村 and submits one case each on their behalf, through the service layer
    (applicants.register, cases.submit), as the village worker. The material rows are written directly
    (the files themselves are never read during a benchmark, so none are stored). Returns the case ids."""
    from api.applicants import service as applicants
    from api.cases import service as cases
    from api.kit.db import unit_of_work
    from api.materials.models import Material

    worker = await actor_for(worker_token)
    people = list(id_numbers(n, first_birth))
    case_ids: list[int | None] = [None] * n
    chunks = [range(i, min(i + batch, n)) for i in range(0, n, batch)]
    gate = asyncio.Semaphore(parallel)
    done = 0

    async def one_chunk(rows: range) -> None:
        nonlocal done
        async with gate:
            async with unit_of_work():
                made = []
                for i in rows:
                    number, _ = people[i]
                    applicant = await applicants.register(worker, applicants.ProfileInput(
                        name="压测老人", id_number=number, address=f"新桥村{i}号", region_code=XINQIAO,
                        bank_name="四川农信", bank_account=f"62179955{i:010d}"))
                    made.append(applicant.id)
                mats = []
                by_applicant: dict[int, list[str]] = {}
                for applicant_id in made:
                    for kind in (*material_kinds, "proxy_consent"):  # a proxy application carries consent
                        mid = uuid.uuid4()
                        mats.append(Material(id=mid, applicant_id=applicant_id, kind=kind, content_type="image/jpeg",
                                             size=1000, sha256="0" * 64, storage_key=f"bench-{mid.hex}",
                                             original_name="p.jpg", width=64, height=40, uploaded_by_kind="staff",
                                             uploaded_by_staff_id=worker.staff_id))
                        by_applicant.setdefault(applicant_id, []).append(str(mid))
                await Material.bulk_create(mats)
                for i, applicant_id in zip(rows, made, strict=True):
                    case = await cases.submit(worker, cases.SubmitInput(
                        item_code=item_code, submission_key=uuid.uuid4().hex, form=form,
                        material_ids=by_applicant[applicant_id], applicant_id=applicant_id))
                    case_ids[i] = case.id
            done += len(rows)
            if progress is not None and (done % max(batch * 20, 1) < batch or done == n):
                progress(f"seeded {done}/{n} cases")

    await asyncio.gather(*(one_chunk(r) for r in chunks))
    return [c for c in case_ids if c is not None]


# ----------------------------------------------------------------------------------------------- GraphQL/HTTP

async def gql(http: httpx.AsyncClient | LiteHTTP, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = await http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    r.raise_for_status()
    body = r.json()
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    return body["data"]


async def sign_in(http: httpx.AsyncClient, username: str) -> str:
    d = await gql(http, "mutation($u:String!,$p:String!){ authStaffSignIn(username:$u,password:$p){ __typename "
                        "... on SignInSuccess { token } ... on Error { code message } } }",
                  {"u": username, "p": PASSWORD})
    payload = d["authStaffSignIn"]
    if "token" not in payload:
        raise RuntimeError(f"sign-in of {username} failed: {payload}")
    return payload["token"]


class LiteResponse:
    __slots__ = ("status_code", "content")

    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.content)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}: {self.text[:200]}")


class LiteHTTP:
    """A minimal HTTP/1.1 keep-alive client for the load generator's measured requests (POST only).

    The load generator stands for phones; on this 2-core machine it shares the cores with the system under
    test, so its own CPU is taken from the APIs. httpx spends 2–3 ms of CPU a request (more for a multipart
    photo, which it re-encodes every time); this client writes the request in one call and reads the answer
    with `asyncio` streams, a few hundred microseconds. Same behaviour where it matters: one connection per
    request in flight, reused while idle less than `idle` seconds (under uvicorn's 5 s keep-alive, so a
    request never goes out on a socket the server is closing), a whole-request `timeout`, a connection
    dropped after any failure. Answers with `Content-Length` or chunked bodies."""

    def __init__(self, base_url: str, *, timeout: float, idle: float = 2.0) -> None:
        from urllib.parse import urlsplit

        u = urlsplit(base_url)
        self.host, self.port = u.hostname or "127.0.0.1", u.port or 80
        self.timeout = timeout
        self.idle = idle
        self._free: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    async def post(self, path: str, *, json: object = None, content: bytes | None = None,
                   content_type: str | None = None, headers: dict[str, str] | None = None) -> LiteResponse:
        if json is not None:
            content, content_type = _json_dumps(json), "application/json"
        return await asyncio.wait_for(self._post(path, content or b"", content_type, headers or {}), self.timeout)

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        now = time.monotonic()
        while self._free:
            reader, writer, used = self._free.pop()
            if now - used < self.idle and not writer.is_closing() and not reader.at_eof():
                return reader, writer
            writer.close()
        return await asyncio.open_connection(self.host, self.port, limit=1 << 20)

    async def _post(self, path: str, body: bytes, content_type: str | None, headers: dict[str, str]) -> LiteResponse:
        lines = [f"POST {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines += [f"{k}: {v}" for k, v in headers.items()]
        reader, writer = await self._connection()
        try:
            writer.writelines([("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), body])
            status = int((await reader.readline()).split(b" ", 2)[1])
            length, chunked, close = None, False, False
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                name, value = name.strip().lower(), value.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"transfer-encoding" and b"chunked" in value:
                    chunked = True
                elif name == b"connection" and value == b"close":
                    close = True
            if chunked:
                parts = []
                while size := int((await reader.readline()).split(b";")[0], 16):
                    parts.append(await reader.readexactly(size))
                    await reader.readline()
                await reader.readline()
                data = b"".join(parts)
            elif length is not None:
                data = await reader.readexactly(length)
            else:
                data, close = await reader.read(), True
        except BaseException:
            writer.close()
            raise
        if close:
            writer.close()
        else:
            self._free.append((reader, writer, time.monotonic()))
        return LiteResponse(status, data)

    async def aclose(self) -> None:
        for _, writer, _ in self._free:
            writer.close()
        self._free.clear()


def _json_dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def multipart(fields: dict[str, str], file_field: str, filename: str, file_type: str,
              data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body (built once, sent many times) and its content type."""
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
              f"Content-Type: {file_type}\r\n\r\n".encode())
    out.write(data)
    out.write(f"\r\n--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


ACCEPT = ("mutation($id:ID!){ caseAccept(caseId:$id){ __typename ... on CaseSuccess { case { status lastSeq } } "
          "... on Error { code message } } }")


# ------------------------------------------------------------------------------------------- subscriber pool

PROGRESS = ("subscription($id:ID!,$after:Int!){ caseProgress(caseId:$id, afterSeq:$after){ "
            "seq action toStatus createdAt } }")


@dataclass
class Received:
    case_id: int
    seq: int
    action: str
    created_at: float  # epoch seconds of the event's createdAt (server clock; same machine)
    received_at: float  # epoch seconds at the subscriber


@dataclass
class SubscriberPool:
    """Many graphql-transport-ws connections, up to `per_connection` caseProgress subscriptions each.

    Every message is time-stamped (time.time()) as soon as the reader has it, before anything else is done
    with it. Use from one asyncio loop: `await pool.open(...)`, then read `pool.received`, then `close()`."""

    ws_urls: list[str]
    token: str
    per_connection: int = MAX_SUBS_PER_CONNECTION
    handshakes_at_once: int = 50
    received: list[Received] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    closed_by_server: int = 0
    on_receive: Callable[[Received], None] | None = None
    _tasks: list[asyncio.Task] = field(default_factory=list)
    _sockets: list = field(default_factory=list)

    async def open(self, case_ids: list[int], after_seq: int | dict[int, int]) -> None:
        """Opens the connections and sends every subscribe; returns once all are sent (the server gives no
        sign that a subscription is live: watch Redis PUBSUB NUMSUB for that)."""
        groups = [case_ids[i:i + self.per_connection] for i in range(0, len(case_ids), self.per_connection)]
        gate = asyncio.Semaphore(self.handshakes_at_once)
        urls = itertools.cycle(self.ws_urls)

        async def connect(group: list[int], url: str) -> None:
            async with gate:
                ws = await websockets.connect(url, subprotocols=[PROTOCOL], compression=None, open_timeout=60,
                                              ping_interval=None, max_size=2**20)
                await ws.send(json.dumps({"type": "connection_init", "payload": {"token": self.token}}))
                ack = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if ack.get("type") != "connection_ack":
                    raise RuntimeError(f"no connection_ack: {ack}")
                ops = {}
                for n, case_id in enumerate(group, 1):
                    ops[str(n)] = case_id
                    after = after_seq if isinstance(after_seq, int) else after_seq[case_id]
                    await ws.send(json.dumps({"id": str(n), "type": "subscribe",
                                              "payload": {"query": PROGRESS,
                                                          "variables": {"id": str(case_id), "after": after}}}))
            self._sockets.append(ws)
            self._tasks.append(asyncio.create_task(self._read(ws, ops)))

        await asyncio.gather(*(connect(g, next(urls)) for g in groups))

    async def _read(self, ws, ops: dict[str, int]) -> None:
        try:
            async for raw in ws:
                now = time.time()
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "next":
                    payload = message["payload"]
                    if payload.get("errors"):
                        self.errors.append(json.dumps(payload["errors"], ensure_ascii=False)[:300])
                        continue
                    e = payload["data"]["caseProgress"]
                    r = Received(case_id=ops[message["id"]], seq=e["seq"], action=e["action"],
                                 created_at=datetime.fromisoformat(e["createdAt"]).timestamp(), received_at=now)
                    self.received.append(r)
                    if self.on_receive is not None:
                        self.on_receive(r)
                elif kind == "ping":
                    await ws.send('{"type":"pong"}')
                elif kind in ("error", "complete"):
                    self.errors.append(f"{kind}: {json.dumps(message, ensure_ascii=False)[:300]}")
        except websockets.ConnectionClosed:
            pass
        if ws.close_code not in (None, 1000):
            self.closed_by_server += 1
            self.errors.append(f"connection closed by server: {ws.close_code} {ws.close_reason}")

    async def close(self) -> None:
        for ws in self._sockets:
            await ws.close()
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def wait_channels_live(redis_url: str, case_ids: list[int], limit: float, expect: int = 1) -> float:
    """Waits until Redis reports at least `expect` subscribers on every case channel; returns the seconds it took.
    (A case subscription is live once its API process has SUBSCRIBEd the channel.)"""
    from redis.asyncio import Redis

    started = time.monotonic()
    r = Redis.from_url(redis_url)
    try:
        pending = [f"case:{c}" for c in case_ids]
        while pending:
            still = []
            for i in range(0, len(pending), 2000):
                chunk = pending[i:i + 2000]
                counts = await r.pubsub_numsub(*chunk)
                still += [name.decode() if isinstance(name, bytes) else name
                          for name, count in counts if count < expect]
            pending = still
            if not pending:
                break
            if time.monotonic() - started > limit:
                raise TimeoutError(f"{len(pending)} case channels still not subscribed after {limit:.0f} s")
            await asyncio.sleep(0.1)
    finally:
        await r.aclose()
    return time.monotonic() - started


# ------------------------------------------------------------------------------------------------- figures

def gc_pauses(path: Path | None, start: float, end: float) -> str:
    """Summarises the collector pauses logged by bench/_gcwrap.py between two epoch times."""
    if path is None:
        return "not logged"
    rows = []
    if path.exists():
        for line in path.read_text().splitlines():
            t, gen, pause, _ = line.split()
            if start <= float(t) <= end:
                rows.append((int(gen), float(pause)))
    if not rows:
        return "none ≥ 10 ms and no full collection"
    full = [p for g, p in rows if g == 2]
    return (f"{len(full)} full collections (max {max(full, default=0) * 1000:.0f} ms, total "
            f"{sum(full) * 1000:.0f} ms); {sum(1 for _, p in rows if p >= 0.010)} pauses ≥ 10 ms, longest "
            f"{max(p for _, p in rows) * 1000:.0f} ms")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def summary_block(title: str, rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    lines = ["", "=" * 78, title, "=" * 78]
    lines += [f"{k:<{width}}  {v}" for k, v in rows]
    lines.append("=" * 78)
    return "\n".join(lines)


def machine() -> str:
    import platform

    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
        mem = f"{kb / 1048576:.0f} GiB"
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), {mem}, Python {platform.python_version()}"


def source_version() -> str:
    """The commit the code under test is at, and whether the working tree differs from it (read-only git)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted changes" if dirty else "")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def photo() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 40), (200, 200, 190)).save(buf, format="JPEG")
    return buf.getvalue()
