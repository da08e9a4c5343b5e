"""The scaled-out topology as plain processes: PostgreSQL, Redis, two API processes, two workers and the
province simulator, each a real server started here (docker/compose.yaml describes the same set)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from PIL import Image

from api.kit.idnumber import make_id_number
from tests.harness.pg import free_port
from tests.harness.redis import start_redis
from tests.subscriptions.client import LiveServer, connected

# uvicorn closes a keep-alive connection after 5 s idle, and httpx keeps one for 5 s by default: a request sent on a
# connection the server is closing at that moment fails with ReadError (seen once under load). The clients here let
# go of idle connections first.
POOL = httpx.Limits(keepalive_expiry=2.0)

ROOT = Path(__file__).resolve().parent.parent.parent
XINQIAO = "511703002006"
PASSWORD = "Dachuan2026"
ADMIN_TOKEN = "system-test-admin"
APPLICATIONS = 500


@dataclass
class Topology:
    api: list[str]
    sim: str
    workers: list[subprocess.Popen]
    processes: list[subprocess.Popen]
    env: dict
    psql: object
    logs: Path


def _wait_http(url: str, proc: subprocess.Popen, path: str = "/healthz") -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{proc.args} exited with {proc.returncode}"
        try:
            if httpx.get(url + path, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


@pytest.fixture(scope="module")
def topology(postgres, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("system")
    postgres.psql("drop database if exists dachuan_system")
    postgres.psql("create database dachuan_system")
    redis = start_redis()
    api_ports, sim_port = [free_port(), free_port()], free_port()
    env = {**os.environ, "ENVIRONMENT": "test", "DATABASE_URL": postgres.dsn_for("dachuan_system"),
           "REDIS_URL": redis.url, "PROVINCE_URL": f"http://127.0.0.1:{sim_port}", "PROVINCE_TIMEOUT_SECONDS": "3",
           "MIGRATE_ON_START": "false", "EMBEDDED_WORKERS": "false", "EMBEDDED_PROVINCE_SIM": "false",
           "STORAGE_ROOT": str(tmp / "materials"), "SMS_BACKEND": "log", "OUTBOX_MAX_ATTEMPTS": "100",
           "RECONCILE_AFTER_SECONDS": "20", "RECONCILE_INTERVAL_SECONDS": "10",
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{api_ports[0]}", "LOAD_DEMO_DATA": "true"}
    # the demo staff accounts are the system test's staff
    subprocess.run([sys.executable, "-m", "api", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    processes: list[subprocess.Popen] = []
    sim_env = {**env, "PROVINCE_SIM_PORT": str(sim_port), "PROVINCE_SIM_DATABASE_PATH": str(tmp / "sim.sqlite3"),
               "PROVINCE_SIM_DECISION_DELAY_SECONDS": "0.2", "PROVINCE_SIM_ADMIN_TOKEN": ADMIN_TOKEN}
    logs = tmp / "logs"
    logs.mkdir()

    def spawn(args: list[str], name: str, extra: dict | None = None) -> subprocess.Popen:
        out = open(logs / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
        proc = subprocess.Popen(args, cwd=ROOT, env={**env, **(extra or {})}, stdout=out, stderr=subprocess.STDOUT)
        processes.append(proc)
        return proc

    sim = spawn([sys.executable, "-m", "province_sim"], "sim", sim_env)
    _wait_http(f"http://127.0.0.1:{sim_port}", sim)
    apis = [spawn([sys.executable, "-m", "api"], f"api{i}", {"PORT": str(p)}) for i, p in enumerate(api_ports)]
    for proc, port in zip(apis, api_ports, strict=True):
        _wait_http(f"http://127.0.0.1:{port}", proc)
    workers = [spawn([sys.executable, "-m", "workers"], f"worker{i}") for i in range(2)]
    try:
        yield Topology(api=[f"http://127.0.0.1:{p}" for p in api_ports], sim=f"http://127.0.0.1:{sim_port}",
                       workers=workers, processes=processes, env=env,
                       psql=lambda sql: postgres.psql(sql, "dachuan_system").strip(), logs=logs)
    finally:
        for proc in processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in processes:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        redis.stop()


async def _gql(http: httpx.AsyncClient, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = await http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert not body.get("errors"), body
    return body["data"]


async def _sign_in(http: httpx.AsyncClient, username: str) -> str:
    d = await _gql(http, "mutation($u:String!,$p:String!){ authStaffSignIn(username:$u,password:$p){ "
                         "... on SignInSuccess { token } } }", {"u": username, "p": PASSWORD})
    return d["authStaffSignIn"]["token"]


def _photo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 40), (200, 200, 190)).save(buf, format="JPEG")
    return buf.getvalue()


async def _apply_for(http: httpx.AsyncClient, worker: str, n: int) -> str:
    """Registers an elderly person (80–95) on their behalf and submits a 高龄津贴 application; returns the case id."""
    birth = date(1931 + n % 15, 1 + n % 12, 1 + n % 28)
    d = await _gql(http, "mutation($i:ProfileInput!){ applicantRegister(input:$i){ __typename "
                         "... on ApplicantSuccess { applicant { id } } ... on Error { code message } } }",
                   {"i": {"name": "测试老人", "idNumber": make_id_number(birth=birth, seq=n % 999 + 1),
                          "address": f"新桥村{n}号", "regionCode": XINQIAO, "bankName": "四川农信",
                          "bankAccount": f"62179955{n:010d}"}}, worker)
    applicant_id = d["applicantRegister"]["applicant"]["id"]
    mats = []
    for kind in ("id_card", "bank_card", "proxy_consent"):
        r = await http.post("/api/materials", data={"kind": kind, "applicantId": applicant_id},
                            files={"file": ("p.jpg", _photo(), "image/jpeg")},
                            headers={"Authorization": f"Bearer {worker}"})
        assert r.status_code == 201, r.text
        mats.append(r.json()["id"])
    d = await _gql(http, "mutation($i:CaseSubmitInput!){ caseSubmit(input:$i){ __typename "
                         "... on CaseSuccess { case { id } } ... on Error { code message } } }",
                   {"i": {"itemCode": "gaoling", "submissionKey": uuid.uuid4().hex, "applicantId": applicant_id,
                          "materialIds": mats, "form": {}}}, worker)
    assert d["caseSubmit"]["__typename"] == "CaseSuccess", d
    return d["caseSubmit"]["case"]["id"]


async def _accept(http: httpx.AsyncClient, township: str, case_id: str) -> dict:
    d = await _gql(http, "mutation($id:ID!){ caseAccept(caseId:$id){ __typename ... on CaseSuccess { case { "
                         "status lastSeq } } ... on Error { code message } } }", {"id": case_id}, township)
    assert d["caseAccept"]["__typename"] == "CaseSuccess", d
    return d["caseAccept"]["case"]


async def test_a_client_on_the_same_machine_cannot_name_its_own_address(topology):
    """`python -m api` without TRUST_FORWARDED_FOR: the address of a request (the per-address limits, the audit
    log) is the connection's peer, also for a client on 127.0.0.1 that sends X-Forwarded-For (uvicorn would
    otherwise believe that header from any local client)."""
    probe = f"probe{uuid.uuid4().hex[:12]}"
    async with httpx.AsyncClient(base_url=topology.api[0], timeout=10, limits=POOL) as api:
        response = await api.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9", "X-Request-Id": probe})
    assert response.status_code == 200
    lines = []
    for _ in range(50):  # the access line is written as the answer leaves
        lines = [json.loads(line) for line in (topology.logs / "api0.log").read_text().splitlines()
                 if probe in line and line.startswith("{")]
        if lines:
            break
        await asyncio.sleep(0.1)

    assert [line["client"] for line in lines] == ["127.0.0.1"]


async def test_a_subscriber_on_one_api_process_sees_a_transition_made_through_the_other(topology):
    async with httpx.AsyncClient(base_url=topology.api[0], timeout=30, limits=POOL) as api1, \
            httpx.AsyncClient(base_url=topology.api[1], timeout=30, limits=POOL) as api2:
        worker = await _sign_in(api1, "cun-xinqiao")
        township = await _sign_in(api2, "jd-cuiping")
        case_id = await _apply_for(api1, worker, 9000)
        async with connected(LiveServer(url=topology.api[0], http=api1), township) as ws:
            op = await ws.subscribe("subscription($id:ID!){ caseProgress(caseId:$id, afterSeq:1){ seq toStatus } }",
                                    {"id": case_id})
            await asyncio.sleep(0.5)  # the subscription is live once the server has subscribed to Redis
            accepted = await _accept(api2, township, case_id)
            event = await ws.next_data(op)
    assert accepted["lastSeq"] == 2
    assert event["caseProgress"] == {"seq": 2, "toStatus": "ACCEPTED"}


async def test_500_elderly_allowance_applications_are_each_decided_once_through_outage_and_a_killed_worker(topology):
    async with httpx.AsyncClient(base_url=topology.sim, timeout=10, limits=POOL) as sim:
        r = await sim.post("/admin/faults", json={"down_for_seconds": 8}, headers={"X-Admin-Token": ADMIN_TOKEN})
        assert r.status_code == 200
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=topology.api[0], timeout=60, limits=POOL) as api1, \
            httpx.AsyncClient(base_url=topology.api[1], timeout=60, limits=POOL) as api2:
        worker = await _sign_in(api1, "cun-xinqiao")
        township = await _sign_in(api2, "jd-cuiping")
        gate = asyncio.Semaphore(12)
        killed = False

        async def one(n: int) -> str:
            nonlocal killed
            async with gate:
                case_id = await _apply_for(api1 if n % 2 else api2, worker, n)
                await _accept(api2 if n % 2 else api1, township, case_id)
                if n >= APPLICATIONS // 2 and not killed:
                    killed = True
                    topology.workers[0].send_signal(signal.SIGKILL)  # mid-run, with rows claimed or in flight
                return case_id

        case_ids = await asyncio.gather(*(one(n) for n in range(APPLICATIONS)))
    assert len(set(case_ids)) == APPLICATIONS
    ids = ",".join(case_ids)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        decided = int(topology.psql(f"select count(*) from aid_case where id in ({ids}) "
                                    "and status in ('approved', 'rejected')"))
        if decided >= APPLICATIONS:
            break
        await asyncio.sleep(1)
    elapsed = time.monotonic() - started
    print(f"\n{APPLICATIONS} applications decided in {elapsed:.1f} s")
    assert topology.workers[0].poll() == -signal.SIGKILL
    assert decided == APPLICATIONS
    assert topology.psql(f"select count(*) from aid_case where id in ({ids}) and status = 'approved'") == str(
        APPLICATIONS)
    twice = topology.psql(f"select count(*) from (select case_id from case_event where case_id in ({ids}) "
                          "and action = 'province_decide' group by case_id having count(*) > 1) t")
    once = topology.psql(f"select count(distinct case_id) from case_event where case_id in ({ids}) "
                         "and action = 'province_decide'")
    gaps = topology.psql(f"select count(*) from (select case_id from case_event where case_id in ({ids}) "
                         "group by case_id having max(seq) <> count(*) or min(seq) <> 1) t")
    assert (twice, once, gaps) == ("0", str(APPLICATIONS), "0")
    async with httpx.AsyncClient(base_url=topology.sim, timeout=10, limits=POOL) as sim:
        stats = (await sim.get("/admin/stats", headers={"X-Admin-Token": ADMIN_TOKEN})).json()
    assert stats["approved"] >= APPLICATIONS
    assert stats["unique_request_ids"] == stats["approved"] + stats["rejected"]
    assert stats["faults_503"] > 0
    sent_once = topology.psql(f"select count(*) from province_sync where case_id in ({ids}) and state = 'decided'")
    assert sent_once == str(APPLICATIONS)
