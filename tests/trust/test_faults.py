"""Fault tests. On real servers (a PostgreSQL cluster and a Redis server of this module's own, the API as a
subprocess): PostgreSQL crashes and comes back during a burst of submissions; Redis stops and starts under live
subscriptions. In process, with the clock advanced: the province is down for ten minutes and comes back."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from api.kit import clock
from api.kit.idnumber import make_id_number
from api.outbox import service as outbox
from api.settings import get_settings
from tests.harness.pg import PostgresCluster, free_port, start_postgres
from tests.harness.redis import RedisServer, start_redis
from tests.province.conftest import accepted_gaoling_case, round_trip  # noqa: F401 (a fixture)
from tests.subscriptions.client import LiveServer, connected
from tests.system.test_scaled_out import _accept, _gql, _photo, _sign_in, _wait_http

ROOT = Path(__file__).resolve().parents[2]
XINQIAO = "511703002006"
SUBMITTERS = 12
CASES_EACH = 5


@dataclass
class Servers:
    api: str
    pg: PostgresCluster
    redis: RedisServer
    psql: object
    log: Path


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    pg = start_postgres()
    # Commits reach the WAL before they are acknowledged, as in production: an immediate stop is then a crash
    # that loses nothing acknowledged (the shared test cluster trades this for speed).
    pg.halt()
    pg.opts = pg.opts.replace("synchronous_commit=off", "synchronous_commit=on")
    pg.resume()
    pg.psql("create database dachuan_faults")
    redis = start_redis()
    port = free_port()
    env = {**os.environ, "ENVIRONMENT": "test", "DATABASE_URL": pg.dsn_for("dachuan_faults"), "REDIS_URL": redis.url,
           "MIGRATE_ON_START": "false", "EMBEDDED_WORKERS": "false", "EMBEDDED_PROVINCE_SIM": "false",
           "PROVINCE_URL": f"http://127.0.0.1:{free_port()}", "STORAGE_ROOT": str(tmp / "materials"),
           "SMS_BACKEND": "log", "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "LOAD_DEMO_DATA": "true",
           "PORT": str(port)}  # rate limits as configured, held in Redis
    subprocess.run([sys.executable, "-m", "api", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    log = tmp / "api.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "api"], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        _wait_http(f"http://127.0.0.1:{port}", proc)
        yield Servers(api=f"http://127.0.0.1:{port}", pg=pg, redis=redis,
                      psql=lambda sql: pg.psql(sql, "dachuan_faults").strip(), log=log)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        redis.stop()
        pg.stop()


async def _prepare(http: httpx.AsyncClient, worker: str, n: int) -> tuple[str, list[str]]:
    """Registers an elderly person and uploads the three materials of a 高龄津贴 application."""
    birth = date(1931 + n % 15, 1 + n % 12, 1 + n % 28)
    d = await _gql(http, "mutation($i:ProfileInput!){ applicantRegister(input:$i){ __typename "
                         "... on ApplicantSuccess { applicant { id } } ... on Error { code message } } }",
                   {"i": {"name": "测试老人", "idNumber": make_id_number(birth=birth, seq=n % 999 + 1),
                          "address": f"新桥村{n}号", "regionCode": XINQIAO}}, worker)
    applicant_id = d["applicantRegister"]["applicant"]["id"]
    materials = []
    for kind in ("id_card", "bank_card", "proxy_consent"):
        r = await http.post("/api/materials", data={"kind": kind, "applicantId": applicant_id},
                            files={"file": ("p.jpg", _photo(), "image/jpeg")},
                            headers={"Authorization": f"Bearer {worker}"})
        assert r.status_code == 201, r.text
        materials.append(r.json()["id"])
    return applicant_id, materials


SUBMIT = ("mutation($i:CaseSubmitInput!){ caseSubmit(input:$i){ __typename ... on CaseSuccess { case { id } } "
          "... on Error { code message } } }")


async def test_postgres_crashing_during_a_burst_of_submissions_loses_nothing_acknowledged_and_duplicates_nothing(
        servers):
    async with httpx.AsyncClient(base_url=servers.api, timeout=30) as http:
        worker = await _sign_in(http, "cun-xinqiao")
        gate = asyncio.Semaphore(8)

        async def prepare(n: int):
            async with gate:
                return await _prepare(http, worker, 100 + n)

        people = await asyncio.gather(*(prepare(n) for n in range(SUBMITTERS * CASES_EACH)))
        acknowledged: dict[str, str] = {}  # submissionKey → case id
        sent: dict[str, dict] = {}  # submissionKey → the variables sent with it
        failures: list[str] = []
        started = asyncio.Event()
        crashed = asyncio.Event()

        async def submit(applicant_id: str, materials: list[str]) -> None:
            key = uuid.uuid4().hex
            variables = {"i": {"itemCode": "gaoling", "submissionKey": key, "applicantId": applicant_id,
                               "materialIds": materials, "form": {}}}
            sent[key] = variables
            for _ in range(100):  # a client that got an error tries again with the same key
                try:
                    r = await http.post("/graphql", json={"query": SUBMIT, "variables": variables},
                                        headers={"Authorization": f"Bearer {worker}"})
                    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
                    payload = (body.get("data") or {}).get("caseSubmit")
                except httpx.HTTPError as e:  # the connection dropped: whether it committed is unknown
                    failures.append(type(e).__name__)
                    await asyncio.sleep(0.2)
                    continue
                if payload and payload["__typename"] == "CaseSuccess":
                    acknowledged[key] = payload["case"]["id"]
                    return
                codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
                failures.append(f"{r.status_code} {codes or payload or r.text[:120]}")
                # down or restarting is said so (503, or the GraphQL error `unavailable`), never a 500
                assert r.status_code == 503 or codes == ["unavailable"], (r.status_code, r.text[:300])
                await asyncio.sleep(0.2)
            raise AssertionError(f"submission {key} never acknowledged: {failures[-3:]}")

        async def submitter(i: int) -> None:
            for n in range(CASES_EACH):
                if i == 0 and n == 1:
                    started.set()
                await submit(*people[i * CASES_EACH + n])
                if not crashed.is_set():
                    await asyncio.sleep(0.05)

        async def crash() -> None:
            await started.wait()
            await asyncio.to_thread(servers.pg.halt)
            crashed.set()
            await asyncio.sleep(1.0)
            await asyncio.to_thread(servers.pg.resume)

        await asyncio.gather(crash(), *(submitter(i) for i in range(SUBMITTERS)))
        # a retry that comes after the first attempt had in fact committed finds that case again
        again = {}
        for key, case_id in acknowledged.items():
            d = await _gql(http, SUBMIT, sent[key], worker)
            again[key] = (d["caseSubmit"].get("case") or {}).get("id"), case_id

    print(f"\n{len(acknowledged)} submissions acknowledged; {len(failures)} failed attempts retried: "
          f"{sorted(set(f[:60] for f in failures))[:5]}")
    assert failures, "the crash did not hit the burst"
    assert all(found == case_id for found, case_id in again.values()), again
    assert len(acknowledged) == SUBMITTERS * CASES_EACH
    ids = ",".join(acknowledged.values())
    keys = ",".join(f"'{k}'" for k in acknowledged)
    assert servers.psql(f"select count(*) from aid_case where id in ({ids})") == str(len(acknowledged))
    assert servers.psql(f"select count(*) from aid_case where submission_key in ({keys})") == str(len(acknowledged))
    per_person = servers.psql("select count(*) from (select applicant_id from aid_case where item_id = "
                              "(select id from aid_item where code = 'gaoling') group by applicant_id "
                              "having count(*) > 1) t")
    assert per_person == "0"
    assert servers.psql(f"select count(*) from case_event where case_id in ({ids}) and seq = 1") == str(
        len(acknowledged))


async def test_redis_stopping_under_live_subscriptions_keeps_mutations_working_and_afterseq_misses_nothing(servers):
    async with httpx.AsyncClient(base_url=servers.api, timeout=30) as http:
        worker = await _sign_in(http, "cun-xinqiao")
        township = await _sign_in(http, "jd-cuiping")
        applicant_id, materials = await _prepare(http, worker, 900)
        d = await _gql(http, SUBMIT, {"i": {"itemCode": "gaoling", "submissionKey": uuid.uuid4().hex,
                                            "applicantId": applicant_id, "materialIds": materials, "form": {}}},
                       worker)
        case_id = d["caseSubmit"]["case"]["id"]
        live = LiveServer(url=servers.api, http=http)
        query = "subscription($id:ID!,$after:Int!){ caseProgress(caseId:$id, afterSeq:$after){ seq action } }"
        seen: list[int] = []
        async with connected(live, township) as ws:
            op = await ws.subscribe(query, {"id": case_id, "after": 1})
            await asyncio.sleep(0.5)  # live once the server has subscribed at Redis
            await _accept(http, township, case_id)
            seen.append((await ws.next_data(op))["caseProgress"]["seq"])
            servers.redis.stop()
            down = []
            for n in range(3):
                d = await _gql(http, "mutation($id:ID!,$c:String!){ caseComment(caseId:$id, comment:$c){ "
                                     "__typename ... on CaseSuccess { case { lastSeq } } ... on Error { code } } }",
                               {"id": case_id, "c": f"Redis 停止期间的备注 {n}"}, township)
                down.append(d["caseComment"])
            assert [p["__typename"] for p in down] == ["CaseSuccess"] * 3, down
            last = down[-1]["case"]["lastSeq"]
            servers.redis.restart()
            # a client that stayed connected catches up once Redis is back (the broker's resync)
            stayed = [(await ws.next_data(op))["caseProgress"]["seq"] for _ in range(last - seen[-1])]
        assert stayed == list(range(seen[-1] + 1, last + 1))
        async with connected(live, township) as ws:  # and one that reconnects with afterSeq misses nothing
            op = await ws.subscribe(query, {"id": case_id, "after": seen[-1]})
            while len(seen) < last - 1:
                seen.append((await ws.next_data(op))["caseProgress"]["seq"])
            # and live again: a step taken now arrives too
            await asyncio.sleep(0.5)
            await _gql(http, "mutation($id:ID!){ caseComment(caseId:$id, comment:\"恢复后\"){ __typename } }",
                       {"id": case_id}, township)
            seen.append((await ws.next_data(op))["caseProgress"]["seq"])
    assert seen == list(range(2, last + 2))


async def test_the_province_down_for_ten_minutes_decides_everything_once_after_it_returns(db, round_trip):  # noqa: F811
    """The outbox's own retry policy (as the workers run it); the district's clock advanced through the outage."""
    state = random.getstate()
    random.seed(7)  # the back-off's jitter
    policy = outbox.RetryPolicy(max_attempts=get_settings().outbox_max_attempts)
    start = datetime.now(UTC) - timedelta(minutes=20)
    clock.freeze(start)
    try:
        await round_trip.faults(down_for_seconds=3600)
        cases = [await accepted_gaoling_case(date(1930 + n, 1 + n, 3)) for n in range(5)]
        minute = 0.0
        while minute < 10:  # ten minutes of the province answering 503
            await outbox.dispatch_once("test-worker", policy)
            minute += 1 / 12
            clock.freeze(start + timedelta(minutes=minute))
        from api.cases.models import Case, CaseEvent
        from api.province.models import ProvinceSync

        ids = [c.id for c in cases]
        stats = await round_trip.stats()
        assert stats["faults_503"] >= len(cases) * 3
        # still waiting, none given up on
        assert sorted(await ProvinceSync.filter(case_id__in=ids).values_list("state", flat=True)) == (
            ["failing"] * len(ids))
        assert await Case.filter(id__in=ids, status="accepted").count() == len(ids)
        await round_trip.faults(down_until=0)
        returned = minute
        while minute < returned + 10:  # at most ten more minutes for the back-off to come round
            await outbox.dispatch_once("test-worker", policy)
            await asyncio.sleep(0.01)
            if await Case.filter(id__in=ids, status="approved").count() == len(ids):
                break
            minute += 1 / 12
            clock.freeze(start + timedelta(minutes=minute))
        for _ in range(200):  # the simulator's callbacks come in real time
            if await Case.filter(id__in=ids, status="approved").count() == len(ids):
                break
            await asyncio.sleep(0.05)
        syncs = await ProvinceSync.filter(case_id__in=ids).values_list("state", flat=True)
        assert sorted(syncs) == ["decided"] * len(ids), syncs
        assert await Case.filter(id__in=ids, status="approved").count() == len(ids)
        for case_id in ids:
            assert await CaseEvent.filter(case_id=case_id, action="province_decide").count() == 1
        stats = await round_trip.stats()
        assert stats["unique_request_ids"] == len(ids)
        assert stats["approved"] == len(ids)
    finally:
        clock.freeze(None)
        random.setstate(state)
